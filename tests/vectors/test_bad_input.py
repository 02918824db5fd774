"""Every damaged or wrong input gives an InputFileError naming the file, the position and the problem."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import WORDS, example_vectors, text_rows, word2vec_c_binary
from gensim.models import KeyedVectors

from hf_classic.errors import InputFileError
from hf_classic.formats.word2vec_formats import read_word_vectors

POSITION = r"(byte \d+|line \d+ \(byte \d+\)|row \d+ \(byte \d+\))"


def write(tmp_path, data: bytes, name: str = "vectors") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def assert_fails(path: str, pattern: str, **options) -> InputFileError:
    with pytest.raises(InputFileError) as caught:
        read_word_vectors(path, **options)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert re.search(POSITION, message), message
    assert re.search(pattern, message), message
    return caught.value


@pytest.mark.parametrize("newline", [True, False], ids=["word2vec.c-layout", "gensim-layout"])
def test_binary_truncated_at_every_byte_is_an_error(tmp_path, newline):
    data = word2vec_c_binary(WORDS[:3], example_vectors(rows=3, dim=2), newline=newline)
    complete = len(data) - 1 if newline else len(data)
    for size in range(1, complete):
        path = write(tmp_path, data[:size], f"cut{size}.bin")
        with pytest.raises(InputFileError, match=re.escape(path)):
            read_word_vectors(path, format="bin")
    assert read_word_vectors(write(tmp_path, data[:complete]), format="bin").words == WORDS[:3]


@pytest.mark.parametrize("format", ["txt", "glove"])
def test_text_truncated_at_every_byte_is_an_error(tmp_path, format):
    data = text_rows(WORDS[:3], example_vectors(rows=3, dim=2), header=format == "txt")
    line_ends = {index + 1 for index, byte in enumerate(data) if byte == ord("\n")}
    for size in range(1, len(data)):
        if format == "glove" and size in line_ends:
            continue
        path = write(tmp_path, data[:size], f"cut{size}.txt")
        with pytest.raises(InputFileError, match=re.escape(path)):
            read_word_vectors(path, format=format)


def test_binary_cut_inside_a_vector_names_row_and_byte(tmp_path):
    data = word2vec_c_binary(WORDS[:3], example_vectors(rows=3, dim=2))
    path = write(tmp_path, data[:-4])
    assert_fails(path, rf"byte {len(data) - 4}: the file ends inside row 3 of the 3")


def test_text_last_line_without_newline_is_reported_as_truncated(tmp_path):
    path = write(tmp_path, b"2 2\nab 1 2\ncd 3 4")
    assert_fails(path, r"line 3 \(byte 11\): the last line does not end with a newline")


@pytest.mark.parametrize("format", ["bin", "txt"])
def test_header_declaring_more_rows_than_present(tmp_path, format):
    vectors = example_vectors(rows=3, dim=2)
    header = "5 2\n"
    data = word2vec_c_binary(WORDS[:3], vectors, header=header) if format == "bin" else text_rows(WORDS[:3], vectors)
    if format == "txt":
        data = header.encode() + data.split(b"\n", 1)[1]
    path = write(tmp_path, data)
    assert_fails(path, r"(ends inside row 4 of the 5|ends after 3 rows but the header declares 5)")
    with pytest.raises(EOFError):
        KeyedVectors.load_word2vec_format(path, binary=format == "bin")


@pytest.mark.parametrize("format", ["bin", "txt"])
def test_header_declaring_fewer_rows_than_present(tmp_path, format):
    vectors = example_vectors(rows=3, dim=2)
    data = word2vec_c_binary(WORDS[:3], vectors, header="2 2\n") if format == "bin" else text_rows(WORDS[:3], vectors)
    if format == "txt":
        data = b"2 2\n" + data.split(b"\n", 1)[1]
    path = write(tmp_path, data)
    assert_fails(path, r"data continues after the 2 rows the header declares")
    assert read_word_vectors(path, limit=2).words == WORDS[:2]


@pytest.mark.parametrize(
    ("row", "found"),
    [(b"cd 3\n", 1), (b"cd 3 4 5\n", 3), (b"cd\n", 0)],
)
@pytest.mark.parametrize("header", [True, False], ids=["txt", "glove"])
def test_row_with_the_wrong_number_of_values_names_its_line(tmp_path, row, found, header):
    data = (b"3 2\n" if header else b"") + b"ab 1 2\n" + row + b"ef 5 6\n"
    path = write(tmp_path, data)
    line = 3 if header else 2
    assert_fails(
        path, rf"line {line} \(byte \d+\): expected a word and 2 values, found {found} values after the word b'cd'"
    )


@pytest.mark.parametrize("value", [b"x1", b"1.5.2", b"1,5", b"0x", b"1-2"])
def test_non_numeric_value_names_line_and_value(tmp_path, value):
    path = write(tmp_path, b"3 2\nab 1 2\ncd 3 " + value + b"\nef 5 6\n")
    assert_fails(path, rf"line 3 \(byte 11\): value {re.escape(repr(value))} is not a number")


def test_error_in_a_later_chunk_names_the_right_line(tmp_path, monkeypatch):
    from hf_classic.formats import word2vec_formats

    monkeypatch.setattr(word2vec_formats, "CHUNK_BYTES", 64)
    lines = [f"w{index} {index}.5 -{index}" for index in range(200)]
    lines[150] = "w150 1.0 oops"
    data = ("\n".join(["200 2", *lines]) + "\n").encode()
    path = write(tmp_path, data)
    offset = data.index(b"w150 ")
    assert_fails(path, rf"line 152 \(byte {offset}\): value b'oops' is not a number")


def test_empty_file(tmp_path):
    path = write(tmp_path, b"")
    with pytest.raises(InputFileError, match=rf"{re.escape(path)}: vector file is empty"):
        read_word_vectors(path)


def test_missing_file(tmp_path):
    path = str(tmp_path / "nowhere.bin")
    with pytest.raises(InputFileError, match=rf"{re.escape(path)}: vector file does not exist"):
        read_word_vectors(path)


@pytest.mark.parametrize("header", [b"3\n", b"3 two\n", b"3 2 1\n", b"-3 2\n"])
def test_malformed_header(tmp_path, header):
    path = write(tmp_path, header + b"ab 1 2\n")
    assert_fails(path, r"line 1 \(byte 0\): expected a header line", format="txt")


def test_non_utf8_word_with_strict_errors_names_its_byte(tmp_path):
    vectors = example_vectors(rows=2, dim=2)
    data = b"2 2\n" + b"ab " + vectors[0].tobytes() + b"\n" + b"caf\xe9 " + vectors[1].tobytes() + b"\n"
    path = write(tmp_path, data)
    assert_fails(path, r"byte 19: the word of row 2 b'caf\\xe9' is not valid utf-8")
    assert read_word_vectors(path, unicode_errors="replace").words == ["ab", "caf\ufffd"]
    assert read_word_vectors(path, unicode_errors="ignore").words == ["ab", "caf"]
    assert read_word_vectors(path, encoding="latin-1").words == ["ab", "café"]


def test_non_utf8_word_in_text(tmp_path):
    path = write(tmp_path, b"ab 1 2\ncaf\xe9 3 4\n")
    assert_fails(path, r"byte 10: the word of line 2 b'caf\\xe9' is not valid utf-8")


@pytest.mark.parametrize("format", ["bin", "txt"])
def test_duplicate_words_are_an_error_naming_both_rows(tmp_path, format):
    words = ["ab", "cd", "ab"]
    vectors = example_vectors(rows=3, dim=2)
    data = word2vec_c_binary(words, vectors) if format == "bin" else text_rows(words, vectors)
    path = write(tmp_path, data)
    where = r"row 3 \(byte 28\)" if format == "bin" else "line 4"
    first = r"row 1 \(byte 4\)" if format == "bin" else "line 2"
    with pytest.raises(InputFileError, match=rf"{where}: duplicate word 'ab', first seen at {first}"):
        read_word_vectors(path)
    kept = read_word_vectors(path, duplicates="first")
    reference = KeyedVectors.load_word2vec_format(path, binary=format == "bin")
    # gensim 4.4 keeps a None key and a zero row where the dropped duplicate was; its first two rows are ours.
    assert kept.words == ["ab", "cd"] == reference.index_to_key[:2]
    np.testing.assert_array_equal(kept.vectors, reference.vectors[:2])
    np.testing.assert_array_equal(kept.vectors, vectors[:2])


def test_blank_line_between_rows(tmp_path):
    path = write(tmp_path, b"ab 1 2\n\ncd 3 4\n")
    assert_fails(path, r"line 2 \(byte 7\): blank line between rows")


def test_trailing_blank_lines_of_a_glove_file_are_ignored(tmp_path):
    table = read_word_vectors(write(tmp_path, b"ab 1 2\ncd 3 4\n\n\n"))
    assert table.words == ["ab", "cd"]
    np.testing.assert_array_equal(table.vectors, [[1, 2], [3, 4]])


def test_glove_format_refuses_a_file_with_a_header(tmp_path):
    path = write(tmp_path, b"1 2\nab 1 2\n")
    assert_fails(path, "a GloVe file has no header", format="glove")


def test_binary_without_spaces_is_not_a_word2vec_file(tmp_path, monkeypatch):
    from hf_classic.formats import word2vec_formats

    monkeypatch.setattr(word2vec_formats, "MAX_WORD_BYTES", 100)
    path = write(tmp_path, b"1 2\n" + b"x" * 1000)
    assert_fails(path, "no space within 100 bytes in row 1", format="bin")


def test_pickle_without_opt_in_is_refused_before_unpickling(tmp_path):
    path = write(tmp_path, b"\x80\x04this would be a pickle")
    with pytest.raises(InputFileError, match="pickle and loading it can run arbitrary code"):
        read_word_vectors(path)
