"""Source/target tokenizer: trained vocabularies, `</s>` on targets only, target decoding, save/load."""

import pytest
from transformers import AutoTokenizer

from hf_classic import RnnSeq2SeqTokenizer

SOURCES = ["Save the file.", "Delete the file?", "Save all pages.", "The page was deleted."]
TARGETS = [
    "Enregistrer le fichier.",
    "Supprimer le fichier ?",
    "Enregistrer toutes les pages.",
    "La page a été supprimée.",
]


@pytest.mark.parametrize("kind", ["word", "bpe"])
def test_targets_end_with_eos_and_decode_back_to_text(kind):
    tokenizer = RnnSeq2SeqTokenizer.train(SOURCES, TARGETS, kind=kind, vocab_size=80)
    encoded = tokenizer(SOURCES, text_target=TARGETS)
    assert all(ids[-1] == tokenizer.eos_token_id for ids in encoded["labels"])
    assert all(tokenizer.eos_token_id not in ids for ids in encoded["input_ids"])
    decoded = tokenizer.batch_decode(encoded["labels"], skip_special_tokens=True)
    assert decoded == [
        "enregistrer le fichier .",
        "supprimer le fichier ?",
        "enregistrer toutes les pages .",
        "la page a été supprimée .",
    ]


def test_special_tokens_come_first_in_opennmt_order():
    tokenizer = RnnSeq2SeqTokenizer.train(SOURCES, TARGETS)
    ids = (tokenizer.unk_token_id, tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id)
    assert ids == (0, 1, 2, 3)
    assert tokenizer.target_backend.token_to_id("</s>") == 3


def test_separate_vocabularies_give_different_ids_and_shared_ones_the_same():
    separate = RnnSeq2SeqTokenizer.train(SOURCES, TARGETS)
    shared = RnnSeq2SeqTokenizer.train(SOURCES, TARGETS, shared_vocabulary=True)
    assert separate.source_backend.get_vocab() != separate.target_backend.get_vocab()
    assert shared.source_backend.get_vocab() == shared.target_backend.get_vocab()
    assert "fichier" in shared.get_vocab() and "fichier" not in separate.get_vocab()


def test_unknown_words_map_to_unk_and_padding_is_on_the_right():
    tokenizer = RnnSeq2SeqTokenizer.train(SOURCES, TARGETS)
    batch = tokenizer(["save zebra", "the file was deleted ."], padding=True)
    assert batch["input_ids"][0][1] == tokenizer.unk_token_id
    assert batch["input_ids"][0][2:] == [tokenizer.pad_token_id] * 3
    assert batch["attention_mask"][0] == [1, 1, 0, 0, 0]


@pytest.mark.parametrize("kind", ["word", "bpe"])
def test_save_and_load_keep_both_sides(tmp_path, kind):
    tokenizer = RnnSeq2SeqTokenizer.train(SOURCES, TARGETS, kind=kind, vocab_size=70)
    tokenizer.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    assert type(loaded).__name__ == "RnnSeq2SeqTokenizer"
    assert loaded(SOURCES, text_target=TARGETS) == tokenizer(SOURCES, text_target=TARGETS)
    labels = tokenizer(text_target=TARGETS)["input_ids"]
    assert loaded.batch_decode(labels, skip_special_tokens=True) == tokenizer.batch_decode(
        labels, skip_special_tokens=True
    )


def test_given_vocabularies_split_on_spaces_only():
    tokenizer = RnnSeq2SeqTokenizer.from_vocabularies(
        ["<unk>", "<blank>", "<s>", "</s>", "don't", "go"],
        ["<unk>", "<blank>", "<s>", "</s>", "ne", "pas"],
        specials=("<unk>", "<blank>", "<s>", "</s>"),
    )
    assert tokenizer("don't go now")["input_ids"] == [4, 5, 0]
    assert tokenizer(text_target="ne pas")["input_ids"] == [4, 5, 3]
    assert tokenizer.pad_token == "<blank>"
    with pytest.raises(ValueError, match="lacks the special tokens"):
        RnnSeq2SeqTokenizer.from_vocabularies(["a"], ["b"])
