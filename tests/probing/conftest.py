"""Tiny models of every family `senses` and `attention-map` read, built here (no downloads).

BERT gets a WordPiece tokenizer and GPT-2 a byte-level BPE tokenizer, both trained with `tokenizers` on
the sentences below, small enough that some words split into several sub-words.
"""

from __future__ import annotations

import pytest
import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import BertConfig, BertModel, GPT2Config, GPT2Model, TokenizersBackend

SENTENCES = [
    "the children play in the green meadow all day",
    "she can play the harp and the piano very well",
    "we went to see a play at the theatre last night",
    "the actors rehearsed the new play for a week",
    "let the boys play with the ball in the field",
    "he will play a tune on his old harp tonight",
    "the law is important because it is useful",
    "the river bank was green and the bank of england was grey",
]


def wordpiece_tokenizer() -> TokenizersBackend:
    backend = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    backend.train_from_iterator(SENTENCES, trainers.WordPieceTrainer(vocab_size=90, special_tokens=specials))
    cls, sep = backend.token_to_id("[CLS]"), backend.token_to_id("[SEP]")
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    backend.decoder = decoders.WordPiece()
    return TokenizersBackend(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )


def byte_level_tokenizer() -> TokenizersBackend:
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    backend.post_processor = processors.ByteLevel(trim_offsets=True)
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    backend.train_from_iterator(SENTENCES, trainer)
    return TokenizersBackend(tokenizer_object=backend, eos_token="<|endoftext|>", bos_token="<|endoftext|>")


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory):
    """A BertModel (2 layers, 2 heads, hidden 32, random weights) with its WordPiece tokenizer, saved."""
    torch.manual_seed(0)
    tokenizer = wordpiece_tokenizer()
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    folder = tmp_path_factory.mktemp("tiny-bert")
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_gpt2_dir(tmp_path_factory):
    """A GPT2Model (2 layers, 2 heads, 32 dimensions, random weights) with its byte-level BPE tokenizer, saved."""
    torch.manual_seed(0)
    tokenizer = byte_level_tokenizer()
    config = GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=2, n_positions=64)
    folder = tmp_path_factory.mktemp("tiny-gpt2")
    GPT2Model(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_elmo_dir(tmp_path_factory):
    """An ElmoModel (character CNN, 2-layer biLSTM of 32 → 8, random weights) with its tokenizer, saved."""
    from hf_classic.elmo import ElmoConfig, ElmoModel, ElmoTokenizer

    torch.manual_seed(0)
    config = ElmoConfig(
        char_embedding_dim=4, filters=[[1, 4], [2, 8]], n_highway=1, lstm_dim=32, projection_dim=8, num_layers=2
    )
    folder = tmp_path_factory.mktemp("tiny-elmo")
    ElmoModel(config).save_pretrained(folder)
    ElmoTokenizer().save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def skipgram_dir(trained_skipgram, tmp_path_factory):
    """The session's skip-gram trained on the King James Bible, saved as a folder `AutoModel` loads."""
    model, tokenizer, _ = trained_skipgram
    folder = tmp_path_factory.mktemp("skipgram")
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
