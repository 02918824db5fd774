"""An RNN encoder-decoder's embeddings initialised from a pre-trained word2vec model."""

from __future__ import annotations

import pytest
import torch

from hf_classic import (
    RnnSeq2SeqConfig,
    RnnSeq2SeqForConditionalGeneration,
    RnnSeq2SeqTokenizer,
    Word2VecConfig,
    Word2VecModel,
    Word2VecTokenizer,
)
from hf_classic.errors import HfClassicError, InputFileError
from hf_classic.tasks.initialization import init_seq2seq_from_word2vec

PAIRS = [
    ("in the beginning god created the heaven", "au commencement dieu créa les cieux"),
    ("and the earth was without form", "la terre était informe"),
    ("and god said let there be light", "dieu dit que la lumière soit"),
]
WORD_COUNTS = [("the", 9), ("and", 7), ("god", 5), ("light", 3), ("earth", 2), ("darkness", 2)]


@pytest.fixture
def word2vec_dir(tmp_path):
    tokenizer = Word2VecTokenizer.from_word_counts(WORD_COUNTS)
    torch.manual_seed(0)
    Word2VecModel(Word2VecConfig(vocab_size=len(tokenizer), vector_size=8)).save_pretrained(tmp_path / "w2v")
    tokenizer.save_pretrained(tmp_path / "w2v")
    return tmp_path / "w2v"


def seq2seq(kind: str = "word", embedding_size: int = 8):
    tokenizer = RnnSeq2SeqTokenizer.train([s for s, _ in PAIRS], [t for _, t in PAIRS], kind=kind, vocab_size=60)
    config = RnnSeq2SeqConfig(
        vocab_size=len(tokenizer),
        decoder_vocab_size=tokenizer.target_vocab_size,
        embedding_size=embedding_size,
        hidden_size=12,
    )
    return RnnSeq2SeqForConditionalGeneration(config), tokenizer


def word2vec_vectors(word2vec_dir) -> dict[str, torch.Tensor]:
    tokenizer = Word2VecTokenizer.from_pretrained(word2vec_dir)
    weight = Word2VecModel.from_pretrained(word2vec_dir).embeddings.weight.detach()
    return {word: weight[index] for word, index in tokenizer.get_vocab().items()}


def test_source_words_of_the_word2vec_vocabulary_get_its_vectors(word2vec_dir):
    model, tokenizer = seq2seq()
    before = model.get_input_embeddings().weight.detach().clone()
    (result,) = init_seq2seq_from_word2vec(model, tokenizer, word2vec_dir, side="source")
    vectors = word2vec_vectors(word2vec_dir)
    weight = model.get_input_embeddings().weight.detach()
    shared = [word for word, _ in WORD_COUNTS if word in tokenizer.get_vocab()]
    assert result.side == "source" and result.initialized == len(shared) == 5  # "darkness" is not in the pairs
    for word in shared:
        assert torch.equal(weight[tokenizer.convert_tokens_to_ids(word)], vectors[word])
    untouched = tokenizer.convert_tokens_to_ids("beginning")
    assert torch.equal(weight[untouched], before[untouched])
    assert model.get_input_embeddings().weight.requires_grad


def test_bpe_tokens_that_end_a_word_are_looked_up_without_the_suffix(word2vec_dir):
    model, tokenizer = seq2seq(kind="bpe")
    (result,) = init_seq2seq_from_word2vec(model, tokenizer, word2vec_dir)
    assert result.initialized >= 3
    row = tokenizer.convert_tokens_to_ids("the</w>")
    torch.testing.assert_close(model.get_input_embeddings().weight[row].detach(), word2vec_vectors(word2vec_dir)["the"])


def test_freeze_keeps_the_initialised_embeddings_out_of_training(word2vec_dir):
    model, tokenizer = seq2seq()
    results = init_seq2seq_from_word2vec(model, tokenizer, word2vec_dir, side="both", freeze=True)
    assert [result.side for result in results] == ["source", "target"]
    assert not model.get_input_embeddings().weight.requires_grad
    assert not model.model.decoder_embed_tokens.weight.requires_grad
    assert model.lm_head.weight.requires_grad


def test_vector_size_must_match_the_embedding_size(word2vec_dir):
    model, tokenizer = seq2seq(embedding_size=16)
    with pytest.raises(HfClassicError, match="vector_size=8 .* 16 dimensions"):
        init_seq2seq_from_word2vec(model, tokenizer, word2vec_dir)


def test_bad_side_and_missing_folder_are_named(word2vec_dir, tmp_path):
    model, tokenizer = seq2seq()
    with pytest.raises(HfClassicError, match="side='left'"):
        init_seq2seq_from_word2vec(model, tokenizer, word2vec_dir, side="left")
    with pytest.raises(InputFileError, match="missing"):
        init_seq2seq_from_word2vec(model, tokenizer, tmp_path / "missing")
