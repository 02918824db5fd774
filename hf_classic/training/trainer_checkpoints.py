"""Crash-safe checkpoints for transformers' `Trainer`: each `checkpoint-<step>` folder appears whole or not at all.

transformers writes a checkpoint's files straight into `checkpoint-<step>`, so a run killed while saving leaves a
half-written folder that `get_last_checkpoint` would pick. `AtomicCheckpoints` writes the same files (weights,
tokenizer, optimizer, scheduler, random states, `trainer_state.json`) plus a `run.json` that names the data and
options of the run into a temporary sibling and renames it into place when complete (`utils.atomic`); the names
of temporaries never match `checkpoint-<step>`, so a resume only ever sees whole checkpoints. `SaveEverySeconds`
adds checkpoints inside an epoch. One process on one device, as `train_translation` runs it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from transformers import TrainerCallback
from transformers.trainer_callback import ExportableState
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, get_last_checkpoint, rotate_checkpoints

from ..errors import InputFileError
from ..utils.atomic import atomic_output_dir

TRAINER_STATE_FILE = "trainer_state.json"
RUN_FILE = "run.json"


class AtomicCheckpoints:
    """Mixin for a `transformers.Trainer` (listed before it): checkpoints written in a temporary folder and renamed.

    `run_record` (a JSON-able dict: the data fingerprint and options) is saved in each checkpoint as `run.json`;
    a resume compares it with its own (`check_run_record`).
    """

    run_record: dict = {}

    def _save_checkpoint(self, model, trial) -> None:
        """Write `checkpoint-<global step>` under `args.output_dir` atomically, then drop older ones (the best kept)."""
        self.store_flos()
        run_dir = Path(self.args.output_dir)
        final = run_dir / f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        best_step = self.state.best_global_step
        if best_step:
            best = run_dir / f"{PREFIX_CHECKPOINT_DIR}-{best_step}"
            if best_step == self.state.global_step or best.is_dir():
                self.state.best_model_checkpoint = str(best)
        with atomic_output_dir(final, overwrite=True) as tmp:
            self.save_model(str(tmp), _internal_call=True)
            self._save_optimizer_and_scheduler(str(tmp))
            self._save_scaler(str(tmp))
            self._save_rng_state(str(tmp))
            for callback in [*self.callback_handler.callbacks, self.control]:
                if isinstance(callback, ExportableState):
                    self.state.stateful_callbacks[type(callback).__name__] = callback.state()
            self.state.save_to_json(str(tmp / TRAINER_STATE_FILE))
            (tmp / RUN_FILE).write_text(json.dumps(self.run_record, indent=2) + "\n", encoding="utf-8")
        rotate_checkpoints(
            output_dir=str(run_dir),
            save_total_limit=self.args.save_total_limit,
            best_model_checkpoint=self.state.best_model_checkpoint,
        )


class SaveEverySeconds(TrainerCallback):
    """Ask for a checkpoint at the end of the first optimizer step `seconds` after the last one (0: every step)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.last_save = time.monotonic()

    def on_step_end(self, args, state, control, **kwargs):
        if time.monotonic() - self.last_save >= self.seconds:
            control.should_save = True
        return control

    def on_save(self, args, state, control, **kwargs):
        self.last_save = time.monotonic()
        return control


def latest_checkpoint(path: str | os.PathLike) -> Path:
    """The checkpoint to resume from: `path` itself when it is a `checkpoint-<step>` folder, else the one with the
    highest step inside `path`; `InputFileError` when there is none."""
    path = Path(path)
    if (path / TRAINER_STATE_FILE).is_file():
        return path
    found = get_last_checkpoint(path) if path.is_dir() else None
    if found is None:
        raise InputFileError(f"{path}: no {PREFIX_CHECKPOINT_DIR}-<step> folder with a {TRAINER_STATE_FILE} to resume")
    return Path(found)


def check_run_record(checkpoint: Path, record: dict) -> None:
    """Refuse to resume `checkpoint` with other data or options than those it was made with (`run.json`)."""
    run_file = checkpoint / RUN_FILE
    try:
        saved = json.loads(run_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InputFileError(f"{run_file}: not a readable record of the run ({error})") from None
    record = json.loads(json.dumps(record))
    for key in sorted(set(saved) | set(record)):
        if saved.get(key) != record.get(key):
            raise InputFileError(
                f"{checkpoint}: checkpoint was made with {key}={saved.get(key)!r}, not {record.get(key)!r}; "
                "resume with the same data and options"
            )
