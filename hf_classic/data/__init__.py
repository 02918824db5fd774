"""Data shipped with hf_classic (see README.md in this folder for sources and licences)."""

from __future__ import annotations

import gzip
from importlib import resources
from pathlib import Path

KJV_CORPUS = "kjv.txt.gz"
KJV_CHAPTERS = "kjv_chapters.tsv.gz"
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


def kjv_chapter_lengths() -> list[int]:
    """The number of verses (lines of `kjv.txt.gz`) in each of the KJV's 1,189 chapters, in order."""
    with gzip.open(data_path(KJV_CHAPTERS), "rt", encoding="utf-8") as lines:
        return [int(line.rsplit("\t", 1)[1]) for line in lines if line.strip()]
