"""No code from data: crafted pickles and remote code in files we read never run unless the user opts in.

Every payload here writes a marker file when it runs. Each group of tests has a positive control that runs
the very same payload the unsafe way (plain `pickle.load`, `torch.load(weights_only=False)`, gensim's loader
with the opt-in, or `trust_remote_code=True`) and sees the marker appear, so an absent marker means the code
did not run, not that the payload was broken.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from hf_classic.cli import build_parser, main
from hf_classic.errors import InputFileError
from hf_classic.formats.elmo_bilm_tf import convert_to_directory as convert_elmo_to_directory
from hf_classic.formats.rnn_seq2seq_onmt import convert_onmt_to_directory, load_onmt_checkpoint
from hf_classic.formats.word2vec_formats import read_word_vectors, write_word_vectors
from hf_classic.formats.word2vec_models import convert_word_vectors

FIXTURES = Path(__file__).parent / "fixtures"
ONMT_CHECKPOINT = FIXTURES / "onmt_rnn" / "brnn_lstm_general.pt"
PACKAGE = Path(__file__).parents[1] / "hf_classic"


class WritesMarker:
    """Unpickling this object calls `exec`, which writes `marker`: the classic pickle code-execution payload."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('code from data ran')",))


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "marker-code-ran.txt"


# (a) OpenNMT-py checkpoints: torch.load(weights_only=True) only.


def crafted_onmt_checkpoint(path: Path, marker: Path, where: str, legacy: bool) -> Path:
    """The real fixture checkpoint with the payload added `where` ("top": a new key; "opt": inside the options)."""
    with torch.serialization.safe_globals([argparse.Namespace]):
        checkpoint = torch.load(ONMT_CHECKPOINT, map_location="cpu", weights_only=True)
    if where == "top":
        checkpoint["extra"] = WritesMarker(marker)
    else:
        checkpoint["opt"].payload = WritesMarker(marker)
    torch.save(checkpoint, path, _use_new_zipfile_serialization=not legacy)
    return path


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("where", ["top", "opt"])
def test_crafted_onmt_checkpoint_is_refused_without_running(tmp_path, marker, where, legacy):
    path = crafted_onmt_checkpoint(tmp_path / "crafted.pt", marker, where, legacy)
    with pytest.raises(InputFileError, match="not a readable OpenNMT-py checkpoint") as error:
        load_onmt_checkpoint(path)
    assert str(path) in str(error.value)
    with pytest.raises(InputFileError):
        convert_onmt_to_directory(path, tmp_path / "converted")
    assert main(["convert", "onmt", str(path), str(tmp_path / "converted-cli")]) == 2
    assert not marker.exists()
    assert not (tmp_path / "converted").exists() and not (tmp_path / "converted-cli").exists()
    # Positive control: the same file run through an unrestricted unpickle does execute the payload.
    torch.load(path, map_location="cpu", weights_only=False)
    assert marker.read_text() == "code from data ran"


def test_crafted_onmt_checkpoint_is_refused_by_the_conversion_script(tmp_path, marker):
    path = crafted_onmt_checkpoint(tmp_path / "crafted.pt", marker, "top", legacy=False)
    script = Path(__file__).parents[1] / "conversion" / "convert_onmt_to_hf.py"
    result = subprocess.run(
        [sys.executable, str(script), str(path), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert result.returncode != 0
    assert "not a readable OpenNMT-py checkpoint" in result.stderr
    assert not marker.exists() and not (tmp_path / "out").exists()


# (b) gensim saves: refused without allow_pickle; the opt-in runs the pickle, and the help says so.


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_crafted_gensim_file_is_not_unpickled_without_the_opt_in(tmp_path, marker, protocol):
    path = tmp_path / "vectors.model"
    path.write_bytes(pickle.dumps(WritesMarker(marker), protocol=protocol))
    for format in ("auto", "gensim"):
        with pytest.raises(InputFileError) as error:
            read_word_vectors(path, format)
        assert str(path) in str(error.value)
        if format == "gensim" or protocol >= 2:
            assert "pickle" in str(error.value) and "allow_pickle" in str(error.value)
            assert "only for a file you trust" in str(error.value)
    assert main(["convert", "word2vec", str(path), str(tmp_path / "out")]) == 2
    assert not marker.exists() and not (tmp_path / "out").exists()
    with path.open("rb") as handle:
        pickle.load(handle)
    assert marker.read_text() == "code from data ran"


def test_the_gensim_opt_in_runs_the_pickle_as_documented(tmp_path, marker):
    """`allow_pickle=True` hands the file to gensim's unpickler: its code runs. That is what the opt-in means."""
    pytest.importorskip("gensim")
    path = tmp_path / "vectors.model"
    path.write_bytes(pickle.dumps(WritesMarker(marker), protocol=4))
    with pytest.raises(InputFileError):
        read_word_vectors(path, "gensim", allow_pickle=True)
    assert marker.read_text() == "code from data ran"


def test_the_opt_in_is_described_as_running_the_file_in_help_and_docstring(capsys):
    convert = build_parser()._subparsers._group_actions[0].choices["convert"]
    word2vec = convert._subparsers._group_actions[0].choices["word2vec"]
    help_text = " ".join(word2vec.format_help().split())
    assert "--allow-pickle" in help_text
    for phrase in ("pickle", "runs any code", "only for a file you trust"):
        assert phrase in help_text, phrase
    assert "safe" not in help_text.split("--allow-pickle", 1)[1].split("--duplicates", 1)[0]
    docstring = " ".join(read_word_vectors.__doc__.split())
    assert "runs any code" in docstring and "only for a file you trust" in docstring


def test_a_saved_numpy_object_array_is_not_read_as_vectors(tmp_path, marker):
    """`np.load` refuses pickled object arrays by default; nothing in a vector file is read with allow_pickle."""
    path = tmp_path / "vectors.npy"
    np.save(path, np.array([WritesMarker(marker)], dtype=object), allow_pickle=True)
    with pytest.raises(InputFileError):
        read_word_vectors(path)
    assert not marker.exists()


# (c) Model folders: nothing runs unless trust_remote_code=True.

PAYLOAD_CODE = 'import pathlib\npathlib.Path({marker!r}).write_text("code from data ran")\n'


def foreign_folder(path: Path, marker: Path) -> Path:
    """A folder whose model type no one registers, with `auto_map` pointing at code that writes `marker`."""
    path.mkdir()
    code = PAYLOAD_CODE.format(marker=str(marker))
    (path / "configuration_evil.py").write_text(
        code + "from transformers import PreTrainedConfig\n\n"
        "class EvilConfig(PreTrainedConfig):\n    model_type = 'evil-net'\n",
        encoding="utf-8",
    )
    (path / "modeling_evil.py").write_text(
        code + "from transformers import PreTrainedModel\nfrom .configuration_evil import EvilConfig\n\n"
        "class EvilModel(PreTrainedModel):\n    config_class = EvilConfig\n",
        encoding="utf-8",
    )
    (path / "tokenization_evil.py").write_text(
        code + "from transformers import PreTrainedTokenizer\n\nclass EvilTokenizer(PreTrainedTokenizer):\n    pass\n",
        encoding="utf-8",
    )
    auto_map = {"AutoConfig": "configuration_evil.EvilConfig", "AutoModel": "modeling_evil.EvilModel"}
    (path / "config.json").write_text(json.dumps({"model_type": "evil-net", "auto_map": auto_map}), encoding="utf-8")
    (path / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "EvilTokenizer",
                "auto_map": {"AutoTokenizer": ["tokenization_evil.EvilTokenizer", None]},
            }
        ),
        encoding="utf-8",
    )
    return path


def poison(folder: Path, marker: Path) -> Path:
    """Append the payload to every `.py` file a saved folder carries (its remote code); return the folder."""
    files = sorted(folder.glob("*.py"))
    assert files, f"{folder} carries no code"
    for file in files:
        file.write_text(file.read_text(encoding="utf-8") + "\n" + PAYLOAD_CODE.format(marker=str(marker)))
    return folder


@pytest.fixture(scope="module")
def genuine_folders(tmp_path_factory) -> dict[str, Path]:
    """Small real folders of the three families, as our converters write them."""
    root = tmp_path_factory.mktemp("genuine")
    words = ["king", "queen", "man", "woman", "play", "music", "game", "song", "the", "a"]
    vectors = np.random.default_rng(0).standard_normal((len(words), 8)).astype(np.float32)
    write_word_vectors(root / "vectors.txt", words, vectors, "txt")
    return {
        "word2vec": convert_word_vectors(root / "vectors.txt", root / "word2vec"),
        "rnn_seq2seq": convert_onmt_to_directory(ONMT_CHECKPOINT, root / "rnn_seq2seq"),
        "elmo": convert_elmo_to_directory(
            FIXTURES / "elmo_small" / "options.json", FIXTURES / "elmo_small" / "weights.hdf5", root / "elmo"
        ),
    }


@pytest.fixture
def isolated_modules_cache(tmp_path, monkeypatch) -> Path:
    """transformers' cache of imported remote code, emptied for the test (nothing imported earlier counts)."""
    cache = tmp_path / "modules-cache"
    monkeypatch.setenv("HF_MODULES_CACHE", str(cache))
    return cache


def test_foreign_folder_raises_transformers_error_without_trust_remote_code(tmp_path, marker, isolated_modules_cache):
    from transformers import AutoConfig, AutoModel, AutoTokenizer, pipeline

    folder = foreign_folder(tmp_path / "evil", marker)
    for load in (
        AutoConfig.from_pretrained,
        AutoModel.from_pretrained,
        AutoTokenizer.from_pretrained,
        lambda path: pipeline("feature-extraction", model=str(path)),
    ):
        with pytest.raises(ValueError, match="trust_remote_code=True"):
            load(folder)
    for auto_class in (AutoConfig, AutoModel, AutoTokenizer):
        with pytest.raises(ValueError, match="trust_remote_code=True"):
            auto_class.from_pretrained(folder, trust_remote_code=False)
    assert not marker.exists()


def model_dir_commands(folder: Path, out: Path) -> dict[str, list[str]]:
    """Every `hf-classic` command that reads a MODEL_DIR, with small arguments."""
    sentences = out / "sentences.txt"
    sentences.write_text("the king\n", encoding="utf-8")
    analogies = out / "analogies.txt"
    analogies.write_text(": family\nking queen man woman\n", encoding="utf-8")
    pairs = out / "pairs.tsv"
    pairs.write_text("king\tqueen\t8.0\nman\twoman\t8.3\nplay\tgame\t6.0\n", encoding="utf-8")
    return {
        "evaluate word2vec": [
            "evaluate",
            "word2vec",
            str(folder),
            "--analogies",
            str(analogies),
            "--word-pairs",
            str(pairs),
        ],
        "export word2vec": ["export", "word2vec", str(folder), str(out / "vectors.txt"), "--format", "txt"],
        "export onmt": ["export", "onmt", str(folder), str(out / "model.pt")],
        "export elmo": ["export", "elmo", str(folder), str(out / "bilm")],
        "translate seq2seq": [
            "translate",
            "seq2seq",
            str(folder),
            "--input",
            str(sentences),
            "--output",
            str(out / "translated.txt"),
        ],
        "attention-map": ["attention-map", str(folder), "the king", "--output", str(out / "attention.png")],
        "senses": ["senses", str(folder), "play"],
    }


def test_foreign_folder_runs_nothing_through_our_commands(tmp_path, marker, isolated_modules_cache):
    folder = foreign_folder(tmp_path / "evil", marker)
    out = tmp_path / "out"
    out.mkdir()
    for name, command in model_dir_commands(folder, out).items():
        assert main(command) == 2, name
        assert not marker.exists(), name
    from hf_classic.rnn_seq2seq import RnnSeq2SeqForConditionalGeneration
    from hf_classic.tasks.initialization import init_seq2seq_from_word2vec

    with pytest.raises(ValueError):
        init_seq2seq_from_word2vec(RnnSeq2SeqForConditionalGeneration(tiny_seq2seq_config()), None, folder)
    assert not marker.exists()


def tiny_seq2seq_config():
    from hf_classic.rnn_seq2seq import RnnSeq2SeqConfig

    return RnnSeq2SeqConfig(vocab_size=10, decoder_vocab_size=10, embedding_size=8, hidden_size=8, num_layers=1)


FAMILY_COMMANDS = {
    "word2vec": ("evaluate word2vec", "export word2vec", "senses"),
    "rnn_seq2seq": ("export onmt", "translate seq2seq", "attention-map"),
    "elmo": ("export elmo", "senses"),
}


@pytest.mark.parametrize("family", sorted(FAMILY_COMMANDS))
def test_poisoned_code_in_a_genuine_folder_does_not_run(
    tmp_path, marker, family, genuine_folders, isolated_modules_cache
):
    """The code a saved folder carries is for machines without hf_classic: with it, our classes load the
    weights and the folder's `.py` files are never imported, whatever they hold."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    folder = poison(shutil.copytree(genuine_folders[family], tmp_path / family), marker)
    AutoConfig.from_pretrained(folder)
    AutoModel.from_pretrained(folder)
    AutoTokenizer.from_pretrained(folder)
    out = tmp_path / "out"
    out.mkdir()
    commands = model_dir_commands(folder, out)
    for name in FAMILY_COMMANDS[family]:
        assert main(commands[name]) == 0, name
        assert not marker.exists(), name


REMOTE_LOAD = textwrap.dedent(
    """
    import sys
    from transformers import AutoConfig
    AutoConfig.from_pretrained(sys.argv[1], trust_remote_code=True)
    """
)


def test_positive_control_trust_remote_code_runs_the_poisoned_code(
    tmp_path, marker, genuine_folders, python_without_hf_classic
):
    """Control for the two tests above: in a Python without hf_classic, `trust_remote_code=True` imports the
    folder's code, and the payload writes the marker."""
    folders = [foreign_folder(tmp_path / "evil", marker)]
    folders += [poison(shutil.copytree(path, tmp_path / name), marker) for name, path in genuine_folders.items()]
    for folder in folders:
        marker.unlink(missing_ok=True)
        result = subprocess.run(
            [python_without_hf_classic, "-c", REMOTE_LOAD, str(folder)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "HF_MODULES_CACHE": str(tmp_path / f"cache-{folder.name}")},
            stdin=subprocess.DEVNULL,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert marker.read_text() == "code from data ran", folder


# Pickle-bearing files: every load in the package is restricted.


def calls_in_package(name: str) -> list[tuple[Path, ast.Call]]:
    """Every call `....name(...)` in the package's source."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                function = node.func
                called = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
                if called == name:
                    found.append((path, node))
    return found


def keyword(call: ast.Call, name: str):
    return next((item.value for item in call.keywords if item.arg == name), None)


def test_every_torch_load_in_the_package_is_weights_only():
    loads = calls_in_package("load")
    torch_loads = [(path, call) for path, call in loads if ast.unparse(call.func) == "torch.load"]
    assert len(torch_loads) >= 3  # the OpenNMT-py reader and the optimizer and random-state files of checkpoints
    for path, call in torch_loads:
        value = keyword(call, "weights_only")
        assert isinstance(value, ast.Constant) and value.value is True, f"{path}:{call.lineno}"
    for path, call in loads + calls_in_package("loads") + calls_in_package("Unpickler"):
        assert not ast.unparse(call.func).startswith(("pickle.", "cPickle.", "dill.", "joblib.")), (
            f"{path}:{call.lineno}"
        )
    for path, call in calls_in_package("load"):
        if ast.unparse(call.func) in ("np.load", "numpy.load"):
            value = keyword(call, "allow_pickle")
            assert value is None or (isinstance(value, ast.Constant) and value.value is False), f"{path}:{call.lineno}"


def test_crafted_optimizer_and_random_state_files_of_a_checkpoint_do_not_run(tmp_path, marker):
    from accelerate import Accelerator

    from hf_classic.training.checkpoints import corpus_fingerprint
    from hf_classic.training.lm_trainer import (
        OPTIMIZER_FILE,
        RANDOM_STATE_FILE,
        TRAINING_STATE_FILE,
        StreamingTrainer,
        TrainingState,
    )

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("in the beginning\n", encoding="utf-8")
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    args = argparse.Namespace(corpus=[str(corpus)])
    trainer = StreamingTrainer(model, None, optimizer, args, Accelerator(cpu=True))
    checkpoint = tmp_path / "checkpoint"
    checkpoint.mkdir()
    TrainingState(corpus=corpus_fingerprint([str(corpus)]), processes=1).to_json(checkpoint / TRAINING_STATE_FILE)
    torch.save({"state": {}, "payload": WritesMarker(marker)}, checkpoint / OPTIMIZER_FILE)
    torch.save(torch.get_rng_state().unsqueeze(0), checkpoint / RANDOM_STATE_FILE)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        trainer.restore(checkpoint)
    torch.save(optimizer.state_dict(), checkpoint / OPTIMIZER_FILE)
    torch.save([WritesMarker(marker)], checkpoint / RANDOM_STATE_FILE)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        trainer.restore(checkpoint)
    assert not marker.exists()
    torch.load(checkpoint / RANDOM_STATE_FILE, weights_only=False)
    assert marker.exists()
