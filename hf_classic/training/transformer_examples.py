"""Training examples of GPT and BERT, built from a stream of `(document, line, text)` corpus lines.

- GPT: the lines' tokens, `<|endoftext|>` after each document, packed into blocks of `block_size` tokens.
- BERT with next-sentence prediction: each sentence (a line) that has a successor in its document is the
  first segment A of one pair; B is that successor half the time (label 0, "is next") and otherwise a
  sentence drawn from a sample of the corpus that belongs to another document (label 1, "random").
  The pair reads `[CLS] A [SEP] B [SEP]` with segment ids 0 for `[CLS] A [SEP]` and 1 for `B [SEP]`.
- BERT without it: runs of whole consecutive sentences of one document, `[CLS] ... [SEP]`, up to `block_size`.

Masking is transformers' `DataCollatorForLanguageModeling`, which does what the BERT paper does: each token
that is not special (nor padding) is chosen with probability 0.15; a chosen token becomes `[MASK]` with
probability 0.8, a token drawn uniformly from the vocabulary with 0.1, and stays as it is with 0.1.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator

from transformers import DataCollatorForLanguageModeling

from ..errors import HfClassicError

ENCODE_BATCH_LINES = 1024
IS_NEXT, IS_RANDOM = 0, 1
RANDOM_SENTENCE_TRIES = 100


def encode_lines(tokenizer, lines: Iterable[tuple[int, int, str]], suffix: str = "") -> Iterator[tuple[int, list[int]]]:
    """`(document, ids)` of each `(document, line, text)`: the tokens of `text + suffix`, no special tokens."""
    batch: list[tuple[int, int, str]] = []

    def encoded_batch():
        ids = tokenizer([text + suffix for _, _, text in batch], add_special_tokens=False, verbose=False)["input_ids"]
        return zip((document for document, _, _ in batch), ids, strict=True)

    for item in lines:
        batch.append(item)
        if len(batch) == ENCODE_BATCH_LINES:
            yield from encoded_batch()
            batch = []
    if batch:
        yield from encoded_batch()


def packed_blocks(sentences: Iterable[tuple[int, list[int]]], block_size: int, end_of_text: int) -> Iterator[list[int]]:
    """GPT's examples: all tokens in order, `end_of_text` closing each document, cut into `block_size` blocks.

    The tokens after the last whole block are dropped.
    """
    buffer: list[int] = []
    previous = None
    for document, ids in sentences:
        if previous is not None and document != previous:
            buffer.append(end_of_text)
        previous = document
        buffer.extend(ids)
        while len(buffer) >= block_size:
            yield buffer[:block_size]
            buffer = buffer[block_size:]
    if previous is not None:
        buffer.append(end_of_text)
        if len(buffer) >= block_size:
            yield buffer[:block_size]


def sample_sentences(
    sentences: Iterable[tuple[int, list[int]]], size: int, rng: random.Random
) -> list[tuple[int, list[int]]]:
    """A uniform sample of up to `size` `(document, ids)` sentences of the stream (reservoir sampling)."""
    sample: list[tuple[int, list[int]]] = []
    for seen, sentence in enumerate(sentences):
        if seen < size:
            sample.append(sentence)
        else:
            slot = rng.randrange(seen + 1)
            if slot < size:
                sample[slot] = sentence
    return sample


def sentence_pairs(
    sentences: Iterable[tuple[int, list[int]]], pool: list[tuple[int, list[int]]], rng: random.Random
) -> Iterator[tuple[list[int], list[int], int]]:
    """`(a, b, label)` next-sentence-prediction pairs: `label` is `IS_NEXT` (b follows a in its document) or
    `IS_RANDOM` (b is a sentence of `pool` from another document), each with probability 1/2."""
    previous = None
    for document, ids in sentences:
        if previous is not None and previous[0] == document:
            if rng.random() < 0.5:
                yield previous[1], ids, IS_NEXT
            else:
                yield previous[1], _random_sentence(pool, document, rng), IS_RANDOM
        previous = (document, ids)


def _random_sentence(pool: list[tuple[int, list[int]]], document: int, rng: random.Random) -> list[int]:
    for _ in range(RANDOM_SENTENCE_TRIES):
        other, ids = pool[rng.randrange(len(pool))]
        if other != document:
            return ids
    raise HfClassicError(
        f"next-sentence prediction: {RANDOM_SENTENCE_TRIES} sentences drawn from the corpus all came from document "
        f"{document}; the corpus needs more documents (separate them by blank lines or use --lines-per-document)"
    )


def packed_segments(sentences: Iterable[tuple[int, list[int]]], max_tokens: int) -> Iterator[list[int]]:
    """Runs of whole consecutive sentences of one document, each at most `max_tokens` long (a longer
    sentence is cut)."""
    buffer: list[int] = []
    previous = None
    for document, ids in sentences:
        ids = ids[:max_tokens]
        if buffer and (document != previous or len(buffer) + len(ids) > max_tokens):
            yield buffer
            buffer = []
        previous = document
        buffer = buffer + ids
    if buffer:
        yield buffer


def truncate_pair(a: list[int], b: list[int], max_tokens: int) -> tuple[list[int], list[int]]:
    """Cut tokens off the end of the longer of `a` and `b` until both together hold at most `max_tokens`."""
    a, b = list(a), list(b)
    while len(a) + len(b) > max_tokens:
        (a if len(a) > len(b) else b).pop()
    return a, b


def bert_example(tokenizer, a: list[int], b: list[int] | None = None, label: int | None = None, max_length: int = 512):
    """The features of `[CLS] a [SEP]` or `[CLS] a [SEP] b [SEP]` (cut to `max_length` tokens), as the tokenizer
    makes them for a text pair: `input_ids`, `token_type_ids`, `special_tokens_mask`, and `next_sentence_label`
    when `label` is given."""
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    if b is None:
        a = a[: max_length - 2]
        input_ids, token_type_ids = [cls, *a, sep], [0] * (len(a) + 2)
        special = [1, *([0] * len(a)), 1]
    else:
        a, b = truncate_pair(a, b, max_length - 3)
        input_ids = [cls, *a, sep, *b, sep]
        token_type_ids = [0] * (len(a) + 2) + [1] * (len(b) + 1)
        special = [1, *([0] * len(a)), 1, *([0] * len(b)), 1]
    features = {"input_ids": input_ids, "token_type_ids": token_type_ids, "special_tokens_mask": special}
    if label is not None:
        features["next_sentence_label"] = label
    return features


def shuffled(items: Iterable, buffer_size: int, rng: random.Random) -> Iterator:
    """`items` in a random order that mixes items up to `buffer_size` apart (a shuffle buffer); 0 or 1: in order."""
    if buffer_size <= 1:
        yield from items
        return
    buffer: list = []
    for item in items:
        if len(buffer) < buffer_size:
            buffer.append(item)
            continue
        slot = rng.randrange(buffer_size)
        yield buffer[slot]
        buffer[slot] = item
    rng.shuffle(buffer)
    yield from buffer


def masking_collator(tokenizer, seed: int | None = None) -> DataCollatorForLanguageModeling:
    """BERT's masking (15% of the non-special tokens; of those 80% `[MASK]`, 10% random, 10% kept), padding
    the batch. With `seed=None` it draws from torch's global random state (saved in checkpoints); with a seed
    from a generator of its own (for evaluations that must not disturb training)."""
    return DataCollatorForLanguageModeling(
        tokenizer, mlm=True, mlm_probability=0.15, mask_replace_prob=0.8, random_replace_prob=0.1, seed=seed
    )
