"""Subword vocabularies learnt from a streamed corpus with `tokenizers`, returned as transformers' own tokenizers.

GPT gets GPT-2's byte-level BPE (`GPT2Tokenizer`, one special token `<|endoftext|>`); BERT gets WordPiece
with BERT's normaliser and pre-tokeniser (`BertTokenizer`, `[PAD] [UNK] [CLS] [SEP] [MASK]`). The trainers run
the same normaliser and pre-tokeniser that transformers' classes build, and the classes are then made from
the learnt vocabulary (and merges), so a saved folder reloads with plain `AutoTokenizer.from_pretrained`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from transformers import BertTokenizer, GPT2Tokenizer

END_OF_TEXT = "<|endoftext|>"
BERT_SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def train_gpt_tokenizer(
    texts: Iterable[str], vocab_size: int, model_max_length: int, min_frequency: int = 2
) -> GPT2Tokenizer:
    """A byte-level BPE of at most `vocab_size` tokens (256 bytes, `<|endoftext|>`, then merges) learnt on `texts`.

    Every byte is in the vocabulary, so no text is ever unknown; `<|endoftext|>` is the BOS, EOS and unknown token.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=[END_OF_TEXT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    merges = [tuple(pair) for pair in json.loads(tokenizer.to_str())["model"]["merges"]]
    return GPT2Tokenizer(vocab=tokenizer.get_vocab(), merges=merges, model_max_length=model_max_length)


def train_bert_tokenizer(
    texts: Iterable[str], vocab_size: int, model_max_length: int, lowercase: bool = True, min_frequency: int = 2
) -> BertTokenizer:
    """A WordPiece vocabulary of at most `vocab_size` tokens (`[PAD] [UNK] [CLS] [SEP] [MASK]` first) learnt on `texts`.

    `lowercase=True` is BERT's uncased model (lower-cased, accents stripped); False keeps case and accents.
    The learnt tokens are numbered in sorted order. Unlike the byte-level BPE, two runs on one corpus may learn
    a few different tokens: `tokenizers`' WordPiece trainer breaks ties between equally frequent pairs in a hash
    map's order.
    """
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=lowercase
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(BERT_SPECIAL_TOKENS),
        continuing_subword_prefix="##",
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    # the trainer numbers the learnt tokens in a hash map's order, which changes from run to run
    # (and breaks ties between equally frequent pairs with it, so two runs can differ by a few tokens)
    learnt = sorted(set(tokenizer.get_vocab()) - set(BERT_SPECIAL_TOKENS))
    vocab = {token: index for index, token in enumerate([*BERT_SPECIAL_TOKENS, *learnt])}
    return BertTokenizer(vocab=vocab, do_lower_case=lowercase, model_max_length=model_max_length)
