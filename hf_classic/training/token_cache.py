"""A process's share of the encoded corpus, kept on disk between epochs so that it is tokenised only once.

Encoding text is the slow part of feeding word2vec: on 2 cores `tokenizers` turns Gutenberg's 2.6M words into
ids at about 1.8M words/s, slower than the CBOW kernel trains on them. The cache writes each block's ids once,
to an unlinked temporary file, and every later epoch reads them back at the speed of the page cache. Resident
memory does not grow with the corpus (the file's pages belong to the kernel's page cache, not to the process),
and the disk space returns to the system when the process ends, even when it is killed.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

logger = logging.getLogger(__name__)

LINE_LENGTH_DTYPE = np.dtype(np.uint32)


@dataclass(frozen=True)
class _CachedBlock:
    offset: int
    words: int
    lines: int


class TokenCache:
    """Blocks of encoded lines, appended during one pass over the corpus and read back in order in later ones.

    A pass starts with `restart`, appends every block and ends with `finish`; `blocks` then reads them back. A
    block is `ids (words,)`, the ids of the in-vocabulary words of its lines in order, and `line_lengths (lines,)`,
    how many of them each line has. Ids are stored as uint16 while the vocabulary allows (2 bytes a word), else
    int32.

    Args:
        max_bytes: the most the file may hold; past it the cache gives up (its file is freed) and the corpus
            has to be streamed again each epoch. 0: never cache.
        directory: where the temporary file lives; None: the system's temporary directory (`TMPDIR`).
    """

    def __init__(self, max_bytes: int, directory: str | os.PathLike | None = None):
        if max_bytes < 0:
            raise ValueError(f"max_bytes={max_bytes}: expected a size >= 0")
        self.max_bytes = max_bytes
        self.directory = directory
        self.id_dtype = np.dtype(np.uint16)
        self.id_map: np.ndarray | None = None
        self.complete = False
        self.accepting = False
        self._file: BinaryIO | None = None
        self._blocks: list[_CachedBlock] = []
        self._size = 0

    @property
    def size(self) -> int:
        """Bytes written so far."""
        return self._size

    def restart(self, vocab_size: int) -> None:
        """Forget every block and start a pass that stores ids below `vocab_size`. Until `finish`, `accepting`
        says whether blocks are still stored (False once the cache gave up)."""
        self.close()
        self.id_dtype = np.dtype(np.uint16 if vocab_size <= 2**16 else np.int32)
        self.accepting = self.max_bytes > 0

    def append(self, ids: np.ndarray, line_lengths: np.ndarray) -> None:
        """Store one block at the end: `ids (words,)` below the vocabulary size, `line_lengths (lines,)` summing to
        `words`. Past `max_bytes`, or when the disk refuses the write, the cache gives up instead."""
        if not self.accepting:
            return
        ids = np.ascontiguousarray(ids, dtype=self.id_dtype)
        line_lengths = np.ascontiguousarray(line_lengths, dtype=LINE_LENGTH_DTYPE)
        block_bytes = ids.nbytes + line_lengths.nbytes
        if self._size + block_bytes > self.max_bytes:
            logger.info(
                "token cache: the encoded corpus passes %d MB; later epochs read the corpus again "
                "(a larger --token-cache-mb avoids it)",
                self.max_bytes // 2**20,
            )
            self.close()
            return
        try:
            if self._file is None:
                # Held open until `close`, not in a with-block; it has no name, so nothing is left behind.
                self._file = tempfile.TemporaryFile(prefix="hf_classic-token-cache-", dir=self.directory)  # noqa: SIM115
            self._file.seek(self._size)
            self._file.write(ids.tobytes())
            self._file.write(line_lengths.tobytes())
        except OSError as error:
            logger.warning(
                "token cache: cannot write to %s (%s); later epochs read the corpus again",
                self.directory or tempfile.gettempdir(),
                error,
            )
            self.close()
            return
        self._blocks.append(_CachedBlock(self._size, len(ids), len(line_lengths)))
        self._size += block_bytes

    def finish(self, id_map: np.ndarray | None = None) -> None:
        """Mark the pass complete: the blocks can be read back. `id_map (stored ids,)`, if given, is applied to the
        ids as they are read (a vocabulary reordered after the pass; -1 for ids to drop)."""
        if self.accepting:
            self.id_map = None if id_map is None else np.asarray(id_map)
            self.complete = True
        self.accepting = False

    def blocks(self, skip: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield `(ids, line_lengths)` for each block after the first `skip`, ids as int32 (mapped
        through `id_map`, so they may include -1)."""
        if not self.complete:
            raise RuntimeError("TokenCache.blocks: the pass that fills the cache has not finished")
        for block in self._blocks[skip:]:
            self._file.seek(block.offset)
            ids = np.frombuffer(self._file.read(block.words * self.id_dtype.itemsize), dtype=self.id_dtype)
            lengths = np.frombuffer(self._file.read(block.lines * LINE_LENGTH_DTYPE.itemsize), LINE_LENGTH_DTYPE)
            ids = ids.astype(np.int32) if self.id_map is None else self.id_map[ids].astype(np.int32, copy=False)
            yield ids, lengths.astype(np.int64)

    def close(self) -> None:
        """Free the file and forget every block (`restart` begins a new pass)."""
        if self._file is not None:
            self._file.close()
        self._file = None
        self._blocks = []
        self._size = 0
        self.id_map = None
        self.complete = False
        self.accepting = False
