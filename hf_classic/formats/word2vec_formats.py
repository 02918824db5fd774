"""Word-vector files of word2vec.c, GloVe, fastText and gensim: fast readers and writers.

Formats (floats are little-endian float32, words UTF-8 unless `encoding` says otherwise):

- `bin`, word2vec binary: a header line `"N D\\n"`, then N records `word b" " v_1 ... v_D` (D float32), each
  optionally followed by `b"\\n"` (word2vec.c writes it, gensim does not).
- `txt`, word2vec text, also fastText's `.vec`: the same header, then one line `word v_1 ... v_D` per word.
- `glove`, GloVe text: the text lines without a header (the header is detected, not assumed).
- `fasttext`: a `.vec` text file, or fastText's own binary model (read through gensim's
  `load_facebook_vectors`: the full word vectors, subword n-grams included).
- `gensim`: a `KeyedVectors.save` / `Word2Vec.save` file. Those are Python pickles, so they are read through
  gensim and only with an explicit `allow_pickle=True`, which runs any code the pickle contains (only for a
  file you trust).

Reading follows gensim's `KeyedVectors.load_word2vec_format`: `limit` reads the first rows only, words are
decoded with `unicode_errors` ("strict" | "replace" | "ignore"), a word in a binary record loses leading
newlines, trailing whitespace after each text row is ignored, and a `-save-vocab` file gives the counts.
It is stricter where gensim would silently load damaged data: without `limit`, a header that declares fewer
rows than the file holds is an error (gensim stops reading), a text file whose last line has no newline is
reported as truncated, and a duplicate word is an error unless `duplicates="first"` (gensim's behaviour:
keep the first, drop the rest). Every error is an `InputFileError` naming the file, the line or byte offset,
and the problem; a header declaring more rows or dimensions than the file can hold (say 10^12) is refused
before the matrix is allocated.

Speed and memory: the matrix is allocated once, with `leading_zero_rows` zero rows in front when the caller
wants room for special tokens (a model's `<pad>` and `<unk>`), and filled in place from fixed-size chunks of
the file. Binary records are copied with one memory copy each; text rows are parsed a chunk at a time by
numpy (`np.fromstring`) after the words are blanked out, with the per-line value counts checked vectorised.
"""

from __future__ import annotations

import logging
import mmap
import os
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputFileError
from ..utils.files import existing_file

logger = logging.getLogger(__name__)

FORMATS = ("bin", "txt", "glove", "fasttext", "gensim")
WRITE_FORMATS = ("bin", "txt", "glove")
UNICODE_ERRORS = ("strict", "replace", "ignore")
DUPLICATES = ("error", "first")

CHUNK_BYTES = 1 << 22
RELEASE_BYTES = 1 << 24
MAX_HEADER_BYTES = 1024
MAX_WORD_BYTES = 1 << 20
UNCHECKED_MATRIX_BYTES = 1 << 26
FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")
PICKLE_OPCODE_PROTO = b"\x80"

_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[9, 10, 11, 12, 13, 32]] = True


@dataclass
class WordVectorTable:
    """Words and their vectors read from a file.

    Attributes:
        words: the `n` words in file order.
        padded_vectors: `(leading_zero_rows + n, dim)` float32; the first rows are zero.
        leading_zero_rows: how many zero rows precede the vectors in `padded_vectors`.
        counts: `(n,)` int64 corpus counts from a vocabulary file or the model, or None when unknown.
        path: the file read.
        format: the format it was read as (one of `FORMATS`).
    """

    words: list[str]
    padded_vectors: np.ndarray
    leading_zero_rows: int
    counts: np.ndarray | None
    path: Path
    format: str

    @property
    def vectors(self) -> np.ndarray:
        """`(n, dim)` the vectors of `words` (a view into `padded_vectors`, no copy)."""
        return self.padded_vectors[self.leading_zero_rows :]

    @property
    def vector_size(self) -> int:
        return self.padded_vectors.shape[1]

    def __len__(self) -> int:
        return len(self.words)

    def to_gensim(self):
        """The vectors as a gensim `KeyedVectors` (see `to_gensim`)."""
        return to_gensim(self.words, self.vectors, self.counts)


def _fail(path: Path, where: str, problem: str) -> InputFileError:
    return InputFileError(f"{path}: {where}: {problem}")


def _check_choice(name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{name}={value!r}: expected one of {', '.join(allowed)}")


def _parse_header(line: bytes) -> tuple[int, int] | None:
    """`(rows, dim)` if `line` is a word2vec header `"N D"`, else None."""
    fields = line.split()
    if len(fields) != 2 or not all(field.isdigit() for field in fields):
        return None
    return int(fields[0]), int(fields[1])


def _read_header(path: Path, handle) -> tuple[int, int, int]:
    """Read the `"N D\\n"` header; return `(rows, dim, header_bytes)`."""
    line = handle.readline(MAX_HEADER_BYTES)
    if not line:
        raise _fail(path, "byte 0", "the file is empty")
    header = _parse_header(line)
    if header is None or not line.endswith(b"\n"):
        raise _fail(
            path,
            "line 1 (byte 0)",
            f"expected a header line 'ROWS DIMENSION' (two integers and a newline), found {line[:60]!r}",
        )
    rows, dim = header
    if dim < 1:
        raise _fail(path, "line 1 (byte 0)", f"the header declares dimension {dim}; expected at least 1")
    if rows < 1:
        raise _fail(path, "line 1 (byte 0)", f"the header declares {rows} rows; expected at least 1")
    return rows, dim, len(line)


def _check_declared_size(path: Path, rows: int, dim: int, row_bytes: int, start: int, what: str) -> None:
    """Raise before allocating a matrix over `UNCHECKED_MATRIX_BYTES` if `rows` rows of at least `row_bytes`
    bytes each cannot fit after byte `start`.

    A header claiming 10^12 rows (or dimensions) in a small file is reported here, in constant time, instead
    of allocating a matrix of that size; a smaller mismatch is reported by the row that is missing.
    """
    available = path.stat().st_size - start
    if rows * dim * 4 > UNCHECKED_MATRIX_BYTES and rows * row_bytes > available:
        raise _fail(
            path,
            "line 1 (byte 0)",
            f"the header declares {rows} rows of dimension {dim}, which need at least {rows * row_bytes} bytes as "
            f"{what}, but only {available} bytes follow the header: the file is truncated or the header is wrong",
        )


def detect_format(path: str | os.PathLike) -> str:
    """The format of a vector file from its content: `"bin"`, `"txt"`, `"glove"`, `"fasttext"` or `"gensim"`.

    A fastText binary model starts with its magic number, a gensim save with the pickle opcode `0x80`; a
    first line of two integers is a word2vec header, followed by a text row of exactly that many numbers
    (`txt`) or by binary records (`bin`); any other first line starts a GloVe file.
    """
    path = existing_file(path, "vector file")
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    if head.startswith(FASTTEXT_MAGIC):
        return "fasttext"
    if head.startswith(PICKLE_OPCODE_PROTO):
        return "gensim"
    first_line, _, rest = head.partition(b"\n")
    header = _parse_header(first_line)
    if header is None:
        return "glove"
    _, dim = header
    _, _, values = rest.partition(b"\n")[0].partition(b" ")
    try:
        parsed = np.fromstring(values, dtype=np.float32, sep=" ")
    except ValueError:
        return "bin"
    return "txt" if len(parsed) == dim and b"\x00" not in values else "bin"


class _WordDecoder:
    """Decodes words' bytes with `encoding` and `unicode_errors`; a strict failure names the byte offset."""

    def __init__(self, path: Path, encoding: str, unicode_errors: str):
        self.path, self.encoding, self.errors = path, encoding, unicode_errors

    def __call__(self, raw: bytes, byte_offset: int, what: str) -> str:
        try:
            return raw.decode(self.encoding, self.errors)
        except UnicodeDecodeError as error:
            raise _fail(
                self.path,
                f"byte {byte_offset + error.start}",
                f"{what} {raw!r} is not valid {self.encoding} ({error.reason}); pass unicode_errors='replace' or "
                "'ignore' (--unicode-errors) to read it anyway",
            ) from None

    def many(self, raws: Sequence[bytes], offsets: Sequence[int], describe: Callable[[int], str]) -> list[str]:
        """Decode every word; on failure, the error names the first bad word as `describe(its index)`."""
        try:
            return [raw.decode(self.encoding, self.errors) for raw in raws]
        except UnicodeDecodeError:
            for index, (raw, offset) in enumerate(zip(raws, offsets, strict=True)):
                self(raw, offset, describe(index))
            raise


def _read_binary_rows(
    path: Path, data: mmap.mmap, start: int, rows: int, dim: int, out: np.ndarray, decode: _WordDecoder
) -> tuple[list[str], array, int]:
    """Fill `out (rows, dim)` from the binary records of the mapped file `data`, starting at byte `start`.

    Each record is found with one `find(b" ")`, its word decoded at once (no second list of raw bytes: at
    3 million words that list alone would cost ~200 MB) and its vector copied with one memory copy; pages
    already read are dropped from the mapping as it goes, so the file adds little to the resident memory.
    Returns the words, each record's byte offset and the offset just after the last record.
    """
    row_bytes = 4 * dim
    size = len(data)
    target = memoryview(out).cast("B")
    source = memoryview(data)
    words: list[str] = []
    offsets = array("q")
    find, keep_word, keep_offset = data.find, words.append, offsets.append
    encoding, errors = decode.encoding, decode.errors
    released = 0
    pos = start
    try:
        for row in range(rows):
            if data[pos : pos + 1] == b"\n":
                while data[pos : pos + 1] == b"\n":
                    pos += 1
            space = find(b" ", pos, pos + MAX_WORD_BYTES)
            end = space + 1 + row_bytes
            if space == -1 or end > size:
                if space == -1 and size - pos > MAX_WORD_BYTES:
                    raise _fail(
                        path,
                        f"byte {pos}",
                        f"no space within {MAX_WORD_BYTES} bytes in row {row + 1}: not a word2vec binary file",
                    )
                raise _fail(
                    path,
                    f"byte {size}",
                    f"the file ends inside row {row + 1} of the {rows} the header declares (each a word, a space "
                    f"and {dim} float32 = {row_bytes} bytes): the file is truncated or the header count is wrong",
                )
            raw = data[pos:space]
            try:
                keep_word(raw.decode(encoding, errors))
            except UnicodeDecodeError:
                decode(raw, pos, f"the word of row {row + 1}")
            keep_offset(pos)
            target[row * row_bytes : (row + 1) * row_bytes] = source[space + 1 : end]
            pos = end
            if pos - released > RELEASE_BYTES:
                released = _release(data, released, pos)
    finally:
        source.release()
    return words, offsets, pos


def _release(data: mmap.mmap, start: int, stop: int) -> int:
    """Drop the pages of `data[start:stop]` from the process (they stay in the page cache); return the new start."""
    stop -= stop % mmap.PAGESIZE
    if stop > start and hasattr(data, "madvise"):
        data.madvise(mmap.MADV_DONTNEED, start, stop - start)
    return max(start, stop)


def _only_whitespace_left(handle, pending: bytes) -> bool:
    """Whether `pending` and the rest of `handle` hold only whitespace."""
    while not pending.strip():
        pending = handle.read(CHUNK_BYTES)
        if not pending:
            return True
    return False


def _check_only_whitespace_left(path: Path, handle, offset: int, pending: bytes, declared: int, what: str) -> None:
    """Raise if anything but whitespace follows the last declared row (the header count is too small)."""
    while True:
        stripped = pending.lstrip()
        if stripped:
            raise _fail(
                path,
                f"byte {offset + len(pending) - len(stripped)}",
                f"data continues after the {declared} {what} the header declares: the header count is wrong "
                "(use limit to read only the first rows)",
            )
        offset += len(pending)
        pending = handle.read(CHUNK_BYTES)
        if not pending:
            return


def _line_offsets(block: np.ndarray, lines: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`(starts, word_ends, ends)` of the first `lines` lines of `block` (uint8, ending with a newline).

    `word_ends` is the first space of each line (or its end when it has none); `ends` the newline.
    """
    ends = np.flatnonzero(block == 10)[:lines]
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    spaces = np.flatnonzero(block[: ends[-1] + 1] == 32)
    if len(spaces):
        following = np.searchsorted(spaces, starts)
        word_ends = np.minimum(spaces[np.minimum(following, len(spaces) - 1)], ends)
        word_ends[following == len(spaces)] = ends[following == len(spaces)]
    else:
        word_ends = ends.copy()
    return starts, word_ends, ends


def _first_bad_value(values: bytes) -> bytes | None:
    """The first whitespace-separated token of `values` that is not exactly one number, or None."""
    for token in values.split():
        try:
            if len(np.fromstring(token, dtype=np.float32, sep=" ")) == 1:
                continue
        except ValueError:
            pass
        return token
    return None


class _TextRows:
    """Parses text rows `word v_1 ... v_D` into a preallocated matrix, a block of lines at a time."""

    def __init__(self, path: Path, dim: int, out: np.ndarray, decode, first_line: int, start: int):
        self.path, self.dim, self.out, self.decode = path, dim, out, decode
        self.line, self.offset, self.rows = first_line, start, 0
        self.words: list[str] = []

    def where(self, line: int, offset: int) -> str:
        return f"line {line} (byte {offset})"

    def parse_block(self, block_bytes: bytes, max_rows: int) -> tuple[int, bool]:
        """Parse up to `max_rows` lines of `block_bytes` (whole lines, ending with a newline).

        Returns the number of bytes consumed and whether a blank line stopped the block.
        """
        block = np.frombuffer(block_bytes, dtype=np.uint8)
        starts, word_ends, ends = _line_offsets(block, max_rows)
        consumed = int(ends[-1]) + 1
        whitespace = _WHITESPACE[block[:consumed]]
        token_starts = ~whitespace
        token_starts[1:] &= whitespace[:-1]
        token_positions = np.flatnonzero(token_starts)
        tokens_before_end = np.searchsorted(token_positions, ends)
        blank = np.flatnonzero(tokens_before_end == np.searchsorted(token_positions, starts))
        stopped_by_blank = len(blank) > 0
        if stopped_by_blank:
            lines = int(blank[0])
            starts, word_ends, ends = starts[:lines], word_ends[:lines], ends[:lines]
            tokens_before_end = tokens_before_end[:lines]
            consumed = int(ends[lines - 1]) + 1 if lines else 0
        if not len(starts):
            return consumed, stopped_by_blank
        values_per_line = tokens_before_end - np.searchsorted(token_positions, word_ends)
        wrong = np.flatnonzero(values_per_line != self.dim)
        if len(wrong):
            index = int(wrong[0])
            raise _fail(
                self.path,
                self.where(self.line + index, self.offset + int(starts[index])),
                f"expected a word and {self.dim} values, found {int(values_per_line[index])} values after the word "
                f"{block_bytes[starts[index] : word_ends[index]][:60]!r}",
            )
        values = block[:consumed].copy()
        word_lengths = word_ends - starts
        word_bytes = np.arange(int(word_lengths.sum()))
        word_bytes += np.repeat(starts - (np.cumsum(word_lengths) - word_lengths), word_lengths)
        values[word_bytes] = 32
        try:
            parsed = np.fromstring(values.tobytes(), dtype=np.float32, sep=" ")
        except ValueError:
            parsed = None
        rows = len(starts)
        if parsed is None or len(parsed) != rows * self.dim:
            self._raise_bad_value(block_bytes, starts, word_ends, ends)
        self.out[self.rows : self.rows + rows] = parsed.reshape(rows, self.dim)
        starts_list = starts.tolist()
        raws = [block_bytes[start:word_end] for start, word_end in zip(starts_list, word_ends.tolist(), strict=True)]
        offsets = [self.offset + start for start in starts_list]
        first_line = self.line
        self.words += self.decode.many(raws, offsets, lambda index: f"the word of line {first_line + index}")
        self.line += rows
        self.rows += rows
        self.offset += consumed
        return consumed, stopped_by_blank

    def _raise_bad_value(self, block_bytes, starts, word_ends, ends):
        for index, (word_end, end) in enumerate(zip(word_ends.tolist(), ends.tolist(), strict=True)):
            token = _first_bad_value(block_bytes[word_end:end])
            if token is not None:
                raise _fail(
                    self.path,
                    self.where(self.line + index, self.offset + int(starts[index])),
                    f"value {token[:40]!r} is not a number",
                )
        raise _fail(self.path, self.where(self.line, self.offset), "the values of these lines are not numbers")


def _read_text_rows(
    path: Path,
    handle,
    rows: int,
    parser: _TextRows,
    header_rows: int | None,
) -> tuple[int, bytes]:
    """Parse up to `rows` lines from `handle` into `parser`; return the byte offset and bytes read after them.

    `header_rows` is the count a header declared (None for GloVe), used in error messages.
    """
    pending = b""
    at_eof = False
    while parser.rows < rows:
        newline = pending.rfind(b"\n")
        if newline == -1 and not at_eof:
            chunk = handle.read(CHUNK_BYTES)
            at_eof = not chunk
            pending += chunk
            continue
        if newline == -1:
            if pending.strip():
                raise _fail(
                    path,
                    parser.where(parser.line, parser.offset),
                    f"the last line does not end with a newline: the file looks truncated at byte "
                    f"{parser.offset + len(pending)}",
                )
            break
        block, pending = pending[: newline + 1], pending[newline + 1 :]
        consumed, blank = parser.parse_block(block, rows - parser.rows)
        pending = block[consumed:] + pending
        if blank:
            if not _only_whitespace_left(handle, pending):
                raise _fail(path, parser.where(parser.line, parser.offset), "blank line between rows")
            break
    if header_rows is not None and parser.rows < rows:
        raise _fail(
            path,
            f"byte {parser.offset}",
            f"the file ends after {parser.rows} rows but the header declares {header_rows}: the file is "
            "truncated or the header count is wrong",
        )
    return parser.offset, pending


def _read_binary(
    path: Path, limit: int | None, decode: _WordDecoder, leading_zero_rows: int
) -> tuple[list[str], np.ndarray, Callable[[int], str]]:
    """Words, padded vectors and a describer of row positions of a word2vec binary file."""
    with open(path, "rb") as handle:
        declared, dim, start = _read_header(path, handle)
        rows = declared if limit is None else min(limit, declared)
        _check_declared_size(path, rows, dim, 1 + 4 * dim, start, "binary records (a space and float32 values)")
        padded = np.zeros((leading_zero_rows + rows, dim), dtype=np.float32)
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            words, offsets, end = _read_binary_rows(path, data, start, rows, dim, padded[leading_zero_rows:], decode)
        if limit is None:
            handle.seek(end)
            _check_only_whitespace_left(path, handle, end, b"", declared, "rows")

    def describe(row: int) -> str:
        return f"row {row + 1} (byte {offsets[row]})"

    return words, padded, describe


def _read_text(
    path: Path, has_header: bool, limit: int | None, decode: _WordDecoder, leading_zero_rows: int
) -> tuple[list[str], np.ndarray, Callable[[int], str]]:
    """Words, padded vectors and a describer of row positions of a word2vec text file or a GloVe file."""
    with open(path, "rb") as handle:
        if has_header:
            declared, dim, start = _read_header(path, handle)
            rows = declared if limit is None else min(limit, declared)
            _check_declared_size(path, rows, dim, 2 * dim, start, "text lines (a separator and a digit per value)")
            first_line = 2
        else:
            if _parse_header(handle.readline(MAX_HEADER_BYTES)) is not None:
                raise _fail(path, "line 1 (byte 0)", "a GloVe file has no header, but this one starts with one")
            handle.seek(0)
            declared, start, first_line = None, 0, 1
            rows, dim = _glove_shape(path, limit)
        padded = np.zeros((leading_zero_rows + rows, dim), dtype=np.float32)
        parser = _TextRows(path, dim, padded[leading_zero_rows:], decode, first_line, start)
        end, pending = _read_text_rows(path, handle, rows, parser, declared)
        if has_header and limit is None:
            _check_only_whitespace_left(path, handle, end, pending, declared, "rows")

    def describe(row: int) -> str:
        return f"line {first_line + row}"

    return parser.words, padded[: leading_zero_rows + parser.rows], describe


def _glove_shape(path: Path, limit: int | None) -> tuple[int, int]:
    """`(rows, dim)` of a header-less text file: lines counted (up to `limit`), values of the first line."""
    rows = 0
    first_line = b""
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(CHUNK_BYTES)
            if not chunk:
                break
            if not first_line:
                first_line = chunk.partition(b"\n")[0]
            rows += chunk.count(b"\n")
            last = chunk
            if limit is not None and rows >= limit:
                break
        if rows == 0 or not last.endswith(b"\n"):
            rows += 1
    values = first_line.partition(b" ")[2].split()
    if not values:
        raise _fail(path, "line 1 (byte 0)", f"expected a word and its values, found {first_line[:60]!r}")
    return (rows if limit is None else min(rows, limit)), len(values)


def read_vocab_file(path: str | os.PathLike, unicode_errors: str = "strict", encoding: str = "utf-8") -> dict[str, int]:
    """Word counts from word2vec.c's `-save-vocab` file: one `word count` line per word."""
    path = existing_file(path, "vocabulary file")
    decode = _WordDecoder(path, encoding, unicode_errors)
    counts: dict[str, int] = {}
    offset = 0
    with open(path, "rb") as handle:
        for line_number, line in enumerate(handle, start=1):
            fields = decode(line, offset, f"line {line_number}").split()
            if len(fields) != 2 or not fields[1].isdigit():
                raise _fail(path, f"line {line_number} (byte {offset})", f"expected 'word count', found {line[:60]!r}")
            counts[fields[0]] = int(fields[1])
            offset += len(line)
    return counts


def _import_gensim(path: Path, what: str):
    try:
        import gensim
    except ImportError:
        raise InputFileError(f"{path}: reading {what} needs gensim (pip install gensim)") from None
    return gensim


def _read_through_gensim(
    path: Path, format: str, allow_pickle: bool, encoding: str, limit: int | None, leading_zero_rows: int
) -> tuple[list[str], np.ndarray, np.ndarray | None, Callable[[int], str]]:
    """Words, padded vectors, counts (or None) and a describer of rows of a gensim save or a fastText binary
    model, read through gensim."""
    if format == "gensim":
        if not allow_pickle:
            raise InputFileError(
                f"{path}: a gensim model file is a Python pickle and loading it can run arbitrary code; pass "
                "allow_pickle=True (--allow-pickle) only for a file you trust"
            )
        _import_gensim(path, "a gensim model")
        from gensim.utils import SaveLoad

        try:
            loaded = SaveLoad.load(str(path))
        except Exception as error:
            raise InputFileError(f"{path}: gensim could not load it: {error}") from error
        vectors = getattr(loaded, "wv", loaded)
    else:
        _import_gensim(path, "a fastText binary model")
        from gensim.models.fasttext import load_facebook_vectors

        try:
            vectors = load_facebook_vectors(str(path), encoding=encoding)
        except Exception as error:
            raise InputFileError(f"{path}: gensim could not read it as a fastText binary model: {error}") from error
    words = getattr(vectors, "index_to_key", None)
    if words is None or not all(isinstance(word, str) for word in words):
        raise InputFileError(f"{path}: expected gensim KeyedVectors (or a model with .wv) keyed by words")
    rows = len(words) if limit is None else min(limit, len(words))
    padded = np.zeros((leading_zero_rows + rows, vectors.vector_size), dtype=np.float32)
    padded[leading_zero_rows:] = vectors.vectors[:rows]
    counts = vectors.expandos.get("count") if hasattr(vectors, "expandos") else None
    counts = None if counts is None else np.asarray(counts[:rows], dtype=np.int64)

    def describe(row: int) -> str:
        return f"row {row + 1}"

    return list(words[:rows]), padded, counts, describe


def _all_distinct(words: list[str]) -> bool:
    """Whether no word repeats: sorted hashes first, the words themselves only where two hashes are equal."""
    hashes = np.fromiter(map(hash, words), dtype=np.int64, count=len(words))
    hashes.sort()
    shared = set(hashes[1:][hashes[1:] == hashes[:-1]].tolist())
    if not shared:
        return True
    candidates = [word for word in words if hash(word) in shared]
    return len(set(candidates)) == len(candidates)


def _check_duplicates(
    path: Path, words: list[str], describe: Callable[[int], str], duplicates: str
) -> np.ndarray | None:
    """Rows to keep when `duplicates="first"` and some word repeats; raise for `"error"`; None if all unique.

    Uniqueness is first checked on sorted 64-bit hashes (16 bytes a word, where a set of the words would take
    ~40), and only words sharing a hash are compared.
    """
    if _all_distinct(words):
        return None
    first_row: dict[str, int] = {}
    repeated = []
    for row, word in enumerate(words):
        if first_row.setdefault(word, row) != row:
            if duplicates == "error":
                raise _fail(
                    path,
                    describe(row),
                    f"duplicate word {word!r}, first seen at {describe(first_row[word])} "
                    "(duplicates='first' keeps the first, as gensim does)",
                )
            repeated.append(row)
    if not repeated:
        return None
    logger.warning("%s: %d duplicate words dropped, keeping each word's first row", path, len(repeated))
    keep = np.ones(len(words), dtype=bool)
    keep[repeated] = False
    return keep


def read_word_vectors(
    path: str | os.PathLike,
    format: str = "auto",
    *,
    limit: int | None = None,
    unicode_errors: str = "strict",
    encoding: str = "utf-8",
    vocab_file: str | os.PathLike | None = None,
    allow_pickle: bool = False,
    duplicates: str = "error",
    leading_zero_rows: int = 0,
) -> WordVectorTable:
    """Read a word-vector file.

    Args:
        path: the file.
        format: one of `FORMATS`, or `"auto"` to detect it (`detect_format`).
        limit: read only the first `limit` rows (gensim's `limit`); None reads all.
        unicode_errors: how undecodable word bytes are handled: "strict" (an error naming the byte offset),
            "replace" or "ignore" (gensim's `unicode_errors`).
        encoding: the encoding of the words.
        vocab_file: word2vec.c `-save-vocab` file giving each word's count (gensim's `fvocab`).
        allow_pickle: read a gensim save (`format="gensim"`) with gensim's loader. Such a file is a Python
            pickle, and unpickling it runs any code the file contains: pass True only for a file you trust.
            Without it, a pickle is refused with an `InputFileError` before any of it is unpickled.
        duplicates: "error" (default) or "first" (keep each word's first row, as gensim does).
        leading_zero_rows: zero rows allocated before the vectors in `padded_vectors`.

    Returns:
        A `WordVectorTable` with `vectors (n, dim)` float32 in file order.
    """
    _check_choice("format", format, ("auto", *FORMATS))
    _check_choice("unicode_errors", unicode_errors, UNICODE_ERRORS)
    _check_choice("duplicates", duplicates, DUPLICATES)
    if limit is not None and limit < 1:
        raise ValueError(f"limit={limit}: expected a positive number of rows or None for all")
    path = existing_file(path, "vector file")
    if format == "auto":
        format = detect_format(path)
    elif format == "fasttext":
        format = "fasttext" if detect_format(path) == "fasttext" else "txt"
    decode = _WordDecoder(path, encoding, unicode_errors)
    if format in ("gensim", "fasttext"):
        words, padded, counts, describe = _read_through_gensim(
            path, format, allow_pickle, encoding, limit, leading_zero_rows
        )
    elif format == "bin":
        words, padded, describe = _read_binary(path, limit, decode, leading_zero_rows)
        counts = None
    else:
        words, padded, describe = _read_text(path, format == "txt", limit, decode, leading_zero_rows)
        counts = None
    if not words:
        raise _fail(path, "byte 0", "no word vectors in the file")
    keep = _check_duplicates(path, words, describe, duplicates)
    if keep is not None:
        words = [word for word, kept in zip(words, keep, strict=True) if kept]
        padded = np.concatenate([padded[:leading_zero_rows], padded[leading_zero_rows:][keep]])
        counts = None if counts is None else counts[keep]
    if vocab_file is not None:
        counts = _counts_for(words, read_vocab_file(vocab_file, unicode_errors, encoding), vocab_file)
    return WordVectorTable(words, padded, leading_zero_rows, counts, path, format)


def _counts_for(words: list[str], vocabulary: dict[str, int], vocab_file) -> np.ndarray:
    """Counts of `words` from a vocabulary file; a word it lacks gets 0 (unknown) and a warning, as in gensim."""
    counts = np.array([vocabulary.get(word, 0) for word in words], dtype=np.int64)
    missing = [word for word in words if word not in vocabulary]
    if missing:
        logger.warning(
            "%s: %d words have no count (first: %r); their count is set to 0 (unknown)",
            vocab_file,
            len(missing),
            missing[0],
        )
    return counts


def _check_writable_words(words: Sequence[str]) -> None:
    for index, word in enumerate(words):
        if not word or " " in word or "\n" in word:
            raise ValueError(
                f"word {index} {word!r}: a word written to a vector file must be non-empty, without spaces or newlines"
            )


def write_word_vectors(
    path: str | os.PathLike,
    words: Sequence[str],
    vectors: np.ndarray,
    format: str = "bin",
    *,
    newline_after_vector: bool = True,
    rows_per_block: int = 8192,
) -> None:
    """Write `vectors (n, dim)` for `words` as word2vec binary (`bin`), word2vec text (`txt`) or GloVe (`glove`).

    Text values are the shortest decimal strings that read back to the same float32 (numpy's `str` of a
    float32, as gensim's `save_word2vec_format` writes them). `newline_after_vector` ends each binary record
    with `"\\n"` as word2vec.c does; gensim writes none (False). Both read back identically.
    """
    _check_choice("format", format, WRITE_FORMATS)
    vectors = np.asarray(vectors, dtype="<f4")
    if vectors.ndim != 2 or len(words) != len(vectors):
        raise ValueError(f"expected {len(words)} vectors as (n, dim), got shape {vectors.shape}")
    _check_writable_words(words)
    separator = b"\n" if newline_after_vector else b""
    with open(path, "wb") as handle:
        if format != "glove":
            handle.write(f"{len(words)} {vectors.shape[1]}\n".encode())
        for start in range(0, len(words), rows_per_block):
            block_words = words[start : start + rows_per_block]
            block = vectors[start : start + rows_per_block]
            if format == "bin":
                handle.write(
                    b"".join(
                        word.encode() + b" " + row.tobytes() + separator
                        for word, row in zip(block_words, block, strict=True)
                    )
                )
            else:
                lines = (word + " " + " ".join(row) for word, row in zip(block_words, block.astype(str), strict=True))
                handle.write(("\n".join(lines) + "\n").encode())


def to_gensim(words: Sequence[str], vectors: np.ndarray, counts: np.ndarray | None = None):
    """A gensim `KeyedVectors` holding `vectors (n, dim)` for `words`, with their `count` attribute if known."""
    try:
        from gensim.models import KeyedVectors
    except ImportError:
        raise ImportError("to_gensim needs gensim (pip install gensim)") from None
    keyed = KeyedVectors(vector_size=vectors.shape[1], dtype=np.float32)
    keyed.add_vectors(list(words), np.asarray(vectors, dtype=np.float32))
    if counts is not None:
        keyed.allocate_vecattrs(attrs=["count"], types=[np.int64])
        keyed.expandos["count"][:] = counts
    return keyed


__all__ = [
    "FORMATS",
    "WRITE_FORMATS",
    "WordVectorTable",
    "detect_format",
    "read_vocab_file",
    "read_word_vectors",
    "to_gensim",
    "write_word_vectors",
]
