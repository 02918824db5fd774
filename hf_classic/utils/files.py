"""Checks on input files that give one clear message per problem."""

from __future__ import annotations

import os
from pathlib import Path

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
