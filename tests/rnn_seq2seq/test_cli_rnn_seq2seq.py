"""`hf-classic convert onmt`, `translate seq2seq`, `attention-map` and `train seq2seq` from the command line."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer

from hf_classic import RnnSeq2SeqForConditionalGeneration, cli
from hf_classic.formats.rnn_seq2seq_onmt import convert_onmt_checkpoint
from hf_classic.plots.rnn_seq2seq_attention import attention_map

FIXTURES = Path(__file__).parents[1] / "fixtures"
ONMT = FIXTURES / "onmt_rnn"


@pytest.fixture
def run(monkeypatch):
    """`hf-classic ARGS` with this family's commands (the only command module of this branch)."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("hf_classic.commands.rnn_seq2seq", "hf_classic.commands.attention"))
    return lambda *argv: cli.main([str(arg) for arg in argv])


@pytest.fixture
def converted(tmp_path, run):
    assert run("convert", "onmt", ONMT / "brnn_lstm_general.pt", tmp_path / "model") == 0
    return tmp_path / "model"


def test_convert_then_translate_gives_onmt_translate_output(converted, tmp_path, run):
    assert {"config.json", "model.safetensors", "tokenizer.json", "target_tokenizer.json"} <= {
        path.name for path in converted.iterdir()
    }
    output = tmp_path / "out.txt"
    assert (
        run("translate", "seq2seq", converted, "--input", ONMT / "src.txt", "--output", output, "--num-beams", 5) == 0
    )
    assert output.read_text(encoding="utf-8") == (ONMT / "brnn_lstm_general.beam5.txt").read_text(encoding="utf-8")


def test_existing_outputs_are_kept_unless_overwrite(converted, run, capsys):
    before = (converted / "model.safetensors").stat().st_mtime_ns
    assert run("convert", "onmt", ONMT / "brnn_lstm_dot.pt", converted) == cli.EXIT_BAD_INPUT
    assert "output already exists; pass --overwrite" in capsys.readouterr().err
    assert (converted / "model.safetensors").stat().st_mtime_ns == before
    assert run("convert", "onmt", ONMT / "brnn_lstm_dot.pt", converted, "--overwrite") == 0
    assert (converted / "model.safetensors").stat().st_mtime_ns != before


def test_bad_checkpoint_is_exit_status_2_and_writes_nothing(tmp_path, run, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"PK\x03\x04 truncated")
    assert run("convert", "onmt", bad, tmp_path / "out") == cli.EXIT_BAD_INPUT
    assert "bad.pt: not a readable OpenNMT-py checkpoint" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert [path.name for path in tmp_path.iterdir()] == ["bad.pt"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("auto_map", 5),
        ("auto_map", {"AutoConfig": 5}),
        ("hidden_size", "wide"),
        ("num_layers", None),
        ("attention", "sideways"),
    ],
)
def test_malformed_config_values_are_exit_status_2_naming_the_folder(converted, tmp_path, run, capsys, key, value):
    config_file = converted / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config[key] = value
    config_file.write_text(json.dumps(config), encoding="utf-8")
    status = run("translate", "seq2seq", converted, "--input", ONMT / "src.txt", "--output", tmp_path / "out.txt")
    assert status == cli.EXIT_BAD_INPUT
    assert f"{converted}: not a loadable model directory" in capsys.readouterr().err
    assert not (tmp_path / "out.txt").exists()


def test_attention_map_writes_a_png_of_target_rows_over_source_columns(converted, tmp_path, run):
    sentence = "select all pages in listing"
    picture = tmp_path / "map.png"
    assert run("attention-map", converted, sentence, "--output", picture, "--num-beams", 1) == 0
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model, tokenizer = convert_onmt_checkpoint(ONMT / "brnn_lstm_general.pt")
    attention = attention_map(model, tokenizer, sentence, num_beams=1, max_new_tokens=50)
    expected_target = (ONMT / "brnn_lstm_general.greedy.txt").read_text(encoding="utf-8").splitlines()[1].split()
    assert attention.source_tokens == sentence.split()
    assert attention.target_tokens == [*expected_target, "</s>"]
    assert attention.weights.shape == (len(expected_target) + 1, 5)
    np.testing.assert_allclose(attention.weights.sum(axis=1), 1.0, rtol=0, atol=1e-6)


def test_train_from_the_command_line(tmp_path, run, capsys):
    data = FIXTURES / "rnn_seq2seq"
    status = run(
        "train", "seq2seq", tmp_path / "model", "--source", data / "django.en", "--target", data / "django.fr",
        "--valid-size", 20, "--test-size", 20, "--embedding-size", 16, "--hidden-size", 32, "--epochs", 1,
        "--attention", "bahdanau", "--cell", "gru", "--num-beams", 2,
    )  # fmt: skip
    assert status == 0
    assert '"test_bleu"' in capsys.readouterr().out
    assert (tmp_path / "model" / "model.safetensors").exists()
    assert not (tmp_path / "model" / "checkpoints").exists()


def test_train_starts_from_word2vec_vectors_kept_fixed(tmp_path, run, capsys, trained_skipgram):
    model, tokenizer, _ = trained_skipgram
    model.word2vec.save_pretrained(tmp_path / "w2v")
    tokenizer.save_pretrained(tmp_path / "w2v")
    data = FIXTURES / "rnn_seq2seq"
    status = run(
        "train", "seq2seq", tmp_path / "model", "--source", data / "django.en", "--target", data / "django.fr",
        "--valid-size", 20, "--test-size", 20, "--embedding-size", 50, "--hidden-size", 32, "--epochs", 1,
        "--num-beams", 1, "--init-from-word2vec", tmp_path / "w2v", "--freeze-pretrained",
    )  # fmt: skip
    assert status == 0
    out = capsys.readouterr().out
    metrics = json.loads(out[out.rindex("{\n") :])
    assert 0.2 < metrics["word2vec_source_coverage"] <= 1
    trained = RnnSeq2SeqForConditionalGeneration.from_pretrained(tmp_path / "model")
    vocabulary = AutoTokenizer.from_pretrained(tmp_path / "model").get_vocab()
    word_ids = tokenizer.get_vocab()
    shared = [word for word in vocabulary if word in word_ids and word not in ("<unk>", "<pad>")]
    assert len(shared) > 50
    rows = trained.get_input_embeddings().weight[[vocabulary[word] for word in shared]]
    assert torch.equal(rows, model.word2vec.embeddings.weight[[word_ids[word] for word in shared]])


def test_train_needs_one_data_source(tmp_path, run, capsys):
    assert run("train", "seq2seq", tmp_path / "model", "--source", "x.en") == cli.EXIT_BAD_INPUT
    assert "give either --catalogues, or --source and --target" in capsys.readouterr().err


def test_export_onmt_writes_a_checkpoint_that_converts_back(converted, tmp_path, run, capsys):
    exported = tmp_path / "exported.pt"
    assert run("export", "onmt", converted, exported) == 0
    model, _ = convert_onmt_checkpoint(exported)
    original, _ = convert_onmt_checkpoint(ONMT / "brnn_lstm_general.pt")
    for (name, tensor), (_, expected) in zip(model.state_dict().items(), original.state_dict().items(), strict=True):
        assert np.array_equal(tensor.numpy(), expected.numpy()), name
    assert run("export", "onmt", converted, exported) == cli.EXIT_BAD_INPUT
    assert "exported.pt: output already exists" in capsys.readouterr().err
