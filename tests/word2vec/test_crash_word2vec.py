"""A word2vec run killed with SIGKILL (inside a training block, or half-way through writing a checkpoint) resumes
to the model an uninterrupted run gives, bit for bit.

The numba kernel on one thread is deterministic: its random numbers are seeded from the seed and the number of
words done, and a checkpoint holds everything else the rest of the run depends on (weights, vocabulary, progress),
so equality is exact. The torch kernel on the CPU seeds its generator the same way and is exact too.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from kill_on_call import run_cli
from safetensors.numpy import load_file

from hf_classic.data import KJV_CORPUS, data_path
from hf_classic.training.corpus import stream_line_batches

BLOCKS_PER_EPOCH = 20
OPTIONS = ["--workers", "1", "--epochs", "2", "--vector-size", "16", "--block-lines", "50", "--min-count", "2"]
OPTIONS += ["--no-progress", "--checkpoint-every", "0"]
KERNELS = {"numba": "hf_classic.training.word2vec_kernels:train_sentences"}
KERNELS["torch"] = "hf_classic.training.word2vec_torch:train_block"


def pretrain_args(corpus: Path, output: Path, *extra: str) -> list[str]:
    return ["pretrain", "word2vec", "--corpus", str(corpus), "--output", str(output), *OPTIONS, *extra]


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> Path:
    """The first 1,000 lines of the shipped King James Bible: 20 blocks of 50 lines."""
    path = tmp_path_factory.mktemp("corpus") / "kjv-1000.txt"
    lines = [line for batch in stream_line_batches([str(data_path(KJV_CORPUS))]) for line in batch][:1000]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def uninterrupted(small_corpus, tmp_path_factory):
    """`backend -> model folder` of uninterrupted runs, made on first use."""
    made = {}

    def model(backend: str) -> Path:
        if backend not in made:
            output = tmp_path_factory.mktemp(f"uninterrupted-{backend}") / "model"
            result = run_cli(pretrain_args(small_corpus, output, "--backend", backend))
            assert result.returncode == 0, result.stderr[-2000:]
            made[backend] = output
        return made[backend]

    return model


def assert_same_model(got: Path, expected: Path) -> None:
    expected_weights, got_weights = load_file(expected / "model.safetensors"), load_file(got / "model.safetensors")
    assert expected_weights.keys() == got_weights.keys()
    for name in expected_weights:
        np.testing.assert_array_equal(got_weights[name], expected_weights[name], err_msg=name)
    expected_summary = json.loads((expected / "training_summary.json").read_text())
    got_summary = json.loads((got / "training_summary.json").read_text())
    for key in ("loss_per_epoch", "effective_words", "corpus_words"):
        assert got_summary[key] == expected_summary[key], key


def resume_and_check(corpus: Path, output: Path, expected: Path, *extra: str) -> None:
    """Resume from `<output>.checkpoint`; the model must equal `expected` and nothing else may be left beside it."""
    checkpoint = output.with_name("model.checkpoint")
    resumed = run_cli(pretrain_args(corpus, output, "--resume-from", str(checkpoint), *extra))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert_same_model(output, expected)
    assert sorted(path.name for path in output.parent.iterdir()) == ["model"]


def checkpoint_state(output: Path) -> dict:
    return json.loads((output.with_name("model.checkpoint") / "training_state.json").read_text())


@pytest.mark.parametrize("backend", ["numba", pytest.param("torch", marks=pytest.mark.slow)])
def test_kill_inside_a_training_block_then_resume_gives_the_uninterrupted_model(
    backend, small_corpus, uninterrupted, tmp_path
):
    output = tmp_path / "model"
    kill_at = BLOCKS_PER_EPOCH + 7  # the 8th block of the second epoch, after 6 of its blocks were checkpointed
    killed = run_cli(pretrain_args(small_corpus, output, "--backend", backend), (KERNELS[backend], kill_at, "before"))
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert not output.exists()
    state = checkpoint_state(output)
    assert (state["epoch"], state["blocks_done"]) == (1, 6)
    assert len(state["loss_per_epoch"]) == 1
    resume_and_check(small_corpus, output, uninterrupted(backend), "--backend", backend)


def test_kill_while_writing_a_checkpoint_leaves_the_previous_one_whole(small_corpus, uninterrupted, tmp_path):
    """Killed on the 10th checkpoint after its weights and vocabulary are written, before its progress file: the
    checkpoint folder is still the 9th, whole; the half-written one is a hidden temporary the resumed run removes."""
    output = tmp_path / "model"
    to_json = ("hf_classic.training.checkpoints:JsonState.to_json", 10, "before")
    killed = run_cli(pretrain_args(small_corpus, output), to_json)
    assert killed.returncode == -9, killed.stderr[-2000:]
    checkpoint = tmp_path / "model.checkpoint"
    assert checkpoint_state(output)["blocks_done"] == 9
    assert {path.name for path in checkpoint.iterdir()} >= {"model.safetensors", "config.json", "tokenizer.json"}
    (partial,) = tmp_path.glob(".model.checkpoint.*.tmp")
    assert (partial / "model.safetensors").is_file() and not (partial / "training_state.json").exists()
    resume_and_check(small_corpus, output, uninterrupted("numba"))


@pytest.mark.slow
def test_kill_while_writing_the_first_checkpoint_leaves_none(small_corpus, uninterrupted, tmp_path):
    """Killed writing the very first checkpoint: there is no checkpoint folder (not a partial one), and a fresh
    run over the leftovers gives the uninterrupted model."""
    output = tmp_path / "model"
    killed = run_cli(
        pretrain_args(small_corpus, output), ("hf_classic.training.checkpoints:JsonState.to_json", 1, "before")
    )
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert not (tmp_path / "model.checkpoint").exists()
    assert len(list(tmp_path.glob(".model.checkpoint.*.tmp"))) == 1
    again = run_cli(pretrain_args(small_corpus, output))
    assert again.returncode == 0, again.stderr[-2000:]
    assert_same_model(output, uninterrupted("numba"))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]
