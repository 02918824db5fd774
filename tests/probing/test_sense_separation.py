"""The sense-separation metric on hand-computed examples, and the contexts-file reader."""

import numpy as np
import pytest

from hf_classic.data import SENSES, data_path
from hf_classic.errors import HfClassicError, InputFileError
from hf_classic.evaluation.senses import read_sense_contexts, sense_separation, word_span


def test_metric_matches_a_hand_computed_example():
    # Unit vectors a1=(1,0), a2=(.6,.8), b1=(0,1), b2=(0,2)/2. Pair cosines: a1a2 .6, b1b2 1 (within);
    # a1b1 0, a1b2 0, a2b1 .8, a2b2 .8 (across). Leave-one-out: a1 -> centroid a (.6,.8): .6 vs b: 0, right;
    # a2 -> a (1,0): .6 vs b (0,1): .8, wrong; b1, b2 -> b: 1 vs a (.8,.4)/|.| : .447, right. Accuracy 3/4.
    vectors = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [0.0, 2.0]])
    scores = sense_separation(vectors, ["a", "a", "b", "b"])
    assert scores["within_sense_cosine"] == pytest.approx(0.8)
    assert scores["across_sense_cosine"] == pytest.approx(0.4)
    assert scores["separation"] == pytest.approx(0.4)
    assert scores["nearest_centroid_accuracy"] == pytest.approx(0.75)
    assert scores["chance_accuracy"] == 0.5
    assert scores["senses"] == {"a": 2, "b": 2}
    assert scores["identical_vectors"] is False


def test_identical_vectors_score_exactly_chance():
    vectors = np.tile(np.array([[0.3, -1.2, 2.0]]), (7, 1))
    scores = sense_separation(vectors, ["x", "x", "y", "y", "z", "z", "z"])
    assert scores["within_sense_cosine"] == pytest.approx(1.0)
    assert scores["across_sense_cosine"] == pytest.approx(1.0)
    assert scores["separation"] == 0.0
    assert scores["nearest_centroid_accuracy"] == pytest.approx(1 / 3)
    assert scores["chance_accuracy"] == pytest.approx(1 / 3)
    assert scores["majority_accuracy"] == pytest.approx(3 / 7)
    assert scores["identical_vectors"] is True


def test_well_separated_senses_score_full_accuracy():
    rng = np.random.default_rng(0)
    vectors = np.concatenate([rng.normal([5, 0, 0], 0.1, (6, 3)), rng.normal([0, 5, 0], 0.1, (6, 3))])
    scores = sense_separation(vectors, ["a"] * 6 + ["b"] * 6)
    assert scores["nearest_centroid_accuracy"] == 1.0
    assert scores["within_sense_cosine"] > 0.99 and abs(scores["across_sense_cosine"]) < 0.1


def test_metric_refuses_a_sense_with_one_vector():
    with pytest.raises(HfClassicError, match="each with two vectors"):
        sense_separation(np.eye(3), ["a", "a", "b"])


def test_word_span_finds_whole_words_case_insensitively():
    assert word_span("Play on, display the play", "play") == (0, 4)
    assert word_span("they displayed it", "play") is None
    assert word_span("the river-bank", "bank") == (10, 14)


def test_shipped_contexts_have_four_words_or_more_with_eight_sentences_a_sense():
    words = {"play", "bank", "lie", "bear", "spring"}
    for word in words:
        contexts = read_sense_contexts(data_path(SENSES), word)
        senses = {context.sense for context in contexts}
        assert len(senses) >= 2
        assert all(sum(c.sense == sense for c in contexts) >= 8 for sense in senses)
        assert all(context.source and word_span(context.sentence, word) for context in contexts)


def write(tmp_path, text):
    path = tmp_path / "contexts.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reader_names_the_line_of_a_sentence_without_the_word(tmp_path):
    path = write(
        tmp_path, "word\tsense\tsentence\nbat\tanimal\tthe bat flew\nbat\tanimal\ta bat hung\nbat\tsport\tthe ball\n"
    )
    with pytest.raises(InputFileError, match=r"contexts.tsv:4: the sentence does not contain the word 'bat'"):
        read_sense_contexts(path, "bat")


def test_reader_requires_the_header_columns(tmp_path):
    path = write(tmp_path, "word\tlabel\tsentence\nbat\tanimal\tthe bat flew\n")
    with pytest.raises(InputFileError, match=r":1: .*missing sense"):
        read_sense_contexts(path, "bat")


def test_reader_lists_the_words_it_has_when_the_word_is_absent(tmp_path):
    path = write(tmp_path, "word\tsense\tsentence\nbat\tanimal\tthe bat flew\n")
    with pytest.raises(InputFileError, match=r"no sentence for the word 'club' \(words in the file: bat\)"):
        read_sense_contexts(path, "club")


def test_reader_needs_two_senses_of_two_sentences(tmp_path):
    path = write(tmp_path, "word\tsense\tsentence\nbat\tanimal\tthe bat flew\nbat\tanimal\ta bat hung\n")
    with pytest.raises(InputFileError, match="only one sense"):
        read_sense_contexts(path, "bat")
    path = write(tmp_path, "word\tsense\tsentence\nbat\tanimal\tthe bat flew\nbat\tanimal\ta bat\nbat\tsport\ta bat\n")
    with pytest.raises(InputFileError, match=r"at least two sentences; found \{'sport': 1\}"):
        read_sense_contexts(path, "bat")


def test_reader_names_a_line_with_the_wrong_number_of_fields(tmp_path):
    path = write(tmp_path, "word\tsense\tsentence\nbat\tanimal the bat flew\n")
    with pytest.raises(InputFileError, match=r":2: expected 3 tab-separated fields, found 2"):
        read_sense_contexts(path, "bat")
