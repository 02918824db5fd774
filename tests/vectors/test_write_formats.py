"""Writing word-vector files: gensim reads what we write, we read what gensim writes, bytes match gensim's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import WORDS, example_vectors, gensim_data
from gensim.models import KeyedVectors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hf_classic.formats.word2vec_formats import read_word_vectors, to_gensim, write_word_vectors


@pytest.mark.parametrize(
    ("format", "gensim_options"),
    [("bin", {"binary": True}), ("txt", {}), ("glove", {"no_header": True})],
)
def test_gensim_reads_what_we_write(tmp_path, format, gensim_options):
    vectors = example_vectors()
    path = tmp_path / f"v.{format}"
    write_word_vectors(path, WORDS, vectors, format)
    reference = KeyedVectors.load_word2vec_format(path, **gensim_options)
    assert reference.index_to_key == WORDS
    np.testing.assert_array_equal(reference.vectors, vectors)


@pytest.mark.parametrize("binary", [True, False])
def test_we_read_what_gensim_writes(tmp_path, binary):
    vectors = example_vectors(dim=7)
    path = tmp_path / "gensim.out"
    to_gensim(WORDS, vectors).save_word2vec_format(path, binary=binary)
    table = read_word_vectors(path)
    assert table.format == ("bin" if binary else "txt")
    assert table.words == WORDS
    np.testing.assert_array_equal(table.vectors, vectors)


@pytest.mark.parametrize(("format", "binary"), [("bin", True), ("txt", False)])
def test_our_bytes_equal_gensims_save_word2vec_format(tmp_path, format, binary):
    vectors = example_vectors(dim=5)
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    write_word_vectors(ours, WORDS, vectors, format, newline_after_vector=False)
    to_gensim(WORDS, vectors).save_word2vec_format(theirs, binary=binary)
    assert ours.read_bytes() == theirs.read_bytes()


def test_word2vec_c_layout_ends_every_record_with_a_newline(tmp_path):
    vectors = example_vectors(dim=2)
    path = tmp_path / "v.bin"
    write_word_vectors(path, WORDS, vectors, "bin")
    data = path.read_bytes()
    record = 4 * 2 + 1
    assert data.startswith(b"6 2\n</s> ")
    assert data[len(b"6 2\n</s> ") + 8 : len(b"6 2\n</s> ") + record] == b"\n"
    assert data.endswith(vectors[-1].tobytes() + b"\n")


def test_glove_round_trip_of_gensims_test_glove_is_byte_identical(tmp_path):
    source = gensim_data("test_glove.txt")
    table = read_word_vectors(source)
    path = tmp_path / "glove.txt"
    write_word_vectors(path, table.words, table.vectors, "glove")
    assert path.read_bytes() == Path(source).read_bytes()


def test_to_gensim_keeps_words_vectors_and_counts():
    vectors = example_vectors()
    counts = np.arange(len(WORDS), 0, -1)
    keyed = to_gensim(WORDS, vectors, counts)
    assert keyed.index_to_key == WORDS
    np.testing.assert_array_equal(keyed.vectors, vectors)
    assert [keyed.get_vecattr(word, "count") for word in WORDS] == counts.tolist()
    assert keyed.most_similar("Paris", topn=1)[0][0] in WORDS


@pytest.mark.parametrize("word", ["two words", "", "line\nbreak"])
def test_words_that_no_format_can_hold_are_refused(tmp_path, word):
    with pytest.raises(ValueError, match="word 1"):
        write_word_vectors(tmp_path / "v.bin", ["ok", word], example_vectors(rows=2), "bin")


def test_gensim_save_of_our_vectors_reads_back_with_allow_pickle(tmp_path):
    vectors = example_vectors()
    path = tmp_path / "vectors.kv"
    to_gensim(WORDS, vectors, np.arange(6, 0, -1)).save(str(path))
    table = read_word_vectors(path, allow_pickle=True)
    assert table.format == "gensim"
    assert table.words == WORDS
    np.testing.assert_array_equal(table.vectors, vectors)
    assert table.counts.tolist() == [6, 5, 4, 3, 2, 1]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    words=st.lists(
        st.text(st.characters(blacklist_categories=["Cs", "Zs", "Zl", "Zp", "Cc"]), min_size=1, max_size=8),
        min_size=1,
        max_size=6,
        unique=True,
    ),
    dim=st.integers(1, 4),
    data=st.data(),
)
@pytest.mark.parametrize("format", ["bin", "txt", "glove"])
def test_any_words_and_float32_values_survive_write_then_read(tmp_path, format, words, dim, data):
    values = data.draw(
        st.lists(st.floats(width=32, allow_nan=False), min_size=len(words) * dim, max_size=len(words) * dim)
    )
    vectors = np.array(values, dtype=np.float32).reshape(len(words), dim)
    path = tmp_path / f"v.{format}"
    write_word_vectors(path, words, vectors, format)
    table = read_word_vectors(path, format)
    assert table.words == words
    np.testing.assert_array_equal(table.vectors, vectors)
