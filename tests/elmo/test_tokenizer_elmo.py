"""ElmoTokenizer: AllenNLP's `batch_to_ids` character ids, raw text, labels, saving and loading."""

import numpy as np
import pytest
from transformers import AutoTokenizer

from hf_classic.elmo import ElmoTokenizer
from hf_classic.elmo.tokenization_elmo import word_to_char_ids

PAD = 261


def test_character_ids_equal_allennlp_batch_to_ids(sentences, expected):
    encoded = ElmoTokenizer()(sentences, is_split_into_words=True, return_tensors="np")
    np.testing.assert_array_equal(encoded["input_ids"], expected["char_ids"])
    np.testing.assert_array_equal(encoded["attention_mask"].sum(1), expected["lengths"])
    np.testing.assert_array_equal(encoded["attention_mask"].astype(bool), expected["mask"])


def test_word_is_its_bytes_plus_one_between_word_marks():
    assert word_to_char_ids("a") == [259, 98, 260] + [PAD] * 47
    assert word_to_char_ids("é")[:5] == [259, 0xC3 + 1, 0xA9 + 1, 260, PAD]
    assert word_to_char_ids("") == [259, 260] + [PAD] * 48


def test_long_word_is_cut_to_48_bytes_even_inside_a_character():
    word = "Grundstücksverkehrsgenehmigungszuständigkeitsübertragungsverordnung"
    ids = word_to_char_ids(word)
    assert len(ids) == 50
    assert ids[1:49] == [byte + 1 for byte in word.encode("utf-8")[:48]]
    assert ids[49] == 260
    assert word.encode("utf-8")[47] >= 0x80  # the cut falls inside a multi-byte character


def test_sentence_boundary_words_get_their_own_ids():
    assert word_to_char_ids("<S>")[:4] == [259, 257, 260, PAD]
    assert word_to_char_ids("</S>")[:4] == [259, 258, 260, PAD]


def test_raw_text_is_split_into_words_and_punctuation():
    tokenizer = ElmoTokenizer()
    raw = tokenizer(["Could you play the record again?", "Prices rose by 3.5 % — more!"], return_tensors="np")
    words = [
        ["Could", "you", "play", "the", "record", "again", "?"],
        ["Prices", "rose", "by", "3.5", "%", "—", "more", "!"],
    ]
    split = tokenizer(words, is_split_into_words=True, return_tensors="np")
    np.testing.assert_array_equal(raw["input_ids"], split["input_ids"])
    assert raw["input_ids"].shape == (2, 8, 50)
    assert raw["attention_mask"].tolist() == [[1] * 7 + [0], [1] * 8]
    assert (raw["input_ids"][0, 7] == 0).all()


def test_one_sentence_without_tensors_is_unbatched():
    encoded = ElmoTokenizer()(["I", "play"], is_split_into_words=True)
    assert len(encoded["input_ids"]) == 2 and len(encoded["input_ids"][0]) == 50
    assert encoded["attention_mask"] == [1, 1]
    assert ElmoTokenizer()("I play", return_tensors="pt")["input_ids"].shape == (1, 2, 50)


def test_truncation_keeps_the_first_words():
    encoded = ElmoTokenizer()("one two three four", truncation=True, max_length=2, return_tensors="np")
    np.testing.assert_array_equal(encoded["input_ids"][0], [word_to_char_ids("one"), word_to_char_ids("two")])


def test_labels_are_word_ids_with_boundaries_then_ignored():
    tokenizer = ElmoTokenizer.from_words(["<S>", "</S>", "<UNK>", "the", "cat"])
    encoded = tokenizer([["the", "cat"], ["dog"]], is_split_into_words=True, return_labels=True)
    assert encoded["labels"] == [[0, 3, 4, 1], [0, 2, 1, -100]]


def test_labels_need_a_vocabulary():
    with pytest.raises(ValueError, match="no word vocabulary"):
        ElmoTokenizer()("the cat", return_labels=True)


def test_vocabulary_without_boundary_words_is_refused():
    with pytest.raises(ValueError, match="</S>"):
        ElmoTokenizer.from_words(["<S>", "<UNK>", "the"])


@pytest.mark.parametrize("words", [None, ["<S>", "</S>", "<UNK>", "the", "café"]])
def test_saved_tokenizer_loads_with_auto_tokenizer(tmp_path, words):
    tokenizer = ElmoTokenizer.from_words(words) if words else ElmoTokenizer()
    tokenizer.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    assert type(loaded).__name__ == "ElmoTokenizer"
    assert loaded.get_vocab() == tokenizer.get_vocab()
    text = [["the", "café", "opened"], ["today"]]
    assert loaded(text, is_split_into_words=True)["input_ids"] == tokenizer(text, is_split_into_words=True)["input_ids"]
    if words:
        assert loaded(text, is_split_into_words=True, return_labels=True)["labels"] == [
            [0, 3, 4, 2, 1],
            [0, 2, 1, -100, -100],
        ]
