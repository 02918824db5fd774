"""Every command, run as a user would, on good and bad input."""

import json
import subprocess
import sys

import pytest
from transformers import AutoModel, AutoTokenizer

from hf_classic.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hf_classic", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("in the beginning god created the heaven and the earth\n" * 30, encoding="utf-8")
    return path


def leftovers(folder):
    return [path.name for path in folder.iterdir() if path.name.startswith(".")]


def test_pretrain_writes_a_model_that_auto_classes_load(tmp_path, corpus):
    output = tmp_path / "model"
    status = main(
        [
            "pretrain",
            "word2vec",
            "--corpus",
            str(corpus),
            "--output",
            str(output),
            "--vector-size",
            "16",
            "--min-count",
            "1",
            "--epochs",
            "1",
            "--no-progress",
        ]
    )
    assert status == 0
    assert AutoModel.from_pretrained(output).embeddings.weight.shape == (2 + 8, 16)
    assert AutoTokenizer.from_pretrained(output).word_counts[2] == 90  # "the"
    summary = json.loads((output / "training_summary.json").read_text())
    assert summary["corpus_words"] == 300 and summary["kernel"] == "numba-hogwild"
    assert leftovers(tmp_path) == []


def test_existing_output_is_kept_without_overwrite(tmp_path, corpus, capsys):
    output = tmp_path / "model"
    output.mkdir()
    (output / "keep.txt").write_text("mine")
    status = main(
        ["pretrain", "word2vec", "--corpus", str(corpus), "--output", str(output), "--min-count", "1", "--no-progress"]
    )
    assert status == 2
    assert "output already exists; pass --overwrite" in capsys.readouterr().err
    assert (output / "keep.txt").read_text() == "mine"
    status = main(
        [
            "pretrain",
            "word2vec",
            "--corpus",
            str(corpus),
            "--output",
            str(output),
            "--min-count",
            "1",
            "--epochs",
            "1",
            "--overwrite",
            "--no-progress",
        ]
    )
    assert status == 0 and not (output / "keep.txt").exists() and (output / "model.safetensors").exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "content", "extra", "message"),
    [
        ("missing.txt", None, [], "missing.txt: corpus file does not exist"),
        ("empty.txt", "", [], "empty.txt: corpus file is empty"),
        ("blank.txt", "\n \n", [], "the corpus has no words"),
        ("c.txt", "a b a b\n", ["--window", "0"], "window=0"),
        ("c.txt", "a b a b\n", ["--min-count", "9"], "min_count=9"),
    ],
)
def test_bad_input_exits_non_zero_naming_the_problem(tmp_path, name, content, extra, message):
    corpus = tmp_path / name
    if content is not None:
        corpus.write_text(content, encoding="utf-8")
    output = tmp_path / "out"
    result = run_cli(
        "pretrain",
        "word2vec",
        "--corpus",
        str(corpus),
        "--output",
        str(output),
        "--min-count",
        "1",
        "--no-progress",
        *extra,
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not output.exists() and leftovers(tmp_path) == []


def test_unknown_option_value_is_rejected_listing_the_choices(tmp_path, corpus):
    result = run_cli(
        "pretrain", "word2vec", "--corpus", str(corpus), "--output", str(tmp_path / "o"), "--architecture", "glove"
    )
    assert result.returncode == 2
    assert "invalid choice: 'glove' (choose from skipgram, cbow)" in result.stderr.replace(
        "'skipgram', 'cbow'", "skipgram, cbow"
    )


def test_evaluate_prints_scores_as_json(tmp_path, trained_skipgram):
    model, tokenizer, _ = trained_skipgram
    model.save_pretrained(tmp_path / "m")
    tokenizer.save_pretrained(tmp_path / "m")
    result = run_cli("evaluate", "word2vec", str(tmp_path / "m"), "--json")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["analogy_answered"] > 800 and 0 < scores["analogy_accuracy"] < 1
    assert scores["word_pairs_used"] > 40 and -1 <= scores["word_pairs_spearman"] <= 1


def test_evaluate_missing_model_dir_and_missing_test_file(tmp_path, trained_skipgram):
    result = run_cli("evaluate", "word2vec", str(tmp_path / "nothing"))
    assert result.returncode == 2 and "nothing: model directory does not exist" in result.stderr
    model, tokenizer, _ = trained_skipgram
    model.save_pretrained(tmp_path / "m")
    tokenizer.save_pretrained(tmp_path / "m")
    result = run_cli("evaluate", "word2vec", str(tmp_path / "m"), "--analogies", str(tmp_path / "q.txt"))
    assert result.returncode == 2 and "q.txt: analogy file does not exist" in result.stderr


def test_demo_runs_end_to_end(tmp_path):
    output = tmp_path / "demo"
    result = run_cli("demo", "--output", str(output), "--epochs", "1", "--vector-size", "32", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "analogy accuracy" in result.stdout and "Nearest neighbours" in result.stdout
    assert "weights identical: True" in result.stdout
    png = (output / "word_map.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 50_000


def test_backend_torch_trains_on_the_cpu_and_says_so(tmp_path, corpus):
    output = tmp_path / "model"
    status = main(
        ["pretrain", "word2vec", "--corpus", str(corpus), "--output", str(output), "--min-count", "1"]
        + ["--epochs", "1", "--vector-size", "8", "--backend", "torch", "--no-progress"]
    )
    assert status == 0
    summary = json.loads((output / "training_summary.json").read_text())
    assert summary["kernel"] == "torch-cpu" and summary["device"] == "cpu"
    assert AutoModel.from_pretrained(output).embeddings.weight.shape == (2 + 8, 8)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--backend", "jax"], "invalid choice: 'jax'"),
        (["--device", "tpu"], "invalid choice: 'tpu'"),
        (["--device", "cuda"], "device='cuda': no cuda device is available here"),
        (["--batch-size", "0"], "batch_size=0: expected an integer >= 1"),
        (["--block-lines", "0"], "block_lines=0: expected an integer >= 1"),
        (["--merge-lines", "-5"], "merge_lines=-5: expected an integer >= 1"),
        (["--token-cache-mb", "-1"], "argument --token-cache-mb: expected an integer >= 0, got -1"),
        (["--token-cache-dir", "/nonexistent-dir"], "token_cache_dir='/nonexistent-dir': not an existing directory"),
    ],
)
def test_bad_device_or_backend_is_rejected_with_a_message(tmp_path, corpus, extra, message):
    if extra == ["--device", "cuda"] and __import__("torch").cuda.is_available():
        pytest.skip("this machine has a GPU")
    output = tmp_path / "o"
    result = run_cli(
        "pretrain", "word2vec", "--corpus", str(corpus), "--output", str(output), "--min-count", "1", *extra
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr and not output.exists()
