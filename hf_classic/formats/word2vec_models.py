"""Word-vector files to and from word2vec model directories (`Word2VecModel` + `Word2VecTokenizer`).

A converted directory holds `Word2VecModel` weights `(2 + n, dim)`: row 0 is `<pad>` and row 1 `<unk>`, both
zero vectors, then the file's `n` vectors in file order; the tokenizer maps `<pad>` = 0, `<unk>` = 1 and the
words, in file order, to ids 2.., splitting text on whitespace only, with no lower-casing or normalisation. Counts come from the `-save-vocab`
file when one is given; otherwise every count is 0, the tokenizer's "unknown" (so nothing pretends to know
corpus frequencies; `word_counts.txt` then lists zeros), and `config.converted_from["word_counts"]` says
which of the two it is. `config.converted_from` also records the source file name, format and row count.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import torch
from tokenizers import normalizers, pre_tokenizers
from torch import nn

from ..errors import InputFileError
from ..hub import CardContent, write_model_card
from ..utils.atomic import atomic_output_dir, atomic_output_file, check_output_free
from ..utils.files import existing_dir, loading_folder
from ..word2vec import Word2VecConfig, Word2VecModel, Word2VecTokenizer
from ..word2vec.tokenization_word2vec import PAD_TOKEN, UNK_TOKEN, build_backend
from .word2vec_formats import WordVectorTable, read_word_vectors, write_word_vectors

logger = logging.getLogger(__name__)

SPECIAL_ROWS = 2


def tokenizer_in_file_order(words: list[str], counts: np.ndarray | None) -> Word2VecTokenizer:
    """A `Word2VecTokenizer` with ids `<pad>` = 0, `<unk>` = 1, then `words` in the given order, each reachable.

    Text is split on whitespace only and not normalised, so every word of the file is one token exactly as
    spelled ("Paris", "u.s.", "n't", "e-mail"; the family's default splitting on punctuation and NFKC would
    leave 16% of the GloVe 6B vocabulary unreachable): give it text tokenised the way the vectors' tool did.
    `Word2VecTokenizer.from_word_counts` sorts by count; a vector file fixes the order instead (word2vec.c
    keeps `</s>` first whatever its count), so the tokenizer is built from the backend directly and given
    the counts (0 = unknown) in that order.
    """
    backend = build_backend(words, lowercase=False)
    backend.normalizer = normalizers.Sequence([])
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = Word2VecTokenizer(tokenizer_object=backend, unk_token=UNK_TOKEN, pad_token=PAD_TOKEN)
    word_counts = np.zeros(len(words), dtype=np.int64) if counts is None else counts
    tokenizer._word_counts = [0, 0] + [int(count) for count in word_counts]
    return tokenizer


def _check_special_tokens(table: WordVectorTable) -> None:
    for special in (PAD_TOKEN, UNK_TOKEN):
        if special in table.words:
            raise InputFileError(
                f"{table.path}: row {table.words.index(special) + 1}: the word {special!r} is the model's own "
                f"special token (id {[PAD_TOKEN, UNK_TOKEN].index(special)}); rename it in the file to convert it"
            )


def table_to_model(table: WordVectorTable) -> tuple[Word2VecModel, Word2VecTokenizer]:
    """A `Word2VecModel` and its tokenizer holding `table`'s vectors (sharing its memory when padded for them)."""
    return vectors_to_model(table), words_to_tokenizer(table.words, table.counts, table.path)


def vectors_to_model(table: WordVectorTable) -> Word2VecModel:
    """A `Word2VecModel` whose embeddings `(2 + n, dim)` are `table.padded_vectors` itself when the table was read
    with two leading zero rows (no copy), else a padded copy."""
    _check_special_tokens(table)
    padded = table.padded_vectors
    if table.leading_zero_rows != SPECIAL_ROWS:
        padded = np.zeros((SPECIAL_ROWS + len(table), table.vector_size), dtype=np.float32)
        padded[SPECIAL_ROWS:] = table.vectors
    config = Word2VecConfig(
        vocab_size=SPECIAL_ROWS + len(table),
        vector_size=table.vector_size,
        min_count=1,
        pad_token_id=0,
        unk_token_id=1,
        converted_from={
            "file": table.path.name,
            "format": table.format,
            "rows": len(table),
            "word_counts": "unknown (all 0)" if table.counts is None else "from the vocabulary file or model",
        },
    )
    with torch.device("meta"):
        model = Word2VecModel(config)
    model.embeddings.weight = nn.Parameter(torch.from_numpy(padded))
    return model


def words_to_tokenizer(words: list[str], counts: np.ndarray | None, path: Path) -> Word2VecTokenizer:
    """`tokenizer_in_file_order`, checked to give every word its own id (`path` names the file in the error)."""
    tokenizer = tokenizer_in_file_order(words, counts)
    if len(tokenizer) != SPECIAL_ROWS + len(words):
        raise InputFileError(f"{path}: {len(words)} words gave a vocabulary of {len(tokenizer) - SPECIAL_ROWS}")
    return tokenizer


def convert_word_vectors(
    source: str | os.PathLike,
    output_dir: str | os.PathLike,
    format: str = "auto",
    *,
    limit: int | None = None,
    unicode_errors: str = "strict",
    encoding: str = "utf-8",
    vocab_file: str | os.PathLike | None = None,
    allow_pickle: bool = False,
    duplicates: str = "error",
    overwrite: bool = False,
) -> Path:
    """Read a vector file (see `read_word_vectors` for the options) and save it as a model directory.

    The directory loads with `AutoModel.from_pretrained` / `AutoTokenizer.from_pretrained` (after
    `import hf_classic`, or with `trust_remote_code=True`). It is written to a temporary sibling and renamed,
    so a failure leaves nothing behind, and an existing `output_dir` is replaced only with `overwrite`.
    """
    check_output_free(output_dir, overwrite)
    table = read_word_vectors(
        source,
        format,
        limit=limit,
        unicode_errors=unicode_errors,
        encoding=encoding,
        vocab_file=vocab_file,
        allow_pickle=allow_pickle,
        duplicates=duplicates,
        leading_zero_rows=SPECIAL_ROWS,
    )
    if table.counts is None:
        logger.warning("%s: no vocabulary file, so word counts are unknown and saved as 0", table.path)
    card = converted_card(table, limit)
    model = vectors_to_model(table)
    words, counts, path, shape = table.words, table.counts, table.path, table.vectors.shape
    del table
    with atomic_output_dir(output_dir, overwrite) as tmp:
        model.save_pretrained(tmp)
        # The matrix is freed before the tokenizer is built, so the two never add up in the peak memory.
        del model
        words_to_tokenizer(words, counts, path).save_pretrained(tmp)
        write_model_card(tmp, card)
    logger.info("%s: %d vectors of dimension %d saved to %s", path, *shape, output_dir)
    return Path(output_dir)


def converted_card(table: WordVectorTable, limit: int | None) -> CardContent:
    """The model card of a converted folder: its source, shape and what is known; no result is claimed."""
    name = table.path.name
    return CardContent(
        family="word2vec",
        title=f"Word vectors converted from {name}",
        summary=(
            f"{len(table):,} word vectors of dimension {table.vector_size}, converted by hf_classic from "
            f"`{name}` ({table.format} format). `AutoModel` gives them as an embedding layer "
            "(`last_hidden_state`); the tokenizer splits on whitespace and keeps case, so give it text tokenised "
            "the way the vectors were."
        ),
        source=f"the {table.format} file `{name}`",
        made_with={
            "rows": f"{len(table):,}" + (f" (the first {limit:,} of the file)" if limit else ""),
            "dimension": str(table.vector_size),
            "word counts": "from the vocabulary file" if table.counts is not None else "unknown (saved as 0)",
            "extra rows": "`<pad>` (id 0) and `<unk>` (id 1), zero vectors",
        },
        pipeline_tag="feature-extraction",
        usage=(
            'batch = tokenizer(["the king"], return_tensors="pt")\n'
            "features = model(**batch).last_hidden_state\n"
            'model.word_vectors(tokenizer).most_similar("king", topn=5)\n'
        ),
    )


def model_word_vectors(model_dir: str | os.PathLike) -> WordVectorTable:
    """The words (special tokens left out), vectors `(n, dim)` and counts of a saved word2vec model directory."""
    from transformers import AutoModel, AutoTokenizer

    model_dir = existing_dir(model_dir)
    with loading_folder(model_dir):
        model = AutoModel.from_pretrained(model_dir)
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
    embeddings = model.get_input_embeddings().weight.detach().float().cpu().numpy()
    special = set(tokenizer.all_special_ids)
    ids = np.array([index for index in range(len(tokenizer)) if index not in special], dtype=np.int64)
    contiguous = len(ids) and ids[-1] - ids[0] == len(ids) - 1
    vectors = embeddings[ids[0] : ids[-1] + 1] if contiguous else embeddings[ids]
    counts = np.asarray(tokenizer.word_counts, dtype=np.int64)[ids]
    padded = vectors if vectors.flags.c_contiguous else np.ascontiguousarray(vectors)
    return WordVectorTable(
        words=tokenizer.convert_ids_to_tokens(ids.tolist()),
        padded_vectors=padded,
        leading_zero_rows=0,
        counts=counts if counts.any() else None,
        path=Path(model_dir),
        format="model",
    )


def export_word_vectors(
    model_dir: str | os.PathLike,
    destination: str | os.PathLike,
    format: str = "bin",
    *,
    newline_after_vector: bool = True,
    overwrite: bool = False,
) -> Path:
    """Write a model directory's word vectors as `bin`, `txt` or `glove` (see `write_word_vectors`), atomically."""
    check_output_free(destination, overwrite)
    table = model_word_vectors(model_dir)
    with atomic_output_file(destination, overwrite) as tmp:
        write_word_vectors(tmp, table.words, table.vectors, format, newline_after_vector=newline_after_vector)
    return Path(destination)


__all__ = [
    "convert_word_vectors",
    "export_word_vectors",
    "model_word_vectors",
    "table_to_model",
    "tokenizer_in_file_order",
    "vectors_to_model",
    "words_to_tokenizer",
]
