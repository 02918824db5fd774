"""Reading word-vector files gives what gensim's loaders give: same words in the same order, same floats."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import WORDS, example_vectors, gensim_data, text_rows, word2vec_c_binary
from gensim.models import KeyedVectors
from gensim.models.fasttext import load_facebook_vectors

from hf_classic.errors import InputFileError
from hf_classic.formats.word2vec_formats import detect_format, read_word_vectors

GENSIM_FILES = [
    ("euclidean_vectors.bin", "bin", {"binary": True}),
    ("poincare_vectors.bin", "bin", {"binary": True}),
    ("high_precision.kv.bin", "bin", {"binary": True}),
    ("high_precision.kv.txt", "txt", {}),
    ("lee_fasttext.vec", "txt", {}),
    ("crime-and-punishment.vec", "txt", {}),
    ("toy-model.vec", "txt", {}),
    ("test_glove.txt", "glove", {"no_header": True}),
]


@pytest.mark.parametrize(("name", "expected_format", "gensim_options"), GENSIM_FILES)
def test_gensim_test_files_read_like_gensim(name, expected_format, gensim_options):
    path = gensim_data(name)
    table = read_word_vectors(path)
    reference = KeyedVectors.load_word2vec_format(path, **gensim_options)
    assert table.format == expected_format
    assert table.words == reference.index_to_key
    assert table.vectors.dtype == np.float32
    np.testing.assert_array_equal(table.vectors, reference.vectors)


@pytest.mark.parametrize(
    ("name", "gensim_options"), [("euclidean_vectors.bin", {"binary": True}), ("lee_fasttext.vec", {})]
)
@pytest.mark.parametrize("limit", [1, 7, 100000])
def test_limit_reads_the_first_rows_like_gensim(name, gensim_options, limit):
    path = gensim_data(name)
    table = read_word_vectors(path, limit=limit)
    reference = KeyedVectors.load_word2vec_format(path, limit=limit, **gensim_options)
    assert table.words == reference.index_to_key
    np.testing.assert_array_equal(table.vectors, reference.vectors)


def test_limit_on_glove_counts_lines_like_gensim_no_header():
    path = gensim_data("test_glove.txt")
    table = read_word_vectors(path, limit=10)
    reference = KeyedVectors.load_word2vec_format(path, no_header=True, limit=10)
    assert table.words == reference.index_to_key == table.words[:10]
    np.testing.assert_array_equal(table.vectors, reference.vectors)


def test_non_ascii_words_of_crime_and_punishment_keep_their_cyrillic_spelling():
    table = read_word_vectors(gensim_data("crime-and-punishment.vec"))
    assert table.words[:3] == ["и", "в", "на"]
    assert all(word.isprintable() for word in table.words)


def test_fasttext_binary_model_reads_through_gensim_with_counts():
    path = gensim_data("crime-and-punishment.bin")
    table = read_word_vectors(path)
    reference = load_facebook_vectors(path)
    assert table.format == "fasttext"
    assert table.words == reference.index_to_key
    np.testing.assert_array_equal(table.vectors, reference.vectors)
    np.testing.assert_array_equal(table.counts, [reference.get_vecattr(word, "count") for word in table.words])


def test_fasttext_format_means_vec_text_for_a_vec_file():
    table = read_word_vectors(gensim_data("lee_fasttext.vec"), "fasttext")
    assert table.format == "txt"
    assert len(table) == 1762


def test_strict_unicode_errors_name_the_byte_of_a_cut_multibyte_word():
    path = gensim_data("w2v_keyedvectors_load_test.modeldata")
    with pytest.raises(InputFileError, match=r"w2v_keyedvectors_load_test.modeldata: byte 19: the word of line 2"):
        read_word_vectors(path)
    with pytest.raises(UnicodeDecodeError):
        KeyedVectors.load_word2vec_format(path)


@pytest.mark.parametrize("unicode_errors", ["replace", "ignore"])
def test_unicode_errors_and_vocab_file_match_gensim(unicode_errors):
    path, vocab = gensim_data("w2v_keyedvectors_load_test.modeldata"), gensim_data("w2v_keyedvectors_load_test.vocab")
    table = read_word_vectors(path, unicode_errors=unicode_errors, vocab_file=vocab)
    reference = KeyedVectors.load_word2vec_format(path, unicode_errors=unicode_errors, fvocab=vocab)
    assert table.words == reference.index_to_key
    assert table.counts.tolist() == [123, 789] == [reference.get_vecattr(word, "count") for word in table.words]
    np.testing.assert_array_equal(table.vectors, reference.vectors)


@pytest.mark.parametrize("newline", [True, False], ids=["word2vec.c-layout", "gensim-layout"])
def test_binary_with_or_without_newline_after_each_vector(tmp_path, newline):
    vectors = example_vectors()
    path = tmp_path / "v.bin"
    path.write_bytes(word2vec_c_binary(WORDS, vectors, newline=newline))
    table = read_word_vectors(path)
    reference = KeyedVectors.load_word2vec_format(path, binary=True)
    assert table.format == "bin"
    assert table.words == WORDS == reference.index_to_key
    np.testing.assert_array_equal(table.vectors, vectors)
    np.testing.assert_array_equal(reference.vectors, vectors)


def test_text_with_crlf_and_trailing_spaces_reads_like_gensim(tmp_path):
    vectors = example_vectors()
    path = tmp_path / "v.txt"
    path.write_bytes(text_rows(WORDS, vectors).replace(b"\n", b" \r\n"))
    table = read_word_vectors(path)
    assert table.words == WORDS == KeyedVectors.load_word2vec_format(path).index_to_key
    np.testing.assert_array_equal(table.vectors, vectors)


def test_case_is_kept_exactly(tmp_path):
    vectors = example_vectors()
    path = tmp_path / "v.txt"
    path.write_bytes(text_rows(WORDS, vectors))
    table = read_word_vectors(path)
    assert table.words[1:3] == ["Paris", "paris"]
    np.testing.assert_array_equal(table.vectors[1:3], vectors[1:3])


def test_leading_zero_rows_share_memory_with_the_vectors():
    table = read_word_vectors(gensim_data("lee_fasttext.vec"), leading_zero_rows=2)
    assert table.padded_vectors.shape == (1764, 10)
    assert not table.padded_vectors[:2].any()
    assert np.shares_memory(table.vectors, table.padded_vectors)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("euclidean_vectors.bin", "bin"),
        ("lee_fasttext.vec", "txt"),
        ("test_glove.txt", "glove"),
        ("crime-and-punishment.bin", "fasttext"),
        ("old_keyedvectors_320.dat", "gensim"),
    ],
)
def test_detect_format_from_content(name, expected):
    assert detect_format(gensim_data(name)) == expected


@pytest.mark.parametrize("name", ["old_keyedvectors_320.dat", "model-from-gensim-3.8.0.w2v"])
def test_gensim_pickles_need_an_explicit_opt_in(name):
    path = gensim_data(name)
    with pytest.raises(InputFileError, match="pickle.*allow_pickle=True"):
        read_word_vectors(path)
    table = read_word_vectors(path, allow_pickle=True)
    loaded = KeyedVectors.load(path) if name.endswith(".dat") else __import__("gensim").models.Word2Vec.load(path).wv
    assert table.format == "gensim"
    assert table.words == loaded.index_to_key
    np.testing.assert_array_equal(table.vectors, loaded.vectors)
    np.testing.assert_array_equal(table.counts, [loaded.get_vecattr(word, "count") for word in table.words])


def test_binary_pages_released_while_reading_do_not_change_the_result(monkeypatch):
    from hf_classic.formats import word2vec_formats

    monkeypatch.setattr(word2vec_formats, "RELEASE_BYTES", 4096)
    path = gensim_data("poincare_vectors.bin")
    table = read_word_vectors(path)
    reference = KeyedVectors.load_word2vec_format(path, binary=True)
    assert table.words == reference.index_to_key
    np.testing.assert_array_equal(table.vectors, reference.vectors)


def test_text_read_in_small_blocks_equals_one_block(monkeypatch):
    from hf_classic.formats import word2vec_formats

    whole = read_word_vectors(gensim_data("lee_fasttext.vec"))
    monkeypatch.setattr(word2vec_formats, "CHUNK_BYTES", 100)
    blocks = read_word_vectors(gensim_data("lee_fasttext.vec"))
    assert blocks.words == whole.words
    np.testing.assert_array_equal(blocks.vectors, whole.vectors)
