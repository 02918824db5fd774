"""Start a generation model from pre-training that suits the task: the word embeddings of an RNN
encoder-decoder initialised from a pre-trained word2vec model.

Every token of the encoder-decoder's vocabulary that is a word of the word2vec model gets that word's vector
(BPE tokens that end a word, `piece</w>`, are looked up as `piece`); the other rows keep their random
initialisation. With `freeze=True` the embeddings filled this way stay fixed during training (feature-based);
otherwise they are fine-tuned with the rest of the model.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoModel, AutoTokenizer

from ..errors import HfClassicError
from ..rnn_seq2seq.tokenization_rnn_seq2seq import BPE_SUFFIX
from ..utils.files import existing_dir

SIDES = ("source", "target", "both")


@dataclass
class EmbeddingInitialization:
    """How many rows of one embedding matrix came from word2vec, out of how many."""

    side: str
    initialized: int
    vocabulary: int

    @property
    def coverage(self) -> float:
        return self.initialized / max(self.vocabulary, 1)


def fill_embeddings(
    embedding: nn.Embedding, tokens: Iterable[str], vectors: torch.Tensor, word_ids: dict[str, int]
) -> int:
    """Copy `vectors[word_ids[word]]` into the row of every token (in id order) that is a word; returns the count.

    `embedding (vocab, dim)`, `vectors (words, dim)`.
    """
    rows, sources = [], []
    for row, token in enumerate(tokens):
        word = token.removesuffix(BPE_SUFFIX)
        if word in word_ids:
            rows.append(row)
            sources.append(word_ids[word])
    with torch.no_grad():
        embedding.weight[rows] = vectors[sources].to(embedding.weight.dtype)
    return len(rows)


def init_seq2seq_from_word2vec(
    model, tokenizer, word2vec_dir: str | os.PathLike, side: str = "source", freeze: bool = False
) -> list[EmbeddingInitialization]:
    """Initialise the source and/or target embeddings of an `RnnSeq2Seq*` model from the word2vec model saved
    in `word2vec_dir`, and freeze them if `freeze`.

    `tokenizer` is the model's `RnnSeq2SeqTokenizer`; `side` is `"source"`, `"target"` or `"both"` (use the side
    whose language the word2vec model was trained on). Raises HfClassicError when the folder is not a word2vec
    model or its vector size differs from the embedding size.
    """
    if side not in SIDES:
        raise HfClassicError(f"side={side!r}: expected one of {', '.join(SIDES)}")
    existing_dir(word2vec_dir, "word2vec model directory")
    word2vec = AutoModel.from_pretrained(word2vec_dir)
    if word2vec.config.model_type != "word2vec":
        raise HfClassicError(
            f"{word2vec_dir}: expected a word2vec model, found model_type={word2vec.config.model_type!r}"
        )
    word_tokenizer = AutoTokenizer.from_pretrained(word2vec_dir)
    special = set(word_tokenizer.all_special_ids)
    word_ids = {word: index for word, index in word_tokenizer.get_vocab().items() if index not in special}
    vectors = word2vec.get_input_embeddings().weight.detach()
    base = model.base_model
    tables = {
        "source": (base.get_input_embeddings(), tokenizer.source_backend),
        "target": (base.decoder_embed_tokens, tokenizer.target_backend),
    }
    results = []
    for name in ("source", "target") if side == "both" else (side,):
        embedding, backend = tables[name]
        if embedding.embedding_dim != vectors.shape[1]:
            raise HfClassicError(
                f"{word2vec_dir}: vector_size={vectors.shape[1]} but the {name} embeddings have "
                f"{embedding.embedding_dim} dimensions; build the model with embedding size {vectors.shape[1]}"
            )
        size = backend.get_vocab_size(with_added_tokens=True)
        tokens = [backend.id_to_token(index) for index in range(size)]
        results.append(EmbeddingInitialization(name, fill_embeddings(embedding, tokens, vectors, word_ids), size))
        if freeze:
            embedding.weight.requires_grad_(False)
    return results
