"""Interrupted runs resume to the same result; several processes train one model as good as one process's."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from safetensors.numpy import load_file
from transformers import AutoModel

from hf_classic.data import ANALOGIES, data_path
from hf_classic.word2vec import Word2VecTokenizer, WordVectors

COMMON = ["--workers", "1", "--epochs", "2", "--vector-size", "32", "--block-lines", "1500", "--no-progress"]


def pretrain(kjv_path, output, *extra):
    return [
        sys.executable,
        "-m",
        "hf_classic",
        "pretrain",
        "word2vec",
        "--corpus",
        str(kjv_path),
        "--output",
        str(output),
        *COMMON,
        *extra,
    ]


@pytest.mark.slow
def test_kill_mid_epoch_then_resume_gives_the_uninterrupted_result(tmp_path, kjv_path):
    """SIGKILL from outside at an arbitrary moment of the first epoch, on the whole KJV (the fast suite kills at
    exact points on a small corpus: test_crash_word2vec.py)."""
    reference = tmp_path / "reference"
    subprocess.run(pretrain(kjv_path, reference), check=True, capture_output=True, timeout=600)

    output, checkpoint = tmp_path / "model", tmp_path / "model.checkpoint"
    process = subprocess.Popen(
        pretrain(kjv_path, output, "--checkpoint-every", "0"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    state_file = checkpoint / "training_state.json"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if state_file.exists() and json.loads(state_file.read_text())["blocks_done"] >= 5:
            break
        time.sleep(0.05)
    assert process.poll() is None, "training ended before it could be interrupted"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not output.exists()
    state = json.loads(state_file.read_text())
    assert state["epoch"] == 0 and 0 < state["blocks_done"] < 21
    assert AutoModel.from_pretrained(checkpoint).embeddings.weight.shape[1] == 32

    resumed = subprocess.run(
        pretrain(kjv_path, output, "--resume-from", str(checkpoint)), capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert not checkpoint.exists()
    expected, got = load_file(reference / "model.safetensors"), load_file(output / "model.safetensors")
    assert expected.keys() == got.keys()
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)


def test_resume_refuses_a_different_corpus(tmp_path, kjv_path):
    output = tmp_path / "model"
    subprocess.run(
        pretrain(
            kjv_path, output, "--checkpoint-dir", str(tmp_path / "ckpt"), "--checkpoint-every", "0", "--epochs", "1"
        ),
        check=True,
        capture_output=True,
        timeout=600,
    )
    other = tmp_path / "other.txt"
    other.write_text("a b c a b c\n" * 10, encoding="utf-8")
    shutil.copytree(output, tmp_path / "ckpt")
    (tmp_path / "ckpt" / "training_state.json").write_text(json.dumps({"corpus": [["kjv.txt.gz", 1]]}))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hf_classic",
            "pretrain",
            "word2vec",
            "--corpus",
            str(other),
            "--output",
            str(tmp_path / "again"),
            "--resume-from",
            str(tmp_path / "ckpt"),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 2
    assert "checkpoint was made on corpus" in result.stderr and "same --corpus" in result.stderr


def launch_two_processes(*arguments: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """`hf-classic ARGUMENTS` in two CPU processes under `accelerate launch`."""
    pytest.importorskip("accelerate")
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2"]
    launch += ["--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "hf_classic"]
    return subprocess.run([*launch, *arguments], capture_output=True, text=True, timeout=timeout)


def test_two_processes_train_one_model_as_good_as_one_process(tmp_path, kjv_path, trained_skipgram):
    output = tmp_path / "model"
    training = ["--workers", "1", "--epochs", "3", "--vector-size", "50", "--no-progress"]
    result = launch_two_processes("pretrain", "word2vec", "--corpus", str(kjv_path), "--output", str(output), *training)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("trained 3 epochs") == 1
    summary = json.loads((output / "training_summary.json").read_text())
    assert summary["processes"] == 2
    two = WordVectors.from_pretrained(output).evaluate_word_analogies(data_path(ANALOGIES)).accuracy
    model, tokenizer, _ = trained_skipgram
    # Each process counted its own share of the lines; the vocabulary is the one process's, counts and order alike.
    shared = Word2VecTokenizer.from_pretrained(output)
    assert shared.get_vocab() == tokenizer.get_vocab() and shared.word_counts == tokenizer.word_counts
    one = model.word2vec.word_vectors(tokenizer).evaluate_word_analogies(data_path(ANALOGIES)).accuracy
    # Each process's updates are added to the others' every 1024 lines (Hogwild across processes). Seeds 1-4: two
    # processes 0.064, 0.055, 0.053, 0.053 (mean 0.056); one process 0.056, 0.062, 0.047, 0.072 (mean 0.059). The
    # seed-to-seed spread of one process is ±0.01, hence the margin.
    assert two >= 0.85 * one and two > 0.045


def test_an_error_in_the_main_processs_vocabulary_pass_stops_every_process(tmp_path):
    """Only the main process looks for the candidate words; the other must fail with it, not wait forever."""
    corpus = tmp_path / "blank.txt"
    corpus.write_text("\n  \n\n", encoding="utf-8")
    output = tmp_path / "model"
    result = launch_two_processes(
        "pretrain", "word2vec", "--corpus", str(corpus), "--output", str(output), "--no-progress", timeout=300
    )
    assert result.returncode != 0
    assert result.stderr.count("blank.txt: the corpus has no words (3 lines read)") == 2
    assert not output.exists()
