"""The vocabulary pass: exact counts in gensim's order, and the corpus encoded into the token cache on the way."""

import gzip
from collections import Counter

import numpy as np
import pytest

from hf_classic.training.corpus import stream_line_batches
from hf_classic.training.token_cache import TokenCache
from hf_classic.training.word2vec_corpus import MAX_SENTENCE_LENGTH, build_tokenizer, encode_lines, sentences
from hf_classic.word2vec.tokenization_word2vec import build_backend


def counted_words(path, lowercase=True):
    """Every word of the corpus as the tokenizer splits it, counted line by line in plain Python."""
    backend = build_backend([], lowercase=lowercase)
    counts = Counter()
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            text = backend.normalizer.normalize_str(line)
            counts.update(word for word, _ in backend.pre_tokenizer.pre_tokenize_str(text))
    return counts


@pytest.mark.parametrize(("min_count", "max_vocab_size"), [(5, None), (2, 1000)])
def test_the_vocabulary_is_every_frequent_word_by_count_then_first_occurrence(kjv_path, min_count, max_vocab_size):
    tokenizer = build_tokenizer([kjv_path], min_count, max_vocab_size=max_vocab_size, progress=False)
    # Counter keeps first-seen order, and most_common sorts stably: gensim's order.
    expected = [(word, count) for word, count in counted_words(kjv_path).most_common() if count >= min_count]
    expected = expected[:max_vocab_size]
    words = tokenizer.convert_ids_to_tokens(list(range(2, len(tokenizer))))
    assert list(zip(words, tokenizer.word_counts[2:], strict=True)) == expected


@pytest.mark.parametrize("shard", [(0, 1), (1, 3)])
def test_the_cache_holds_the_shard_as_the_final_tokenizer_encodes_it(kjv_path, shard):
    cache = TokenCache(2**30)
    tokenizer = build_tokenizer(
        [kjv_path], 5, max_vocab_size=3000, progress=False, cache=cache, block_lines=5000, shard=shard
    )
    backend, unknown_id = tokenizer.backend_tokenizer, tokenizer.unk_token_id
    expected = [encode_lines(backend, lines, unknown_id) for lines in stream_line_batches([kjv_path], 5000, shard)]
    cached = list(cache.blocks())
    assert len(cached) == len(expected) == -(-31103 // 5000)
    for (ids, line_lengths), (cached_ids, cached_lengths) in zip(expected, cached, strict=True):
        tokens, starts = sentences(ids, line_lengths)
        cached_tokens, cached_starts = sentences(cached_ids, cached_lengths)
        assert np.array_equal(cached_tokens, tokens)
        assert np.array_equal(cached_starts, starts)


def test_encoding_drops_unknown_words_and_counts_what_is_left_of_each_line():
    backend = build_backend(["in", "the", "beginning"])
    ids, line_lengths = encode_lines(backend, ["In the beginning God", "created", "the heaven"], unknown_id=1)
    assert ids.tolist() == [2, 3, 4, 3]
    assert line_lengths.tolist() == [3, 0, 1]


def test_sentences_skip_empty_lines_drop_negative_ids_and_split_long_lines():
    long_line = np.arange(MAX_SENTENCE_LENGTH + 5) % 7 + 2
    ids = np.concatenate([[2, -1, 3], [-1], long_line]).astype(np.int32)
    tokens, starts = sentences(ids, np.array([3, 1, 0, len(long_line)]))
    assert tokens.tolist() == [2, 3] + long_line.tolist()
    assert starts.tolist() == [0, 2, 2 + MAX_SENTENCE_LENGTH, 2 + MAX_SENTENCE_LENGTH + 5]
