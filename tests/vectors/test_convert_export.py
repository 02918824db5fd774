"""Vector files become model directories that AutoModel/AutoTokenizer load, and go back out unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import WORDS, example_vectors, gensim_data, text_rows, word2vec_c_binary
from gensim.models import KeyedVectors
from transformers import AutoModel, AutoTokenizer

import hf_classic
from hf_classic import cli
from hf_classic.errors import InputFileError, OutputExistsError
from hf_classic.formats.word2vec_models import convert_word_vectors, export_word_vectors, model_word_vectors


@pytest.fixture
def run_cli(monkeypatch):
    """`hf-classic ARGS` in-process with only this issue's command module registered; returns the exit status."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("hf_classic.commands.vectors",))
    return lambda *args: cli.main([str(arg) for arg in args])


@pytest.fixture
def binary_file(tmp_path):
    path = tmp_path / "vectors.bin"
    path.write_bytes(word2vec_c_binary(WORDS, example_vectors()))
    return path


def test_converted_directory_loads_with_auto_classes(tmp_path, binary_file):
    out = convert_word_vectors(binary_file, tmp_path / "model")
    model = AutoModel.from_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert type(model).__name__ == "Word2VecModel"
    assert type(tokenizer).__name__ == "Word2VecTokenizer"
    weight = model.get_input_embeddings().weight.detach().numpy()
    assert weight.shape == (2 + len(WORDS), 3)
    assert not weight[:2].any()
    np.testing.assert_array_equal(weight[2:], example_vectors())
    assert tokenizer.convert_ids_to_tokens([0, 1]) == ["<pad>", "<unk>"]
    assert tokenizer.convert_ids_to_tokens(list(range(2, 2 + len(WORDS)))) == WORDS


def test_case_is_kept_by_the_tokenizer_of_converted_vectors(tmp_path, binary_file):
    out = convert_word_vectors(binary_file, tmp_path / "model")
    tokenizer = AutoTokenizer.from_pretrained(out)
    ids = tokenizer("Paris paris PARIS", add_special_tokens=False)["input_ids"]
    assert ids == [WORDS.index("Paris") + 2, WORDS.index("paris") + 2, tokenizer.unk_token_id]
    model = AutoModel.from_pretrained(out)
    hidden = model(torch.tensor([ids])).last_hidden_state[0].detach().numpy()
    np.testing.assert_array_equal(hidden[0], example_vectors()[1])
    assert not hidden[2].any()


def test_every_word_of_the_file_is_one_token_as_spelled(tmp_path):
    words = ["u.s.", "n't", "e-mail", "1,000", "ﬁnal", "final", "Ａ"]
    path = tmp_path / "v.txt"
    path.write_bytes(text_rows(words, example_vectors(rows=len(words))))
    tokenizer = AutoTokenizer.from_pretrained(convert_word_vectors(path, tmp_path / "model"))
    ids = tokenizer(" ".join(words), add_special_tokens=False)["input_ids"]
    assert ids == list(range(2, 2 + len(words)))
    assert tokenizer("u.s. isn't", add_special_tokens=False)["input_ids"] == [2, tokenizer.unk_token_id]


def test_counts_come_from_the_vocab_file_in_file_order(tmp_path, binary_file):
    vocab = tmp_path / "vocab.txt"
    counts = [0, 50, 70, 3, 2, 1]
    vocab.write_text("".join(f"{word} {count}\n" for word, count in zip(WORDS, counts, strict=True)), encoding="utf-8")
    out = convert_word_vectors(binary_file, tmp_path / "model", vocab_file=vocab)
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert tokenizer.word_counts == [0, 0, *counts]
    assert tokenizer.convert_ids_to_tokens(list(range(2, 8))) == WORDS
    assert AutoModel.from_pretrained(out).config.converted_from["word_counts"].startswith("from the vocabulary")


def test_unknown_counts_are_zero_and_noted_in_the_config(tmp_path, binary_file):
    out = convert_word_vectors(binary_file, tmp_path / "model")
    assert AutoTokenizer.from_pretrained(out).word_counts == [0] * (2 + len(WORDS))
    config = json.loads((out / "config.json").read_text())
    assert config["converted_from"] == {
        "file": "vectors.bin",
        "format": "bin",
        "rows": len(WORDS),
        "word_counts": "unknown (all 0)",
    }


@pytest.mark.parametrize(
    ("name", "format", "layout"),
    [
        ("euclidean_vectors.bin", "bin", False),
        ("poincare_vectors.bin", "bin", False),
        ("test_glove.txt", "glove", None),
    ],
)
def test_file_to_model_to_file_is_byte_identical(tmp_path, name, format, layout):
    source = Path(gensim_data(name))
    model_dir = convert_word_vectors(source, tmp_path / "model")
    out = export_word_vectors(model_dir, tmp_path / "out", format, newline_after_vector=bool(layout))
    assert out.read_bytes() == source.read_bytes()


def test_gensim_written_text_round_trip_is_byte_identical(tmp_path):
    source = tmp_path / "gensim.txt"
    KeyedVectors.load_word2vec_format(gensim_data("crime-and-punishment.vec")).save_word2vec_format(source)
    model_dir = convert_word_vectors(source, tmp_path / "model")
    assert export_word_vectors(model_dir, tmp_path / "out.txt", "txt").read_bytes() == source.read_bytes()


def test_word2vec_c_layout_round_trip_is_byte_identical(tmp_path, binary_file):
    model_dir = convert_word_vectors(binary_file, tmp_path / "model")
    assert export_word_vectors(model_dir, tmp_path / "out.bin", "bin").read_bytes() == binary_file.read_bytes()


@pytest.mark.parametrize(
    ("format", "gensim_options"), [("bin", {"binary": True}), ("txt", {}), ("glove", {"no_header": True})]
)
def test_exported_files_read_back_in_gensim(tmp_path, format, gensim_options):
    model_dir = convert_word_vectors(gensim_data("crime-and-punishment.vec"), tmp_path / "model")
    out = export_word_vectors(model_dir, tmp_path / f"out.{format}", format)
    reference = KeyedVectors.load_word2vec_format(gensim_data("crime-and-punishment.vec"))
    exported = KeyedVectors.load_word2vec_format(out, **gensim_options)
    assert exported.index_to_key == reference.index_to_key
    np.testing.assert_array_equal(exported.vectors, reference.vectors)


def test_word_vectors_of_a_converted_model_answer_like_gensim(tmp_path):
    model_dir = convert_word_vectors(gensim_data("lee_fasttext.vec"), tmp_path / "model")
    ours = hf_classic.WordVectors.from_pretrained(model_dir)
    reference = KeyedVectors.load_word2vec_format(gensim_data("lee_fasttext.vec"))
    assert [word for word, _ in ours.most_similar("government", topn=5)] == [
        word for word, _ in reference.most_similar("government", topn=5)
    ]


def test_model_vectors_go_to_gensim_with_counts(tmp_path, binary_file):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("".join(f"{word} {9 - index}\n" for index, word in enumerate(WORDS)), encoding="utf-8")
    keyed = model_word_vectors(convert_word_vectors(binary_file, tmp_path / "model", vocab_file=vocab)).to_gensim()
    assert keyed.index_to_key == WORDS
    np.testing.assert_array_equal(keyed.vectors, example_vectors())
    assert [keyed.get_vecattr(word, "count") for word in WORDS] == [9, 8, 7, 6, 5, 4]


def test_special_token_words_in_the_file_are_refused(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(text_rows(["a", "<unk>"], example_vectors(rows=2)))
    with pytest.raises(InputFileError, match=r"row 2: the word '<unk>' is the model's own special token"):
        convert_word_vectors(path, tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_existing_output_is_not_clobbered_without_overwrite(tmp_path, binary_file):
    out = tmp_path / "model"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="pass --overwrite"):
        convert_word_vectors(binary_file, out)
    assert os.listdir(out) == ["keep.txt"]
    convert_word_vectors(binary_file, out, overwrite=True)
    assert "keep.txt" not in os.listdir(out) and (out / "model.safetensors").exists()


def test_cli_convert_and_export(tmp_path, binary_file, run_cli):
    model_dir, out = tmp_path / "model", tmp_path / "out.txt"
    assert run_cli("convert", "word2vec", binary_file, model_dir, "--limit", "4") == 0
    assert AutoTokenizer.from_pretrained(model_dir).convert_ids_to_tokens([2, 5]) == [WORDS[0], WORDS[3]]
    assert run_cli("export", "word2vec", model_dir, out, "--format", "txt") == 0
    table = KeyedVectors.load_word2vec_format(out)
    assert table.index_to_key == WORDS[:4]
    np.testing.assert_array_equal(table.vectors, example_vectors()[:4])


def test_cli_bad_input_exits_2_and_leaves_nothing(tmp_path, run_cli, capsys):
    damaged = tmp_path / "damaged.bin"
    damaged.write_bytes(word2vec_c_binary(WORDS, example_vectors())[:-7])
    before = sorted(os.listdir(tmp_path))
    assert run_cli("convert", "word2vec", damaged, tmp_path / "model") == 2
    assert f"{damaged}: byte " in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == before


def test_cli_existing_outputs_exit_2_unless_overwrite(tmp_path, binary_file, run_cli, capsys):
    model_dir, out = tmp_path / "model", tmp_path / "out.bin"
    assert run_cli("convert", "word2vec", binary_file, model_dir) == 0
    assert run_cli("convert", "word2vec", binary_file, model_dir) == 2
    assert "already exists; pass --overwrite" in capsys.readouterr().err
    assert run_cli("convert", "word2vec", binary_file, model_dir, "--overwrite") == 0
    out.write_bytes(b"old")
    assert run_cli("export", "word2vec", model_dir, out, "--format", "bin") == 2
    assert out.read_bytes() == b"old"
    assert run_cli("export", "word2vec", model_dir, out, "--format", "bin", "--overwrite") == 0
    assert out.read_bytes() == binary_file.read_bytes()


def test_cli_gensim_pickle_needs_allow_pickle(tmp_path, run_cli, capsys):
    source = gensim_data("old_keyedvectors_320.dat")
    assert run_cli("convert", "word2vec", source, tmp_path / "model") == 2
    assert "--allow-pickle" in capsys.readouterr().err
    assert not (tmp_path / "model").exists()
    assert run_cli("convert", "word2vec", source, tmp_path / "model", "--allow-pickle") == 0
    reference = KeyedVectors.load(source)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "model")
    assert tokenizer.word_counts[2:] == [reference.get_vecattr(word, "count") for word in reference.index_to_key]


def test_cli_missing_source_and_model_dir(tmp_path, run_cli, capsys):
    assert run_cli("convert", "word2vec", tmp_path / "none.bin", tmp_path / "model") == 2
    assert "none.bin: vector file does not exist" in capsys.readouterr().err
    assert run_cli("export", "word2vec", tmp_path / "nomodel", tmp_path / "x.bin", "--format", "bin") == 2
    assert "nomodel: model directory does not exist" in capsys.readouterr().err
    assert not (tmp_path / "model").exists() and not (tmp_path / "x.bin").exists()


def test_converted_directory_loads_as_remote_code_without_hf_classic(tmp_path, binary_file):
    out = convert_word_vectors(binary_file, tmp_path / "model")
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["hf_classic"] = None
        import torch
        from transformers import AutoModel, AutoTokenizer
        model = AutoModel.from_pretrained({str(out)!r}, trust_remote_code=True)
        tokenizer = AutoTokenizer.from_pretrained({str(out)!r}, trust_remote_code=True)
        ids = tokenizer("Paris 東京", add_special_tokens=False)["input_ids"]
        print(ids, model(torch.tensor([ids])).last_hidden_state[0].tolist())
        """
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True
    )
    ids, hidden = result.stdout.strip().split("] ", 1)
    assert ids == "[3, 6"
    np.testing.assert_array_equal(np.array(eval(hidden), dtype=np.float32), example_vectors()[[1, 4]])
