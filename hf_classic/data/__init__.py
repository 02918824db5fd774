"""Data shipped with hf_classic (see README.md in this folder for sources and licences)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

KJV_CORPUS = "kjv.txt.gz"
ANALOGIES = "questions-words.txt.gz"
WORDSIM353 = "wordsim353.tsv.gz"
SIMLEX999 = "simlex999.txt.gz"
SENSES = "senses.tsv"


def data_path(name: str) -> Path:
    """Path of a shipped data file (one of the names above)."""
    path = Path(str(resources.files(__name__).joinpath(name)))
    if not path.is_file():
        raise FileNotFoundError(f"{path}: shipped data file is missing (reinstall hf-classic)")
    return path
