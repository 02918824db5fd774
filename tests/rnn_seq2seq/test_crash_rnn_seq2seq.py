"""`hf-classic train seq2seq` killed with SIGKILL (inside a training step, or half-way through writing a checkpoint)
resumes to the model an uninterrupted run gives, bit for bit.

On the CPU with one thread every step is deterministic; a checkpoint holds the weights, the optimizer, the python,
numpy and torch random states (dropout) and the step reached, and transformers' `Trainer` skips the batches of the
interrupted epoch already trained in the same order (the sampler is seeded from the seed and the epoch). The
weights, the kept (best) epoch and the test loss are equal. Not equal: the logged mean training loss of the
interrupted epoch, which transformers averages over the steps run since the resume only.
"""

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from kill_on_call import run_cli
from safetensors.numpy import load_file

from hf_classic.errors import InputFileError
from hf_classic.training.rnn_seq2seq_translation import TranslationTraining, run_record, train_translation

DATA = Path(__file__).parents[1] / "fixtures" / "rnn_seq2seq"
STEPS_PER_EPOCH = 9  # 560 training pairs in batches of 64
OPTIONS = ["--source", str(DATA / "django.en"), "--target", str(DATA / "django.fr"), "--valid-size", "20"]
OPTIONS += ["--test-size", "20", "--embedding-size", "16", "--hidden-size", "32", "--epochs", "2", "--batch-size", "64"]
OPTIONS += ["--num-beams", "1", "--dropout", "0.3", "--checkpoint-every", "0"]
TRAINING_STEP = "transformers.trainer:Trainer.training_step"
SAVE_STATE = "transformers.trainer_callback:TrainerState.save_to_json"


def train_args(output: Path, *extra: str) -> list[str]:
    return ["train", "seq2seq", str(output), *OPTIONS, *extra]


def metrics_of(result: subprocess.CompletedProcess) -> dict:
    return json.loads(result.stdout[result.stdout.rindex("{\n") :])


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    output = tmp_path_factory.mktemp("uninterrupted") / "model"
    result = run_cli(train_args(output))
    assert result.returncode == 0, result.stderr[-2000:]
    return output, metrics_of(result)


def resume_and_check(output: Path, uninterrupted) -> None:
    """Resume from `<output>.checkpoint`: same weights and test loss; nothing else left beside the model."""
    expected_dir, expected_metrics = uninterrupted
    resumed = run_cli(train_args(output, "--resume-from", str(output.with_name("model.checkpoint"))))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    expected, got = load_file(expected_dir / "model.safetensors"), load_file(output / "model.safetensors")
    assert expected.keys() == got.keys()
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    metrics = metrics_of(resumed)
    assert metrics["test_loss"] == expected_metrics["test_loss"]
    assert metrics["first_train_loss"] == expected_metrics["first_train_loss"]
    assert sorted(path.name for path in output.parent.iterdir()) == ["model"]


def complete_checkpoints(checkpoint_dir: Path) -> dict[int, dict]:
    """`step -> trainer state` of the `checkpoint-<step>` folders."""
    states = {}
    for folder in checkpoint_dir.glob("checkpoint-*"):
        states[int(folder.name.split("-")[1])] = json.loads((folder / "trainer_state.json").read_text())
    return states


def test_kill_inside_a_training_step_then_resume_gives_the_uninterrupted_model(tmp_path, uninterrupted):
    output = tmp_path / "model"
    kill_at = STEPS_PER_EPOCH + 5  # the 5th step of the second epoch: 4 of its steps are checkpointed
    killed = run_cli(train_args(output), (TRAINING_STEP, kill_at, "before"))
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert not output.exists()
    states = complete_checkpoints(tmp_path / "model.checkpoint")
    assert max(states) == STEPS_PER_EPOCH + 4
    assert states[max(states)]["best_model_checkpoint"].endswith(f"checkpoint-{STEPS_PER_EPOCH}")
    resume_and_check(output, uninterrupted)


def test_kill_while_writing_a_checkpoint_leaves_only_whole_ones(tmp_path, uninterrupted):
    """Killed on the 12th checkpoint after its weights, optimizer and random states are written, before its
    `trainer_state.json`: every `checkpoint-<step>` folder is whole, the half-written one is a hidden temporary
    that the resumed run removes."""
    output = tmp_path / "model"
    killed = run_cli(train_args(output), (SAVE_STATE, 12, "before"))
    assert killed.returncode == -9, killed.stderr[-2000:]
    checkpoint_dir = tmp_path / "model.checkpoint"
    states = complete_checkpoints(checkpoint_dir)
    assert STEPS_PER_EPOCH < max(states) < 2 * STEPS_PER_EPOCH
    for step, state in states.items():
        assert state["global_step"] == step
        assert (checkpoint_dir / f"checkpoint-{step}" / "model.safetensors").is_file()
    (partial,) = checkpoint_dir.glob(".checkpoint-*.tmp")
    assert int(partial.name.split(".")[1].split("-")[1]) == max(states) + 1
    assert (partial / "optimizer.pt").is_file() and not (partial / "trainer_state.json").exists()
    resume_and_check(output, uninterrupted)


def test_resume_refuses_other_data_or_options(tmp_path):
    train, valid, test = [("a b", "c d")] * 4, [("e", "f")], [("g", "h")]
    options = TranslationTraining(epochs=2)
    checkpoint = tmp_path / "model.checkpoint" / "checkpoint-3"
    checkpoint.mkdir(parents=True)
    (checkpoint / "trainer_state.json").write_text("{}")
    (checkpoint / "run.json").write_text(json.dumps(run_record(train, valid, test, {"cell": "gru"}, options)))
    for changed, message in [
        ((train[:3], valid, test, {"cell": "gru"}, options), "checkpoint was made with data.sha256="),
        ((train, valid, test, {"cell": "lstm"}, options), "model.cell='gru', not 'lstm'"),
        ((train, valid, test, {"cell": "gru"}, TranslationTraining(epochs=3)), "training.epochs=2, not 3"),
    ]:
        with pytest.raises(InputFileError, match=re.escape(message)):
            train_translation(*changed, tmp_path / "model", resume_from=checkpoint.parent)
    assert not (tmp_path / "model").exists()
    assert {path.name for path in tmp_path.iterdir()} == {"model.checkpoint"}
