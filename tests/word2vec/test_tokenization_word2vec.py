from transformers import AutoTokenizer

from hf_classic.word2vec import Word2VecTokenizer
from hf_classic.word2vec.tokenization_word2vec import WORD_COUNTS_FILE


def make_tokenizer(**kwargs):
    return Word2VecTokenizer.from_word_counts([("god", 5), ("the", 10), ("'", 3), ("s", 3)], **kwargs)


def test_ids_are_specials_then_words_by_descending_count():
    tokenizer = make_tokenizer()
    assert tokenizer.convert_ids_to_tokens([0, 1, 2, 3, 4, 5]) == ["<pad>", "<unk>", "the", "god", "'", "s"]
    assert tokenizer.word_counts == [0, 0, 10, 5, 3, 3]
    assert (tokenizer.pad_token_id, tokenizer.unk_token_id) == (0, 1)


def test_text_is_normalised_split_and_unknown_words_map_to_unk():
    encoded = make_tokenizer()("The GOD's manna")
    assert encoded["input_ids"] == [2, 3, 4, 5, 1]
    assert encoded["attention_mask"] == [1] * 5


def test_case_is_kept_when_lowercase_is_off():
    tokenizer = Word2VecTokenizer.from_word_counts([("Paris", 2), ("paris", 1)], lowercase=False)
    assert tokenizer("Paris paris PARIS")["input_ids"] == [2, 3, 1]


def test_save_and_load_keeps_vocabulary_and_counts(tmp_path):
    tokenizer = make_tokenizer()
    tokenizer.save_pretrained(tmp_path)
    assert (tmp_path / WORD_COUNTS_FILE).read_text(encoding="utf-8") == "the 10\ngod 5\n' 3\ns 3\n"
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    assert isinstance(loaded, Word2VecTokenizer)
    assert loaded.word_counts == tokenizer.word_counts
    assert loaded("The GOD's manna")["input_ids"] == [2, 3, 4, 5, 1]


def test_batches_pad_with_pad_id():
    batch = make_tokenizer()(["the god", "the"], padding=True)
    assert batch["input_ids"] == [[2, 3], [2, 0]]
    assert batch["attention_mask"] == [[1, 1], [1, 0]]
