"""`hf-classic convert elmo` / `export elmo`: bilm-tf files ↔ model directories, round trips and bad input."""

import json
import re
import shutil

import h5py
import numpy as np
import pytest
import torch
from test_model_elmo import CORPUS, WORDS, tiny_config
from transformers import AutoModel, AutoTokenizer

from hf_classic import cli
from hf_classic.elmo import ElmoConfig, ElmoForPreTraining, ElmoTokenizer
from hf_classic.formats.elmo_bilm_tf import export


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """Run `hf-classic ARGS...` with the ELMo commands; return (exit status, stderr)."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("hf_classic.commands.elmo",))

    def run(*args):
        status = cli.main([str(arg) for arg in args])
        return status, capsys.readouterr().err

    return run


@pytest.fixture
def bilm_copy(fixture_dir, tmp_path):
    """Editable copies of the fixture's options.json and weights.hdf5."""
    for name in ("options.json", "weights.hdf5"):
        shutil.copy(fixture_dir / name, tmp_path / name)
    return tmp_path


def datasets(path) -> dict[str, np.ndarray]:
    found = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(
            lambda name, item: found.setdefault(name, item[...]) if isinstance(item, h5py.Dataset) else None
        )
    return found


def test_convert_writes_a_directory_that_auto_classes_load(run_cli, fixture_dir, sentences, expected, tmp_path):
    out = tmp_path / "elmo"
    status, _ = run_cli(
        "convert", "elmo", "--options", fixture_dir / "options.json", "--weights", fixture_dir / "weights.hdf5", out
    )
    assert status == 0
    model, tokenizer = AutoModel.from_pretrained(out).eval(), AutoTokenizer.from_pretrained(out)
    encoded = tokenizer(sentences, is_split_into_words=True, return_tensors="pt")
    with torch.no_grad():
        layers = model(**encoded, output_hidden_states=True).hidden_states
    assert np.abs(layers[2].numpy() - expected["layer_2"]).max() < 1e-5


def test_export_writes_back_the_same_bilm_files(run_cli, fixture_dir, tmp_path):
    model_dir, exported = tmp_path / "elmo", tmp_path / "bilm"
    run_cli(
        "convert",
        "elmo",
        "--options",
        fixture_dir / "options.json",
        "--weights",
        fixture_dir / "weights.hdf5",
        model_dir,
    )
    status, _ = run_cli("export", "elmo", model_dir, exported)
    assert status == 0
    original, written = datasets(fixture_dir / "weights.hdf5"), datasets(exported / "weights.hdf5")
    assert written.keys() == original.keys()
    for name, value in original.items():
        assert written[name].dtype == np.float32
        np.testing.assert_array_equal(written[name], value, err_msg=name)
    options = json.loads((fixture_dir / "options.json").read_text())
    again = json.loads((exported / "options.json").read_text())
    assert again["lstm"] == options["lstm"] and again["char_cnn"] == options["char_cnn"]


def test_pre_training_model_round_trips_with_vocabulary_and_softmax(run_cli, tmp_path):
    torch.manual_seed(0)
    tokenizer = ElmoTokenizer.from_words(WORDS)
    model = ElmoForPreTraining(tiny_config(vocab_size=len(WORDS))).eval()
    export(model, tmp_path / "bilm", tokenizer=tokenizer)
    assert (tmp_path / "bilm" / "vocab.txt").read_text().split() == WORDS
    bilm = tmp_path / "bilm"
    status, _ = run_cli(
        "convert", "elmo", "--options", bilm / "options.json", "--weights", bilm / "weights.hdf5",
        "--vocab", bilm / "vocab.txt", tmp_path / "model",
    )  # fmt: skip
    assert status == 0
    loaded = ElmoForPreTraining.from_pretrained(tmp_path / "model").eval()
    loaded_tokenizer = AutoTokenizer.from_pretrained(tmp_path / "model")
    encoded = loaded_tokenizer(CORPUS, is_split_into_words=True, return_tensors="pt", return_labels=True)
    torch.testing.assert_close(loaded(**encoded).loss, model(**encoded).loss, rtol=0, atol=0)


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda h: h.__delitem__("CNN_proj/b_proj"), r"weights.hdf5: dataset 'CNN_proj/b_proj' not found \(expected shape \(16,\)\)"),
        (
            lambda h: (h.__delitem__("RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell/W_0"),
                       h.create_dataset("RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell/W_0", data=np.zeros((32, 128), "f4"))),
            r"dataset 'RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell/W_0': expected shape \(32, 256\), found \(32, 128\)",
        ),
    ],
)  # fmt: skip
def test_bad_weights_name_the_dataset_and_shapes_and_write_nothing(run_cli, bilm_copy, edit, message):
    with h5py.File(bilm_copy / "weights.hdf5", "a") as handle:
        edit(handle)
    out = bilm_copy / "out"
    status, error = run_cli(
        "convert", "elmo", "--options", bilm_copy / "options.json", "--weights", bilm_copy / "weights.hdf5", out
    )
    assert status == 2
    assert str(bilm_copy / "weights.hdf5") in error
    assert re.search(message, error), error
    assert not out.exists() and not list(bilm_copy.glob(".out.*"))


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda o: o["lstm"].pop("proj_clip"), "missing key 'lstm.proj_clip'"),
        (lambda o: o["char_cnn"].update(activation="gelu"), "ElmoConfig.activation='gelu': expected one of relu, tanh"),
        (lambda o: o.update(n_tokens_vocab=7), "key 'n_tokens_vocab': expected 4"),
    ],
)
def test_bad_options_name_the_key(run_cli, bilm_copy, change, message):
    options = json.loads((bilm_copy / "options.json").read_text())
    change(options)
    (bilm_copy / "options.json").write_text(json.dumps(options))
    (bilm_copy / "vocab.txt").write_text("<S>\n</S>\n<UNK>\nthe\n")
    args = [
        "--options",
        bilm_copy / "options.json",
        "--weights",
        bilm_copy / "weights.hdf5",
        "--vocab",
        bilm_copy / "vocab.txt",
    ]
    status, error = run_cli("convert", "elmo", *args, bilm_copy / "out")
    assert status == 2
    assert str(bilm_copy / "options.json") in error and message in error, error
    assert not (bilm_copy / "out").exists()


def test_softmax_of_the_wrong_size_is_refused(run_cli, bilm_copy):
    with h5py.File(bilm_copy / "weights.hdf5", "a") as handle:
        handle.create_dataset("softmax/W", data=np.zeros((5, 16), "f4"))
        handle.create_dataset("softmax/b", data=np.zeros(5, "f4"))
    (bilm_copy / "vocab.txt").write_text("<S>\n</S>\n<UNK>\nthe\n")
    args = [
        "--options",
        bilm_copy / "options.json",
        "--weights",
        bilm_copy / "weights.hdf5",
        "--vocab",
        bilm_copy / "vocab.txt",
    ]
    status, error = run_cli("convert", "elmo", *args, bilm_copy / "out")
    assert status == 2
    assert "dataset 'softmax/W': expected shape (4, 16)" in error and "(5, 16)" in error, error


def test_existing_output_is_kept_without_overwrite(run_cli, fixture_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    args = ["--options", fixture_dir / "options.json", "--weights", fixture_dir / "weights.hdf5"]
    status, error = run_cli("convert", "elmo", *args, out)
    assert status == 2 and "already exists" in error
    assert (out / "keep.txt").read_text() == "mine"
    assert run_cli("convert", "elmo", *args, out, "--overwrite")[0] == 0
    assert not (out / "keep.txt").exists() and isinstance(ElmoConfig.from_pretrained(out), ElmoConfig)
