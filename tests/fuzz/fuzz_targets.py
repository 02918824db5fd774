"""The readers under fuzz: valid seed files, the mutations applied to them, and the verdict on each run.

Shared by the property tests (`tests/fuzz/test_fuzz_*.py`, driven by hypothesis) and the long run
(`bench/fuzz_readers.py`, driven by `random` or atheris). A target is one reader: it writes its valid seed
files (and any companion files it needs) into a folder, reads a mutated file with the reader, and checks a
successful result against the file. `execute` runs one input and classifies what happened:

- `ok`: the reader returned a result that passed the target's consistency check;
- `error`: the reader raised one of our error types (`HfClassicError`) naming the file;
- `finding`: anything else: another exception type, our error without the file's name, a failed
  consistency check, a run over the time bound (`TIMEOUT_SECONDS`), or a `MemoryError`;
- `upstream`: for model folders loaded through transformers' `AutoConfig` / `AutoTokenizer` only, an
  unexpected exception raised inside transformers or `tokenizers` (not in hf_classic's code), before or
  around the family's classes: reported, but not ours to fix.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import re
import signal
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hf_classic.errors import HfClassicError

TIMEOUT_SECONDS = 10.0
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

Mutator = Callable[[bytes, random.Random], bytes]


# ---------------------------------------------------------------------------------------------- outcomes


class ReaderTimeout(BaseException):
    """Raised by the alarm guard when a reader runs past its time bound (a BaseException: no `except Exception`
    in a reader can swallow it)."""


@dataclass
class Outcome:
    """What one run of a reader on one input gave.

    Attributes:
        kind: `"ok"`, `"error"` (our error type, naming the file) or `"finding"`.
        error_type: the exception's class name (None for `ok`).
        template: the message with the file name, numbers and quoted values replaced by placeholders, so that
            errors differing only in those count once.
        message: the full message (or traceback summary) of the exception.
        seconds: wall time of the run.
    """

    kind: str
    error_type: str | None = None
    template: str | None = None
    message: str | None = None
    seconds: float = 0.0


_QUOTED = re.compile(r"""b?'(?:[^'\\]|\\.)*'|b?"(?:[^"\\]|\\.)*\"""")
_NUMBER = re.compile(r"-?\b\d+(?:\.\d+)?(?:e[-+]?\d+)?\b", re.IGNORECASE)


def message_template(message: str, path: Path) -> str:
    """`message` with the fuzzed file's path as `<file>`, quoted values as `<q>` and numbers as `N`."""
    text = message.encode("utf-8", "backslashreplace").decode("utf-8")
    text = text.replace(str(path), "<file>").replace(str(path.parent), "<dir>")
    text = _QUOTED.sub("<q>", text)
    text = _NUMBER.sub("N", text)
    return text.splitlines()[0][:300] if text else text


class _AlarmGuard:
    """Raises `ReaderTimeout` in the main thread after `seconds` (SIGALRM; nothing happens off the main thread)."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def _fire(self, signum, frame):
        raise ReaderTimeout(f"the reader ran longer than {self.seconds} s")

    def __enter__(self):
        self.previous = signal.signal(signal.SIGALRM, self._fire)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        return False


# ---------------------------------------------------------------------------------------------- byte mutators


def _pick(data: bytes, rng: random.Random) -> int:
    return rng.randrange(len(data) + 1)


def truncate(data: bytes, rng: random.Random) -> bytes:
    """Cut the file at a random offset, biased towards the offset classes that matter: inside the header,
    just before or after a newline or a space, in the last bytes."""
    if not data:
        return data
    marks = [m.start() for m in re.finditer(rb"[\n ]", data[:65536])]
    choice = rng.random()
    if choice < 0.3 and marks:
        cut = rng.choice(marks) + rng.choice((0, 1))
    elif choice < 0.45:
        cut = len(data) - rng.randrange(1, min(len(data), 8) + 1)
    elif choice < 0.55:
        cut = rng.randrange(min(len(data), 16))
    else:
        cut = rng.randrange(len(data))
    return data[:cut]


def flip_bits(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    buffer = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 8))):
        position = rng.randrange(len(buffer))
        buffer[position] ^= 1 << rng.randrange(8)
    return bytes(buffer)


INTERESTING_BYTES = (0x00, 0x0A, 0x0D, 0x20, 0x09, 0x80, 0xC3, 0xFF, 0x2D, 0x30, 0x39, 0x2E, 0x65)


def set_bytes(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return bytes([rng.choice(INTERESTING_BYTES)])
    buffer = bytearray(data)
    for _ in range(rng.choice((1, 2, 4))):
        buffer[rng.randrange(len(buffer))] = rng.choice(INTERESTING_BYTES)
    return bytes(buffer)


def delete_span(data: bytes, rng: random.Random) -> bytes:
    start = _pick(data, rng)
    return data[:start] + data[start + rng.choice((1, 2, 4, 16, 256)) :]


def insert_bytes(data: bytes, rng: random.Random) -> bytes:
    at = _pick(data, rng)
    piece = rng.choice((b"\n", b"\n\n", b" ", b"\r\n", b"\x00", b"\t", b"  \n", b"\xff\xfe", b"\xc3", b"\xed\xa0\x80"))
    return data[:at] + piece * rng.choice((1, 1, 3)) + data[at:]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def duplicate_line(data: bytes, rng: random.Random) -> bytes:
    """Repeat one line somewhere else: duplicated words, and more rows than the header declares."""
    lines = _lines(data)
    line = rng.choice(lines[1:] or lines)
    lines.insert(rng.randrange(1, len(lines) + 1), line)
    return b"\n".join(lines)


def delete_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def blank_lines(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    at = rng.randrange(len(lines) + 1)
    lines[at:at] = [rng.choice((b"", b" ", b"\t", b"\r"))] * rng.choice((1, 2))
    return b"\n".join(lines)


HUGE_COUNTS = (
    "0",
    "1",
    "2",
    "-1",
    "1000000000000",
    "9223372036854775807",
    "18446744073709551616",
    "10" * 20,
    "x",
    "3.5",
)


def rewrite_header(data: bytes, rng: random.Random) -> bytes:
    """Change the `N D` counts of the first line: fewer or more rows, another dimension, huge or nonsense values."""
    first, newline, rest = data.partition(b"\n")
    fields = first.split()
    if len(fields) != 2 or not all(f.isdigit() for f in fields):
        fields = [b"3", b"4"]
        rest = data
        newline = b"\n"
    rows, dim = int(fields[0]), int(fields[1])
    choices = [str(rows - 1), str(rows + 1), str(dim - 1), str(dim + 1), *HUGE_COUNTS]
    index = rng.randrange(2)
    fields[index] = rng.choice(choices).encode()
    if rng.random() < 0.2:
        fields[1 - index] = rng.choice(choices).encode()
    return b" ".join(fields) + newline + rest


NUMBER_TOKENS = (
    b"nan",
    b"NaN",
    b"inf",
    b"-inf",
    b"1e999",
    b"-0",
    b"0x1p3",
    b"1e-50",
    b"1,5",
    b"--1",
    b"1e",
    b".",
    b"",
    b"+",
)


def poison_value(data: bytes, rng: random.Random) -> bytes:
    """Replace a number with NaN, Inf, an overflow or something that is not a number (text files), or write
    NaN/Inf float32 bits at an aligned spot (binary files)."""
    numbers = list(re.finditer(rb"-?\d+\.\d*(?:e[-+]?\d+)?", data[:65536]))
    if numbers and rng.random() < 0.7:
        match = rng.choice(numbers)
        return data[: match.start()] + rng.choice(NUMBER_TOKENS) + data[match.end() :]
    if len(data) < 8:
        return data
    at = rng.randrange(len(data) - 4)
    value = rng.choice((math.nan, math.inf, -math.inf, 3.4e38))
    return data[:at] + struct.pack("<f", value) + data[at + 4 :]


def empty_file(data: bytes, rng: random.Random) -> bytes:
    return rng.choice((b"", b"\n", b" ", b"\n\n", b"\x00"))


BYTE_MUTATORS: tuple[Mutator, ...] = (truncate, flip_bits, set_bytes, delete_span, insert_bytes)
LINE_MUTATORS: tuple[Mutator, ...] = (duplicate_line, delete_line, blank_lines, poison_value, empty_file)


# ---------------------------------------------------------------------------------------------- JSON mutator

JSON_VALUES = (None, -1, 0, 1, 10**12, 2**64, 1.5, -0.5, math.nan, math.inf, "x", "", [], {}, [1, 2], True, "é\udcff")


def _json_paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_paths(item, (*prefix, index))


def mutate_json(data: bytes, rng: random.Random) -> bytes:
    """Set a random key (at any depth) to a value of another type or a huge one, or delete it."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return flip_bits(data, rng)
    paths = [path for path in _json_paths(document) if path]
    if not paths:
        return json.dumps(rng.choice(JSON_VALUES)).encode()
    path = rng.choice(paths)
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if rng.random() < 0.2 and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = rng.choice(JSON_VALUES)
    return json.dumps(document, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------------------------------------- targets


@dataclass
class Target:
    """One reader under fuzz.

    Attributes:
        name: short name used in reports.
        filename: name of the fuzzed file inside the work folder.
        prepare: writes the companion files into the work folder and returns the valid seed contents.
        read: reads the fuzzed file (its path given) and returns the result.
        check: raises `AssertionError` if a successful result does not match the file's bytes.
        mutators: the mutations used on this target's seeds.
        expected_errors: the error types a bad input may raise: our `HfClassicError` for our readers; for
            folders loaded through transformers' `AutoConfig` / `AutoTokenizer`, the types the CLI reports as
            a one-line message (`ValueError`, of which `HfClassicError` is one, `OSError`,
            `StrictDataclassError`).
        names_file: whether the error message must name the fuzzed file.
    """

    name: str
    filename: str
    prepare: Callable[[Path], list[bytes]]
    read: Callable[[Path], object]
    check: Callable[[object, bytes, Path], None]
    mutators: tuple[Mutator, ...]
    expected_errors: tuple[type[BaseException], ...] = (HfClassicError,)
    names_file: bool = True


def execute(target: Target, data: bytes, folder: Path, timeout: float = TIMEOUT_SECONDS) -> Outcome:
    """Write `data` as the target's file in `folder`, read it under the time bound and classify the result."""
    path = folder / target.filename
    path.write_bytes(data)
    start = time.perf_counter()
    try:
        with _AlarmGuard(timeout):
            result = target.read(path)
    except ReaderTimeout as error:
        return Outcome("finding", "ReaderTimeout", str(error), str(error), time.perf_counter() - start)
    except target.expected_errors as error:
        seconds = time.perf_counter() - start
        message = str(error)
        if target.names_file and str(path) not in message:
            return Outcome(
                "finding", type(error).__name__, "no file name: " + message_template(message, path), message, seconds
            )
        return Outcome("error", type(error).__name__, message_template(message, path), message, seconds)
    except (Exception, MemoryError) as error:  # noqa: BLE001 - any other exception is what the fuzzer looks for
        seconds = time.perf_counter() - start
        message = f"{type(error).__name__}: {error}"
        kind = "upstream" if not target.names_file and not _raised_in_hf_classic(error) else "finding"
        return Outcome(kind, type(error).__name__, message_template(message, path), message, seconds)
    seconds = time.perf_counter() - start
    try:
        target.check(result, data, path)
    except AssertionError as error:
        message = f"inconsistent result: {error}"
        return Outcome("finding", "AssertionError", message_template(message, path), message, seconds)
    return Outcome("ok", seconds=seconds)


def _raised_in_hf_classic(error: BaseException) -> bool:
    """Whether the innermost frame of `error`'s traceback is in hf_classic's code (not transformers' or another
    library's)."""
    trace = error.__traceback__
    while trace.tb_next is not None:
        trace = trace.tb_next
    return "/hf_classic/" in trace.tb_frame.f_code.co_filename


@dataclass
class Tally:
    """Executions and distinct outcomes of a fuzz run, per target."""

    executions: dict[str, int]
    errors: dict[str, set[str]]
    findings: dict[str, set[str]]
    upstream: dict[str, set[str]]

    @classmethod
    def empty(cls) -> Tally:
        return cls({}, {}, {}, {})

    def add(self, target: str, outcome: Outcome) -> None:
        self.executions[target] = self.executions.get(target, 0) + 1
        kinds = {"error": self.errors, "finding": self.findings, "upstream": self.upstream}
        if outcome.kind in kinds:
            kinds[outcome.kind].setdefault(target, set()).add(f"{outcome.error_type}: {outcome.template}")

    def summary(self) -> str:
        lines = []
        for target, count in self.executions.items():
            lines.append(
                f"{target}: {count} executions, {len(self.errors.get(target, ()))} distinct errors, "
                f"{len(self.findings.get(target, ()))} findings, {len(self.upstream.get(target, ()))} upstream"
            )
        return "\n".join(lines)


# The in-suite run's counts, printed by the test modules at their end (run pytest with -s to see them).
SUITE_TALLY = Tally.empty()


def prepare(target: Target, folder: Path) -> list[bytes]:
    """Write the target's companion files into `folder` and return its seeds, each checked to read as `ok`."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = target.prepare(folder)
    for index, seed in enumerate(seeds):
        outcome = execute(target, seed, folder)
        if outcome.kind != "ok":
            raise AssertionError(f"{target.name}: seed {index} does not read: {outcome}")
    return seeds


def mutate(target: Target, seed: bytes, steps: list[tuple[int, int]]) -> bytes:
    """Apply `steps` (mutator index, random seed) in order to `seed`."""
    data = seed
    for index, step_seed in steps:
        data = apply_mutator(target.mutators[index % len(target.mutators)], data, random.Random(step_seed))
    return data


def apply_mutator(mutator: Mutator, data: bytes, rng: random.Random) -> bytes:
    """`mutator(data, rng)`, or `data` unchanged when a structural mutator cannot apply its change to this
    input (numpy, h5py or torch refusing, say, to cast text to numbers)."""
    try:
        return mutator(data, rng)
    except Exception:  # noqa: BLE001 - a mutation that does not apply is skipped, not a finding
        return data


# ---------------------------------------------------------------------------------------------- word vectors

WORDS = ["</s>", "the", "Paris", "Ärger", "東京", "x"]


def _vectors(rows: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((rows, dim)) * 10.0 ** rng.integers(-4, 3, (rows, dim))).astype(np.float32)


def _binary_file(words, vectors, newline: bool = True) -> bytes:
    header = f"{len(words)} {vectors.shape[1]}\n".encode()
    separator = b"\n" if newline else b""
    return header + b"".join(
        w.encode() + b" " + v.astype("<f4").tobytes() + separator for w, v in zip(words, vectors, strict=True)
    )


def _text_file(words, vectors, header: bool = True, trailing_space: bool = False) -> bytes:
    lines = [f"{len(words)} {vectors.shape[1]}"] if header else []
    tail = " " if trailing_space else ""
    lines += [w + " " + " ".join(str(x) for x in row) + tail for w, row in zip(words, vectors, strict=True)]
    return ("\n".join(lines) + "\n").encode()


def _vector_seeds(kind: str) -> list[bytes]:
    seeds = []
    for rows, dim, seed in ((len(WORDS), 3, 0), (2, 1, 1), (4, 7, 2)):
        words, vectors = WORDS[:rows], _vectors(rows, dim, seed)
        if kind == "bin":
            seeds += [_binary_file(words, vectors), _binary_file(words, vectors, newline=False)]
        elif kind == "txt":
            seeds.append(_text_file(words, vectors))
        elif kind == "glove":
            seeds.append(_text_file(words, vectors, header=False))
        elif kind == "vec":
            seeds.append(_text_file(words, vectors, trailing_space=True))
        else:
            seeds += [_binary_file(words, vectors), _text_file(words, vectors)]
    return seeds


def check_table(table, data: bytes, path: Path) -> None:
    """A successful read must be self-consistent and come from the file: one row per word, the header's
    dimension, unique words that occur in the file, float32 values."""
    vectors = table.vectors
    assert vectors.dtype == np.float32, f"dtype {vectors.dtype}"
    assert vectors.ndim == 2 and vectors.shape[0] == len(table.words) > 0, f"shape {vectors.shape}"
    assert vectors.shape[1] >= 1, f"shape {vectors.shape}"
    assert len(set(table.words)) == len(table.words), "duplicate words returned"
    first = data.split(b"\n", 1)[0].split()
    if table.format in ("bin", "txt") and len(first) == 2 and all(f.isdigit() for f in first):
        assert vectors.shape == (int(first[0]), int(first[1])), f"shape {vectors.shape} vs header {first}"
    for word in table.words:
        assert word.encode() in data, f"word {word!r} is not in the file"


def _vector_target(name: str, kind: str, format: str, suffix: str) -> Target:
    from hf_classic.formats.word2vec_formats import read_word_vectors

    def prepare(folder: Path) -> list[bytes]:
        return _vector_seeds(kind)

    def read(path: Path):
        return read_word_vectors(path, format)

    mutators = BYTE_MUTATORS + LINE_MUTATORS + (rewrite_header,) * (kind != "glove")
    return Target(name, "vectors" + suffix, prepare, read, check_table, mutators)


def _vocab_target() -> Target:
    from hf_classic.formats.word2vec_formats import read_vocab_file

    def prepare(folder: Path) -> list[bytes]:
        return ["".join(f"{w} {c}\n" for w, c in zip(WORDS, (90, 50, 7, 3, 2, 1), strict=True)).encode(), b"a 1\n"]

    def check(counts, data: bytes, path: Path) -> None:
        assert isinstance(counts, dict) and all(isinstance(c, int) and c >= 0 for c in counts.values())
        assert len(counts) <= data.count(b"\n") + 1

    return Target("word2vec_vocab", "vocab.txt", prepare, read_vocab_file, check, BYTE_MUTATORS + LINE_MUTATORS)


# ---------------------------------------------------------------------------------------------- bilm-tf ELMo

ELMO_FIXTURE = FIXTURES / "elmo_small"


def _check_elmo(result, data: bytes, path: Path) -> None:
    model, tokenizer = result
    parameters = sum(p.numel() for p in model.parameters())
    assert parameters > 0
    for parameter in model.parameters():
        assert parameter.dtype.is_floating_point


def _h5_bytes(arrays: dict) -> bytes:
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        for name, value in arrays.items():
            if isinstance(value, dict):
                handle.create_group(name)
            elif isinstance(value, tuple):
                handle.create_dataset(name, shape=value, dtype="float32", chunks=True)
            else:
                handle.create_dataset(name, data=value)
    return buffer.getvalue()


def _h5_arrays(data: bytes) -> dict:
    import h5py

    arrays = {}
    with h5py.File(io.BytesIO(data), "r") as handle:
        handle.visititems(lambda name, item: arrays.__setitem__(name, item[...]) if hasattr(item, "shape") else None)
    return arrays


def mutate_hdf5(data: bytes, rng: random.Random) -> bytes:
    """Rewrite one dataset of a valid HDF5 file: wrong shape, wrong type, NaN/Inf, a huge declared shape (no
    storage), a group instead of a dataset, removed, or an extra one."""
    try:
        arrays = _h5_arrays(data)
    except Exception:  # noqa: BLE001 - already corrupt: fall back to a byte mutation
        return flip_bits(data, rng)
    if not arrays:
        return data
    name = rng.choice(sorted(arrays))
    try:
        _rewrite_dataset(arrays, name, rng)
        return _h5_bytes(arrays)
    except Exception:  # noqa: BLE001 - numpy or h5py refused this change (a text dataset cast to int, ...)
        return data


def _rewrite_dataset(arrays: dict, name: str, rng: random.Random) -> None:
    value = arrays[name]
    choice = rng.randrange(9)
    if choice == 0:
        del arrays[name]
    elif choice == 1:
        arrays[name] = value.reshape(-1)[: max(value.size - 1, 0)]
    elif choice == 2:
        arrays[name] = np.concatenate([value.reshape(-1), value.reshape(-1)])
    elif choice == 3:
        poisoned = value.astype(np.float32).copy()
        poisoned.reshape(-1)[rng.randrange(max(poisoned.size, 1)) % max(poisoned.size, 1)] = rng.choice(
            (np.nan, np.inf, -np.inf)
        )
        arrays[name] = poisoned
    elif choice == 4:
        arrays[name] = (10**6,) * max(value.ndim, 1) if rng.random() < 0.5 else (10**12,)
    elif choice == 5:
        arrays[name] = {}
    elif choice == 6:
        arrays[name] = np.array([b"text"] * max(value.size, 1))
    elif choice == 7:
        arrays[name] = value.astype(np.int64)
    else:
        arrays["softmax/W"] = np.zeros((rng.choice((1, 3, 10**3)), 16), np.float32)


def _elmo_options_target() -> Target:
    from hf_classic.formats.elmo_bilm_tf import convert

    def prepare(folder: Path) -> list[bytes]:
        return [(ELMO_FIXTURE / "options.json").read_bytes()]

    def read(path: Path):
        return convert(path, ELMO_FIXTURE / "weights.hdf5")

    mutators = (mutate_json,) * 4 + BYTE_MUTATORS
    return Target("bilm_options", "options.json", prepare, read, _check_elmo, mutators)


def _elmo_weights_target() -> Target:
    from hf_classic.formats.elmo_bilm_tf import convert

    def prepare(folder: Path) -> list[bytes]:
        (folder / "options.json").write_bytes((ELMO_FIXTURE / "options.json").read_bytes())
        return [(ELMO_FIXTURE / "weights.hdf5").read_bytes()]

    def read(path: Path):
        return convert(path.parent / "options.json", path)

    mutators = (mutate_hdf5,) * 4 + (truncate, flip_bits, set_bytes, delete_span)
    return Target("bilm_weights", "weights.hdf5", prepare, read, _check_elmo, mutators)


def _elmo_vocab_target() -> Target:
    from hf_classic.formats.elmo_bilm_tf import read_vocabulary_file

    def prepare(folder: Path) -> list[bytes]:
        return [b"<S>\n</S>\n<UNK>\nthe\nParis\n\xc3\x84rger\n", b"</S>\n<S>\n<UNK>\n"]

    def check(words, data: bytes, path: Path) -> None:
        assert len(words) == len(set(words)) and {"<S>", "</S>", "<UNK>"} <= set(words)

    return Target("bilm_vocab", "vocab.txt", prepare, read_vocabulary_file, check, BYTE_MUTATORS + LINE_MUTATORS)


# ---------------------------------------------------------------------------------------------- OpenNMT-py

ONMT_FIXTURE = FIXTURES / "onmt_rnn" / "rnn_gru_mlp_shared.pt"


def load_pt(data: bytes) -> dict:
    import torch

    with torch.serialization.safe_globals([argparse.Namespace]):
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


def _save_pt(checkpoint) -> bytes:
    import torch

    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    return buffer.getvalue()


def small_onmt_checkpoint(tokens: int = 24) -> bytes:
    """The shipped GRU checkpoint cut to its first `tokens` vocabulary entries (a valid, smaller checkpoint)."""
    checkpoint = load_pt(ONMT_FIXTURE.read_bytes())
    for side in ("src", "tgt"):
        checkpoint["vocab"][side] = checkpoint["vocab"][side][:tokens]
    model = checkpoint["model"]
    for name in list(model):
        if name.endswith("emb_luts.0.weight"):
            model[name] = model[name][:tokens].clone()
    checkpoint["generator"] = {key: value[:tokens].clone() for key, value in checkpoint["generator"].items()}
    return _save_pt(checkpoint)


ONMT_OPTION_VALUES = (None, 0, -1, 2, 10**6, 10**12, "x", 1.5, [], "LSTM", "GRU", "brnn", "dot", "general", True)


def mutate_onmt(data: bytes, rng: random.Random) -> bytes:
    """Change the checkpoint's structure: an option's value, the vocabularies, a tensor's shape or type, or
    replace a part with another type."""
    import torch

    try:
        checkpoint = load_pt(data)
    except Exception:  # noqa: BLE001 - already corrupt: fall back to a byte mutation
        return flip_bits(data, rng)
    if not isinstance(checkpoint, dict):
        return data
    choice = rng.randrange(7)
    opt = checkpoint.get("opt")
    if choice <= 1 and isinstance(opt, argparse.Namespace):
        key = rng.choice(sorted(vars(opt)))
        setattr(opt, key, rng.choice(ONMT_OPTION_VALUES))
    elif choice == 2 and isinstance(checkpoint.get("vocab"), dict):
        vocab = checkpoint["vocab"]
        side = rng.choice(("src", "tgt"))
        tokens = list(vocab.get(side) or [])
        action = rng.randrange(4)
        if action == 0 and tokens:
            del tokens[rng.randrange(len(tokens))]
        elif action == 1 and tokens:
            tokens.append(rng.choice(tokens))
        elif action == 2:
            tokens = rng.choice((None, "abc", {}, [1, 2], []))
        else:
            tokens = tokens[::-1]
        vocab[side] = tokens
    elif choice in (3, 4) and isinstance(checkpoint.get("model"), dict) and checkpoint["model"]:
        weights = checkpoint["model"]
        name = rng.choice(sorted(weights))
        tensor = weights[name]
        action = rng.randrange(5)
        if action == 0:
            del weights[name]
        elif action == 1:
            weights[name] = tensor.reshape(-1)
        elif action == 2:
            weights[name] = tensor.to(torch.int64)
        elif action == 3:
            weights[name] = torch.full_like(tensor, rng.choice((math.nan, math.inf)))
        else:
            weights[name + ".extra"] = tensor
    elif choice == 5:
        key = rng.choice(("model", "generator", "vocab", "opt"))
        if rng.random() < 0.5:
            checkpoint.pop(key, None)
        else:
            checkpoint[key] = rng.choice((None, [], "x", 3, {}))
    else:
        checkpoint = rng.choice(([], None, "text", {"model": {}}, checkpoint))
    return _save_pt(checkpoint)


def _onmt_target() -> Target:
    from hf_classic.formats.rnn_seq2seq_onmt import convert_onmt_checkpoint

    def prepare(folder: Path) -> list[bytes]:
        return [small_onmt_checkpoint()]

    def check(result, data: bytes, path: Path) -> None:
        model, tokenizer = result
        assert model.config.vocab_size == len(tokenizer.get_vocab()) or model.config.vocab_size > 0

    mutators = (mutate_onmt,) * 5 + (truncate, flip_bits, set_bytes, delete_span)
    return Target("onmt_checkpoint", "model.pt", prepare, convert_onmt_checkpoint, check, mutators)


# ---------------------------------------------------------------------------------------------- model folders

SEQ2SEQ_SPECIALS = ("<unk>", "<blank>", "<s>", "</s>")


def save_family_folder(family: str, folder: Path) -> None:
    """Save a tiny config and tokenizer of `family` into `folder`, as the family's `save_pretrained` writes them."""
    if family == "word2vec":
        from hf_classic.word2vec import Word2VecConfig, Word2VecTokenizer

        config = Word2VecConfig(vocab_size=5, vector_size=4)
        tokenizer = Word2VecTokenizer.from_word_counts([("the", 5), ("Ärger", 3), ("x", 1)])
    elif family == "elmo":
        from hf_classic.elmo import ElmoConfig, ElmoTokenizer

        config = ElmoConfig(lstm_dim=8, projection_dim=4, filters=[[1, 4], [2, 4]], char_embedding_dim=4)
        tokenizer = ElmoTokenizer.from_words(["<S>", "</S>", "<UNK>", "the", "Ärger"])
    else:
        from hf_classic.rnn_seq2seq import RnnSeq2SeqConfig, RnnSeq2SeqTokenizer

        words = [*SEQ2SEQ_SPECIALS, "a", "b", "c"]
        config = RnnSeq2SeqConfig(vocab_size=7, decoder_vocab_size=8, hidden_size=8, embedding_size=4)
        tokenizer = RnnSeq2SeqTokenizer.from_vocabularies(words, [*words, "d"], specials=SEQ2SEQ_SPECIALS)
    config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


FOLDER_ERRORS = (ValueError, OSError)


def _folder_target(name: str, family: str, filename: str, what: str, mutators: tuple[Mutator, ...]) -> Target:
    from huggingface_hub.errors import StrictDataclassError

    def prepare(folder: Path) -> list[bytes]:
        save_family_folder(family, folder)
        return [(folder / filename).read_bytes()]

    def read(path: Path):
        from transformers import AutoConfig, AutoTokenizer

        if what == "config":
            return AutoConfig.from_pretrained(path.parent)
        tokenizer = AutoTokenizer.from_pretrained(path.parent)
        # The parts read lazily: word counts (word2vec) and the target vocabulary (seq2seq).
        if family == "word2vec":
            tokenizer.word_counts  # noqa: B018
        if family == "rnn_seq2seq":
            tokenizer.target_backend  # noqa: B018
        tokenizer("the Ärger a b")
        return tokenizer

    def check(result, data: bytes, path: Path) -> None:
        if what == "config":
            assert result.model_type == {"rnn_seq2seq": "rnn_seq2seq"}.get(family, family), result.model_type
        else:
            assert len(result) > 0

    return Target(name, filename, prepare, read, check, mutators, FOLDER_ERRORS + (StrictDataclassError,), False)


JSON_MUTATORS = (mutate_json,) * 4 + BYTE_MUTATORS


# ---------------------------------------------------------------------------------------------- registry


def all_targets() -> list[Target]:
    """Every reader under fuzz, in a fixed order."""
    return [
        _vector_target("word2vec_bin", "bin", "bin", ".bin"),
        _vector_target("word2vec_txt", "txt", "txt", ".txt"),
        _vector_target("glove", "glove", "glove", ".txt"),
        _vector_target("fasttext_vec", "vec", "fasttext", ".vec"),
        _vector_target("vectors_auto", "auto", "auto", ".vectors"),
        _vocab_target(),
        _elmo_options_target(),
        _elmo_weights_target(),
        _elmo_vocab_target(),
        _onmt_target(),
        _folder_target("word2vec_config", "word2vec", "config.json", "config", JSON_MUTATORS),
        _folder_target("elmo_config", "elmo", "config.json", "config", JSON_MUTATORS),
        _folder_target("rnn_seq2seq_config", "rnn_seq2seq", "config.json", "config", JSON_MUTATORS),
        _folder_target("word2vec_tokenizer_json", "word2vec", "tokenizer.json", "tokenizer", JSON_MUTATORS),
        _folder_target(
            "word2vec_word_counts", "word2vec", "word_counts.txt", "tokenizer", BYTE_MUTATORS + LINE_MUTATORS
        ),
        _folder_target("elmo_tokenizer_vocab", "elmo", "vocab.txt", "tokenizer", BYTE_MUTATORS + LINE_MUTATORS),
        _folder_target("elmo_tokenizer_config", "elmo", "tokenizer_config.json", "tokenizer", JSON_MUTATORS),
        _folder_target(
            "rnn_seq2seq_target_tokenizer", "rnn_seq2seq", "target_tokenizer.json", "tokenizer", JSON_MUTATORS
        ),
    ]
