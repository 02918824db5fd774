"""Make a written folder survive a power cut, not only a killed process: fsync its files before the rename that
publishes it, and fsync the folder that holds the rename after it.

A killed process loses nothing the kernel already holds, but after a power cut a renamed folder whose files were
never flushed can hold empty or truncated files (ext4 and XFS delay the allocation of new files' blocks).
"""

from __future__ import annotations

import os
from pathlib import Path


def sync_directory(path: str | os.PathLike) -> None:
    """fsync the directory `path` itself (its entries: renames and new files in it); a no-op on Windows, which
    cannot open directories."""
    if os.name == "nt":
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def sync_tree(path: str | os.PathLike) -> None:
    """fsync every file under the directory `path`, then every directory of it (deepest first)."""
    for folder, _, files in os.walk(path, topdown=False):
        for name in files:
            descriptor = os.open(Path(folder) / name, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        sync_directory(folder)
