"""The query side gives gensim's answers on the same vectors."""

import numpy as np
import pytest

from hf_classic.data import ANALOGIES, SIMLEX999, WORDSIM353, data_path
from hf_classic.word2vec import WordNotInVocabularyError, WordVectors
from hf_classic.word2vec.keyed_vectors import rank_with_ties

gensim_models = pytest.importorskip("gensim.models")


@pytest.fixture(scope="module")
def both(trained_skipgram):
    model, tokenizer, _ = trained_skipgram
    ours = model.word2vec.word_vectors(tokenizer)
    theirs = gensim_models.KeyedVectors(vector_size=ours.vectors.shape[1])
    theirs.add_vectors(ours.index_to_key, ours.vectors)
    return ours, theirs


@pytest.mark.parametrize("word", ["god", "king", "gold", "jerusalem", "and"])
def test_most_similar_matches_gensim(both, word):
    ours, theirs = both
    mine, reference = ours.most_similar(word, topn=10), theirs.most_similar(word, topn=10)
    assert [w for w, _ in mine] == [w for w, _ in reference]
    np.testing.assert_allclose([s for _, s in mine], [s for _, s in reference], atol=1e-5)


def test_most_similar_with_negative_words_and_restricted_vocabulary(both):
    ours, theirs = both
    mine = ours.most_similar(positive=["king", "woman"], negative=["man"], topn=5, restrict_vocab=2000)
    reference = theirs.most_similar(positive=["king", "woman"], negative=["man"], topn=5, restrict_vocab=2000)
    assert [w for w, _ in mine] == [w for w, _ in reference]


def test_similarity_matches_gensim(both):
    ours, theirs = both
    assert ours.similarity("gold", "silver") == pytest.approx(float(theirs.similarity("gold", "silver")), abs=1e-6)


def test_analogy_accuracy_matches_gensim(both):
    ours, theirs = both
    path = data_path(ANALOGIES)
    mine = ours.evaluate_word_analogies(path)
    score, sections = theirs.evaluate_word_analogies(str(path))
    assert mine.accuracy == pytest.approx(score, abs=1e-12)
    total = sections[-1]
    assert sum(len(s.correct) for s in mine.sections) == len(total["correct"])
    assert sum(len(s.incorrect) for s in mine.sections) == len(total["incorrect"])


@pytest.mark.parametrize("name", [WORDSIM353, SIMLEX999])
def test_word_pair_correlations_match_gensim(both, name):
    ours, theirs = both
    path = data_path(name)
    mine = ours.evaluate_word_pairs(path)
    pearson, spearman, oov = theirs.evaluate_word_pairs(str(path))
    assert mine.pearson == pytest.approx(pearson[0], abs=1e-6)
    assert mine.spearman == pytest.approx(spearman[0], abs=1e-6)
    assert mine.oov_ratio == pytest.approx(oov, abs=1e-9)


def test_unknown_word_is_a_clear_error(both):
    ours, _ = both
    with pytest.raises(WordNotInVocabularyError, match="word 'xylophone' is not in the vocabulary"):
        ours.most_similar("xylophone")
    with pytest.raises(KeyError):
        ours.similarity("god", "xylophone")


def test_rank_with_ties_averages_tied_ranks():
    assert rank_with_ties(np.array([10.0, 20.0, 10.0, 30.0])).tolist() == [1.5, 3.0, 1.5, 4.0]


def test_word_pair_file_with_bad_score_names_the_line(tmp_path):
    vectors = WordVectors(["a", "b"], np.eye(2, dtype=np.float32))
    path = tmp_path / "pairs.tsv"
    path.write_text("# header\na\tb\t1.0\na\tb\thigh\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"pairs.tsv:3: score 'high' is not a number"):
        vectors.evaluate_word_pairs(path)
