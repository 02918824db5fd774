"""Checks on input files that give one clear message per problem."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from huggingface_hub.errors import StrictDataclassError

from ..errors import InputFileError


def existing_file(path: str | os.PathLike, what: str = "input file") -> Path:
    """Return `path` as a Path if it is a readable, non-empty regular file; raise `InputFileError` otherwise."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: {what} does not exist")
    if not path.is_file():
        raise InputFileError(f"{path}: {what} is not a regular file")
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: {what} is empty")
    return path


def existing_dir(path: str | os.PathLike, what: str = "model directory") -> Path:
    """Return `path` as a Path if it is a directory; raise `InputFileError` otherwise."""
    path = Path(path)
    if not path.is_dir():
        raise InputFileError(f"{path}: {what} does not exist or is not a directory")
    return path


@contextmanager
def loading_folder(path: str | os.PathLike, problem: str = "not a loadable model directory") -> Iterator[None]:
    """Turn what transformers raises on a damaged or foreign model folder into one `InputFileError` that names
    the folder: `OSError` (missing or unreadable files), `ValueError` and `KeyError` (unknown or bad entries),
    `StrictDataclassError` (a config value our configs reject) and `TypeError` (a value of the wrong type where
    transformers reads it, e.g. a malformed `auto_map`). Our own errors (ValueErrors) are wrapped too, so that the
    message names the folder as well as the file or key."""
    try:
        yield
    except (OSError, ValueError, KeyError, TypeError, StrictDataclassError) as error:
        raise InputFileError(f"{path}: {problem} ({error})") from error
