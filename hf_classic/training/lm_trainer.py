"""The loop every streamed language-model pre-training shares: epochs of batches under Accelerate, checkpoints
every N seconds, and a resume that continues the run exactly where it stopped.

A family's trainer subclasses `StreamingTrainer` and supplies `_batches(skip)` (this process's batches of one
epoch, the first `skip` left out, regenerated identically on every call) and `_step(batch)` (one optimizer
step). A checkpoint holds the model, tokenizer, optimizer, every process's random states (torch CPU and CUDA,
numpy, Python) and the progress (`TrainingState` as JSON); `restore` reads one back and refuses another corpus or
another number of processes. A checkpoint folder is built beside its path, fsynced, and swapped in whole
(`atomic_output_dir`): a run killed at any moment, even half-way through a checkpoint, leaves the previous
checkpoint complete, and resuming it gives the model the uninterrupted run would have given.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from ..hub import write_model_card
from ..utils.atomic import atomic_output_dir
from ..utils.durable import sync_directory, sync_tree
from .checkpoints import JsonState, check_same_run, corpus_fingerprint
from .random_state import capture_random_states, restore_random_states

TRAINING_STATE_FILE = "training_state.json"
TRAINING_SUMMARY_FILE = "training_summary.json"
OPTIMIZER_FILE = "optimizer.pt"
RANDOM_STATE_FILE = "random_state.pt"


@dataclass
class TrainingState(JsonState):
    """Progress of a run, saved in checkpoints."""

    epoch: int = 0
    batches_done: int = 0
    steps: int = 0
    tokens: int = 0
    seconds: float = 0.0
    loss_per_epoch: list[float] = field(default_factory=list)
    loss_sum: float = 0.0
    loss_steps: int = 0
    processes: int = 1
    corpus: list[list] = field(default_factory=list)


class StreamingTrainer:
    """Runs the epochs of a pre-training whose batches are streamed from `args.corpus`.

    Args:
        model: the model to train (wrapped by `accelerator.prepare` with `optimizer`).
        tokenizer: saved with every checkpoint.
        optimizer: a torch optimizer over `model`'s parameters.
        args: a family's training arguments, with at least `corpus`, `epochs`, `max_steps`, `max_seconds`, `progress`,
            `checkpoint_dir` and `checkpoint_every_seconds`.
        accelerator: an `accelerate.Accelerator`.
    """

    state_class: type[TrainingState] = TrainingState
    family = "language model"

    def __init__(self, model, tokenizer, optimizer, args, accelerator):
        self.accelerator = accelerator
        self.args = args
        self.tokenizer = tokenizer
        self.model, self.optimizer = self.accelerator.prepare(model, optimizer)
        self.state = self.state_class()

    @property
    def unwrapped(self):
        return self.accelerator.unwrap_model(self.model)

    def restore(self, path: Path) -> None:
        """Continue from the checkpoint folder `path`: progress, optimizer and this process's random states."""
        self.state = self.state_class.from_json(path / TRAINING_STATE_FILE)
        check_same_run(path, self.state.corpus, self.args.corpus, self.state.processes, self.accelerator.num_processes)
        self.optimizer.load_state_dict(torch.load(path / OPTIMIZER_FILE, weights_only=True))
        random_states = torch.load(path / RANDOM_STATE_FILE, weights_only=True)
        restore_random_states(random_states[self.accelerator.process_index])

    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Write model, tokenizer, optimizer, every process's random states and progress to `path`: built in a
        temporary sibling, fsynced, then swapped in whole (the progress file is written last)."""
        from accelerate.utils import gather_object

        random_states = gather_object([capture_random_states()])
        if not self.accelerator.is_main_process:
            return
        with atomic_output_dir(path, overwrite=True) as tmp:
            self.unwrapped.save_pretrained(tmp)
            self.tokenizer.save_pretrained(tmp)
            torch.save(self.optimizer.state_dict(), tmp / OPTIMIZER_FILE)
            torch.save(random_states, tmp / RANDOM_STATE_FILE)
            self.state.to_json(tmp / TRAINING_STATE_FILE)
            sync_tree(tmp)
        sync_directory(Path(path).absolute().parent)

    def _batches(self, skip: int) -> Iterator[Any]:
        """This process's batches of the current epoch (`self.state.epoch`), the first `skip` left out."""
        raise NotImplementedError

    def _step(self, batch) -> tuple[float, int]:
        """One optimizer step on `batch`; returns its loss and the number of tokens it holds."""
        raise NotImplementedError

    def _all_processes_have(self, batch) -> bool:
        if self.accelerator.num_processes == 1:
            return batch is not None
        flag = torch.tensor([float(batch is not None)], device=self.accelerator.device)
        return bool(self.accelerator.reduce(flag, reduction="sum").item() == self.accelerator.num_processes)

    def _done(self) -> bool:
        """The step limit is reached, or the time limit (`args.max_seconds`): the processes agree on the latter, as
        their clocks differ."""
        if self.args.max_steps is not None and self.state.steps >= self.args.max_steps:
            return True
        limit = self.args.max_seconds
        if limit is None:
            return False
        over = torch.tensor([float(self.state.seconds >= limit)], device=self.accelerator.device)
        if self.accelerator.num_processes > 1:
            over = self.accelerator.reduce(over, reduction="sum")
        return bool(over.item() > 0)

    def _checkpoint_due(self, last_checkpoint: float) -> bool:
        every = self.args.checkpoint_every_seconds
        return (
            self.args.checkpoint_dir is not None and every is not None and time.monotonic() - last_checkpoint >= every
        )

    def train(self):
        """Run the remaining steps; return the trained (unwrapped) model."""
        state, args = self.state, self.args
        state.corpus = corpus_fingerprint(args.corpus)
        state.processes = self.accelerator.num_processes
        self.model.train()
        last_checkpoint = time.monotonic()
        start_time, seconds_before = time.perf_counter(), state.seconds
        while state.epoch < args.epochs and not self._done():
            bar = tqdm(
                desc=f"epoch {state.epoch + 1}/{args.epochs}",
                unit=" steps",
                disable=not args.progress or not self.accelerator.is_main_process,
            )
            batches = self._batches(skip=state.batches_done)
            while not self._done():
                batch = next(batches, None)
                if not self._all_processes_have(batch):
                    break
                loss, tokens = self._step(batch)
                state.loss_sum += loss
                state.loss_steps += 1
                state.tokens += tokens * self.accelerator.num_processes
                state.steps += 1
                state.batches_done += 1
                state.seconds = seconds_before + time.perf_counter() - start_time
                bar.update()
                bar.set_postfix(loss=f"{loss:.3f}")
                if self._checkpoint_due(last_checkpoint):
                    self.save_checkpoint(args.checkpoint_dir)
                    last_checkpoint = time.monotonic()
            bar.close()
            if not self._done():
                state.loss_per_epoch.append(state.loss_sum / max(state.loss_steps, 1))
                state.epoch, state.batches_done, state.loss_sum, state.loss_steps = state.epoch + 1, 0, 0.0, 0
        state.seconds = seconds_before + time.perf_counter() - start_time
        self.model.eval()
        return self.unwrapped


def save_pretrained_run(
    model, tokenizer, summary: dict, output_dir: str | os.PathLike, overwrite: bool = False, card=None
) -> Path:
    """Write the model, tokenizer, `training_summary.json` and, given a `hub.CardContent`, the model card to
    `output_dir` atomically."""
    with atomic_output_dir(output_dir, overwrite=overwrite) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / TRAINING_SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        if card is not None:
            write_model_card(tmp, card)
        sync_tree(tmp)
    sync_directory(Path(output_dir).absolute().parent)
    return Path(output_dir)
