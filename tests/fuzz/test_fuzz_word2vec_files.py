"""Fuzzing the word-vector readers: word2vec `.bin` and `.txt`, GloVe, fastText `.vec`, format detection and the
`-save-vocab` counts file. Each input reads correctly or raises `InputFileError` naming the file and position."""

from __future__ import annotations

import time

import fuzz_targets as ft
import numpy as np
import pytest
from fuzz_properties import FUZZ_SETTINGS, TARGETS, check_mutation, peak_bytes, print_tally
from hypothesis import given
from hypothesis import strategies as st

from hf_classic.errors import InputFileError
from hf_classic.formats.word2vec_formats import read_vocab_file, read_word_vectors, write_word_vectors

VECTOR_TARGETS = ["word2vec_bin", "word2vec_txt", "glove", "fasttext_vec", "vectors_auto", "word2vec_vocab"]
FORMAT_OF = {"word2vec_bin": "bin", "word2vec_txt": "txt", "glove": "glove", "fasttext_vec": "fasttext"}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    folders = {name: tmp_path_factory.mktemp(name) for name in VECTOR_TARGETS}
    yield {name: (folders[name], ft.prepare(TARGETS[name], folders[name])) for name in VECTOR_TARGETS}
    print_tally(VECTOR_TARGETS)


@pytest.mark.parametrize("name", VECTOR_TARGETS)
@FUZZ_SETTINGS
@given(data=st.data())
def test_mutated_files_read_or_raise_our_error(prepared, name, data):
    folder, seeds = prepared[name]
    check_mutation(name, folder, seeds, data)


words = st.lists(
    st.text(st.characters(blacklist_categories=("Cs", "Zs", "Cc", "Zl", "Zp")), min_size=1, max_size=6),
    min_size=1,
    max_size=5,
    unique=True,
)


@FUZZ_SETTINGS
@given(
    words=words,
    dim=st.integers(1, 5),
    values=st.data(),
    format=st.sampled_from(["bin", "txt", "glove"]),
)
def test_written_files_read_back_exactly(tmp_path_factory, words, dim, values, format):
    """Round trip: any words and float32 values (NaN and infinities included) read back as written."""
    floats = st.floats(width=32, allow_nan=True, allow_infinity=True)
    vectors = np.array(
        values.draw(st.lists(st.lists(floats, min_size=dim, max_size=dim), min_size=len(words), max_size=len(words))),
        dtype=np.float32,
    ).reshape(len(words), dim)
    path = tmp_path_factory.mktemp("roundtrip") / f"vectors.{format}"
    write_word_vectors(path, words, vectors, format)
    table = read_word_vectors(path, format)
    assert table.words == words
    np.testing.assert_array_equal(table.vectors, vectors)


@pytest.mark.parametrize("name", ["word2vec_bin", "word2vec_txt", "glove", "fasttext_vec", "word2vec_vocab"])
def test_truncation_at_every_offset(prepared, name):
    """Cutting the first seed at every byte offset (header, mid-word, mid-vector, at the final newline) gives a
    correct shorter table or our error; a cut inside the data section is always an error."""
    folder, seeds = prepared[name]
    target = TARGETS[name]
    seed = seeds[0]
    last_newline = seed.rstrip(b"\n").rfind(b"\n")
    for cut in range(len(seed)):
        outcome = ft.execute(target, seed[:cut], folder)
        ft.SUITE_TALLY.add(name, outcome)
        assert outcome.kind != "finding", f"cut at {cut}: {outcome.message}"
        if name != "word2vec_vocab" and 0 < cut < last_newline:
            assert outcome.kind == "error" or name == "glove", f"cut at {cut} read as a valid file"


HUGE_HEADERS = ["1000000000000 300", "3 1000000000000", "18446744073709551616 1", "2 9223372036854775807"]


@pytest.mark.parametrize("header", HUGE_HEADERS)
@pytest.mark.parametrize("format", ["bin", "txt", "fasttext", "auto"])
def test_huge_declared_size_fails_fast_without_allocating(tmp_path, header, format):
    """A header claiming 10^12 rows or dimensions is refused in constant time, with at most 1 MB allocated."""
    path = tmp_path / "huge.vectors"
    body = b"the " + np.ones(3, "<f4").tobytes() + b"\n" if format == "bin" else b"the 1.0 2.0 3.0\n"
    path.write_bytes(header.encode() + b"\n" + body)
    start = time.perf_counter()
    result, peak = peak_bytes(lambda: read_word_vectors(path, format))
    assert isinstance(result, InputFileError), result
    assert str(path) in str(result) and "line 1" in str(result) and "header declares" in str(result)
    assert peak < 1 << 20, f"{peak} bytes allocated"
    assert time.perf_counter() - start < 1.0


def test_nan_and_infinity_values_are_read_as_written(tmp_path):
    path = tmp_path / "special.txt"
    path.write_bytes(b"2 3\na nan inf -inf\nb 1e999 -0 1.5\n")
    table = read_word_vectors(path, "txt")
    np.testing.assert_array_equal(table.vectors, np.array([[np.nan, np.inf, -np.inf], [np.inf, -0.0, 1.5]], "f4"))


def test_bad_utf8_names_the_byte_offset(tmp_path):
    path = tmp_path / "bad.bin"
    path.write_bytes(b"2 1\nok " + np.ones(1, "<f4").tobytes() + b"\nb\xffd " + np.ones(1, "<f4").tobytes() + b"\n")
    with pytest.raises(InputFileError, match=r"bad\.bin: byte 13: the word of row 2 b'b\\xffd' is not valid utf-8"):
        read_word_vectors(path, "bin")
    assert read_word_vectors(path, "bin", unicode_errors="replace").words == ["ok", "b\ufffdd"]


def test_duplicated_word_names_both_rows(tmp_path):
    path = tmp_path / "dup.txt"
    path.write_bytes(b"3 1\na 1\nb 2\na 3\n")
    with pytest.raises(InputFileError, match=r"dup\.txt: line 4: duplicate word 'a', first seen at line 2"):
        read_word_vectors(path, "txt")
    assert read_word_vectors(path, "txt", duplicates="first").words == ["a", "b"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"2 1\na 1\n\nb 2\n", r"line 3 \(byte 8\): blank line between rows"),
        (b"\n", r"line 1 \(byte 0\): expected a header line"),
        (b"1 1\na 1\nb 2\n", r"byte 8: data continues after the 1 rows the header declares"),
        (b"2 1\na 1\n", r"byte 8: the file ends after 1 rows but the header declares 2"),
        (b"1 2\na 1\n", r"line 2 \(byte 4\): expected a word and 2 values, found 1"),
    ],
)
def test_damaged_text_files_name_the_position(tmp_path, content, message):
    path = tmp_path / "damaged.txt"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=message):
        read_word_vectors(path, "txt")


def test_empty_file_is_our_error(tmp_path):
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    with pytest.raises(InputFileError, match=r"empty\.bin: vector file is empty"):
        read_word_vectors(path)


def test_vocab_file_bad_line_names_line_and_byte(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_bytes(b"a 3\nb x\n")
    with pytest.raises(InputFileError, match=r"vocab\.txt: line 2 \(byte 4\): expected 'word count'"):
        read_vocab_file(path)
