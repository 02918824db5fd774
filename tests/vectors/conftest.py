"""Shared helpers for the word-vector format tests: small files built byte by byte, and gensim's test data."""

from __future__ import annotations

import numpy as np
import pytest

gensim_test_utils = pytest.importorskip("gensim.test.utils")


def gensim_data(name: str) -> str:
    """Path of one of the files gensim ships for its own tests (gensim/test/test_data)."""
    return gensim_test_utils.datapath(name)


WORDS = ["</s>", "Paris", "paris", "Ärger", "東京", "x"]


def example_vectors(rows: int = len(WORDS), dim: int = 3, seed: int = 0) -> np.ndarray:
    """`(rows, dim)` float32 values with a spread of magnitudes (tiny, negative, > 1)."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((rows, dim)) * 10.0 ** rng.integers(-6, 3, (rows, dim))).astype(np.float32)


def word2vec_c_binary(words, vectors, newline: bool = True, header: str | None = None) -> bytes:
    """A word2vec binary file laid out by hand: header, then `word b" " float32s [b"\\n"]` per row."""
    header = header if header is not None else f"{len(words)} {vectors.shape[1]}\n"
    body = b"".join(
        word.encode() + b" " + row.astype("<f4").tobytes() + (b"\n" if newline else b"")
        for word, row in zip(words, vectors, strict=True)
    )
    return header.encode() + body


def text_rows(words, vectors, header: bool = True) -> bytes:
    """A word2vec text file (or GloVe without `header`) laid out by hand with `repr` of each float32."""
    lines = [f"{len(words)} {vectors.shape[1]}"] if header else []
    lines += [word + " " + " ".join(str(value) for value in row) for word, row in zip(words, vectors, strict=True)]
    return ("\n".join(lines) + "\n").encode()
