"""ELMo, GPT and BERT runs (the families `StreamingTrainer` trains) killed with SIGKILL, inside a training step or
half-way through writing a checkpoint, resume to the model of the uninterrupted run, bit for bit.

Each killed run is a process of its own (`lm_kill_driver.killed_run`, forked by a multiprocessing fork server that
imported torch and transformers once, instead of paying seconds of imports a run) that kills itself at an exact
point: one function of torch, transformers or the package is wrapped to send SIGKILL on its Nth call (no hook in
the package), so nothing of the package runs after it: no `finally`, no `atexit`.
On the CPU with one thread the runs are deterministic: the examples and their order are regenerated from the seed,
the epoch and the batches done, and a checkpoint holds everything else the rest of the run depends on (weights,
optimizer state, the random states of torch, numpy and Python), so `torch.equal` holds for every tensor of the
state dict, with dropout, ELMo's sampled softmax and BERT's masking and random pairs all drawing.
"""

import json
import multiprocessing
import signal
import sys
from pathlib import Path

import pytest
import torch

from hf_classic.errors import InputFileError
from hf_classic.training.lm_trainer import TRAINING_STATE_FILE
from hf_classic.training.transformer_pretraining import build_tokenizer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lm_kill_driver import FAMILIES, MAX_STEPS, killed_run, train, transformer_arguments  # noqa: E402

PRELOAD = ["torch", "transformers", "accelerate", "hf_classic.training.elmo_trainer", "lm_kill_driver"]
PRELOAD += ["hf_classic.training.transformer_pretraining", "transformers.models.gpt2", "transformers.models.bert"]
IN_A_STEP = ("accelerate.accelerator:Accelerator.clip_grad_norm_", 6, "before")  # step 6: after backward, before update
# (function, call, when, steps of the checkpoint folder left) that kill the 4th checkpoint's writing at some point
WHILE_WRITING = {
    "weights-written": ("transformers.modeling_utils:safe_save_file", 4, "after", 3),
    "all-but-progress-written": ("hf_classic.training.checkpoints:JsonState.to_json", 4, "before", 3),
    "complete-not-renamed": ("hf_classic.utils.atomic:_move_into_place", 4, "before", 3),
    "swapped-in-old-not-removed": ("hf_classic.utils.atomic:_renameat2", 3, "after", 4),
}
FAST = {("elmo", "weights-written"), ("gpt", "all-but-progress-written"), ("bert", "complete-not-renamed")}


class Runs:
    """The corpus, the GPT and BERT tokenizers and the uninterrupted runs, each made on first use."""

    def __init__(self, corpus: Path, root: Path):
        self.corpus, self.root = corpus, root
        self.processes = multiprocessing.get_context("forkserver")
        self.processes.set_forkserver_preload(PRELOAD)
        self.tokenizers: dict[str, Path | None] = {"elmo": None}
        self.references: dict[str, tuple[dict, dict]] = {}

    def tokenizer(self, family: str) -> Path | None:
        if family not in self.tokenizers:
            folder = self.root / f"tokenizer-{family}"
            build_tokenizer(transformer_arguments(family, self.corpus)).save_pretrained(folder)
            self.tokenizers[family] = folder
        return self.tokenizers[family]

    def reference(self, family: str) -> tuple[dict, dict]:
        """`(state dict, summary)` of the uninterrupted run (without checkpoints)."""
        if family not in self.references:
            model, summary = train(family, self.corpus, self.tokenizer(family))
            self.references[family] = ({name: tensor.clone() for name, tensor in model.state_dict().items()}, summary)
        return self.references[family]

    def kill(self, family: str, checkpoint: Path, target: str, call: int, when: str) -> None:
        """Run `family` with checkpoints in `checkpoint` in a process of its own that SIGKILLs itself on the
        `call`th call of `target` (`when`: before or after it)."""
        log = self.root / f"{checkpoint.parent.name}.log"
        arguments = (family, self.corpus, self.tokenizer(family), checkpoint, (target, call, when), log)
        process = self.processes.Process(target=killed_run, args=arguments)
        process.start()
        process.join(timeout=300)
        if process.is_alive():
            process.kill()
        assert process.exitcode == -signal.SIGKILL, log.read_text()[-3000:]

    def resume_and_compare(self, family: str, checkpoint: Path) -> None:
        """Resume from `checkpoint` (writing the next checkpoints there); the model and the summary's counts must be
        the uninterrupted run's, and nothing but the checkpoint folder may be left beside it."""
        names = sorted(path.name for path in checkpoint.iterdir())
        model, summary = train(family, self.corpus, self.tokenizer(family), checkpoint, resume=True)
        expected, expected_summary = self.reference(family)
        found = model.state_dict()
        assert found.keys() == expected.keys()
        for name, tensor in expected.items():
            assert torch.equal(found[name], tensor), name
        for key in ("steps", "tokens", "loss_per_epoch", "final_loss"):
            assert summary.get(key) == expected_summary.get(key), key
        assert steps_of(checkpoint) == MAX_STEPS and sorted(path.name for path in checkpoint.iterdir()) == names
        assert sorted(path.name for path in checkpoint.parent.iterdir()) == [checkpoint.name]


def steps_of(checkpoint: Path) -> int:
    return json.loads((checkpoint / TRAINING_STATE_FILE).read_text())["steps"]


@pytest.fixture(scope="module")
def runs(kjv_chapters_slice, tmp_path_factory) -> Runs:
    return Runs(kjv_chapters_slice, tmp_path_factory.mktemp("crash-resume"))


@pytest.mark.parametrize("family", FAMILIES)
def test_kill_inside_a_training_step_then_resume_gives_the_uninterrupted_model(family, runs, tmp_path):
    """Killed in step 6, between the checkpoints of steps 5 and 6: the folder holds step 5, nothing else is left."""
    checkpoint = tmp_path / "checkpoint"
    runs.kill(family, checkpoint, *IN_A_STEP)
    assert steps_of(checkpoint) == 5
    assert sorted(path.name for path in tmp_path.iterdir()) == ["checkpoint"]
    runs.resume_and_compare(family, checkpoint)


@pytest.mark.parametrize(
    ("family", "moment"),
    [
        pytest.param(family, moment, marks=() if (family, moment) in FAST else pytest.mark.slow)
        for family in FAMILIES
        for moment in WHILE_WRITING
    ],
)
def test_kill_while_writing_a_checkpoint_leaves_a_whole_one_and_resumes_to_the_uninterrupted_model(
    family, moment, runs, tmp_path
):
    """Killed at `moment` of writing the 4th checkpoint: the checkpoint folder is a whole one (the 3rd, or the 4th
    once it is swapped in), the other is a hidden temporary that no resume reads and the resumed run removes."""
    target, call, when, steps = WHILE_WRITING[moment]
    checkpoint = tmp_path / "checkpoint"
    runs.kill(family, checkpoint, target, call, when)
    assert steps_of(checkpoint) == steps
    (temporary,) = tmp_path.glob(".checkpoint.*.tmp")
    assert (temporary / "model.safetensors").is_file()
    if moment in ("weights-written", "all-but-progress-written"):
        assert not (temporary / TRAINING_STATE_FILE).exists()
        with pytest.raises(InputFileError, match="is not a .* training checkpoint"):
            train(family, runs.corpus, runs.tokenizer(family), temporary, resume=True)
    else:
        assert steps_of(temporary) == 7 - steps  # the 4th checkpoint not renamed yet, or the 3rd swapped out
    runs.resume_and_compare(family, checkpoint)


def test_random_states_survive_a_checkpoint_file(tmp_path):
    """torch's, numpy's and Python's generators draw after a restore what they drew after the capture; a bare
    tensor (a checkpoint of an earlier version) still restores torch's CPU state."""
    import random

    import numpy as np

    from hf_classic.training.random_state import capture_random_states, restore_random_states

    def draws():
        return torch.rand(3).tolist(), np.random.rand(3).tolist(), np.random.randn(), random.random()

    torch.manual_seed(1)
    np.random.seed(2)
    random.seed(3)
    np.random.randn()  # numpy's state now holds a cached gaussian
    torch.save([capture_random_states()], tmp_path / "random_state.pt")
    expected = draws()
    restore_random_states(torch.load(tmp_path / "random_state.pt", weights_only=True)[0])
    assert draws() == expected
    torch.save(torch.get_rng_state().unsqueeze(0), tmp_path / "old.pt")
    expected = torch.rand(3)
    restore_random_states(torch.load(tmp_path / "old.pt", weights_only=True)[0])
    assert torch.equal(torch.rand(3), expected)


def test_a_checkpoint_is_fsynced_before_it_is_renamed_into_place(runs, tmp_path, monkeypatch):
    """Every file and folder of the checkpoint reaches the disk before the rename publishes it, and the folder
    holding the rename after it: a power cut cannot leave a checkpoint of empty files."""
    import os

    from hf_classic.utils import atomic

    events = []
    fsync, move_into_place = os.fsync, atomic._move_into_place

    def recording_fsync(descriptor):
        events.append(("fsync", Path(os.readlink(f"/proc/self/fd/{descriptor}"))))
        fsync(descriptor)

    def recording_move(tmp, path, overwrite):
        events.append(("rename", tmp))
        move_into_place(tmp, path, overwrite)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(atomic, "_move_into_place", recording_move)
    monkeypatch.setattr("lm_kill_driver.MAX_STEPS", 1)
    checkpoint = tmp_path / "checkpoint"
    train("elmo", runs.corpus, None, checkpoint)
    (rename,) = [index for index, (kind, _) in enumerate(events) if kind == "rename"]
    tmp = events[rename][1]
    synced = {path.relative_to(tmp) for _, path in events[:rename] if path.is_relative_to(tmp)}
    assert synced == {Path("."), *(path.relative_to(checkpoint) for path in checkpoint.rglob("*"))}
    assert ("fsync", tmp_path) in events[rename + 1 :]
