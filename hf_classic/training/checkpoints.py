"""What every family's training checkpoints share: progress saved as JSON, and the corpus fingerprint that
tells a resumed run it reads the same corpus."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from ..errors import InputFileError
from ..utils.atomic import claim_outputs
from ..utils.files import existing_dir
from .corpus import check_corpus_files


class JsonState:
    """Mixin for a dataclass of training progress: `to_json(path)` and `from_json(path)`."""

    def to_json(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, path: Path):
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, TypeError) as error:
            raise InputFileError(f"{path}: not a valid {cls.__name__} ({error})") from None


def corpus_fingerprint(paths: Sequence[str]) -> list[list]:
    """`[[name, size], ...]` of the corpus files: enough to tell that a resumed run reads the same corpus."""
    return [[Path(path).name, Path(path).stat().st_size] for path in check_corpus_files(paths)]


def checkpoint_state_file(path, state_name: str, family: str) -> Path:
    """The progress file of the checkpoint folder `path`; `InputFileError` if `path` is no such checkpoint."""
    path = existing_dir(path, "checkpoint directory")
    state_file = path / state_name
    if not state_file.is_file():
        raise InputFileError(f"{state_file}: not found; {path} is not a {family} training checkpoint")
    return state_file


def check_same_run(path, saved_corpus: list[list], corpus: Sequence[str], saved_processes: int, processes: int):
    """Refuse to resume the checkpoint at `path` on another corpus or with another number of processes."""
    fingerprint = corpus_fingerprint(corpus)
    if saved_corpus != fingerprint:
        raise InputFileError(
            f"{path}: checkpoint was made on corpus {saved_corpus}, not on {fingerprint}; "
            "resume with the same --corpus files"
        )
    if saved_processes != processes:
        raise ValueError(
            f"{path}: checkpoint was made with {saved_processes} process(es), now {processes}; "
            "resume with the same number of processes"
        )


def claim_run_outputs(output, checkpoint_dir) -> contextlib.AbstractContextManager:
    """`claim_outputs(output, checkpoint_dir)` in the process that writes them (rank 0 under `accelerate launch`,
    read from the `RANK` variable so that no distributed state is set up here); nothing in the others."""
    if os.environ.get("RANK", "0") != "0":
        return contextlib.nullcontext()
    return claim_outputs(output, checkpoint_dir)
