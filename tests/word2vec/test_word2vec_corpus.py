"""The vocabulary pass: exact counts in gensim's order, and the corpus encoded into the token cache on the way."""

import gzip
from collections import Counter

import numpy as np
import pytest

from hf_classic.training.corpus import stream_line_batches
from hf_classic.training.token_cache import TokenCache
from hf_classic.training.word2vec_corpus import (
    MAX_SENTENCE_LENGTH,
    LineEncoder,
    build_tokenizer,
    candidate_words_of,
    count_candidates,
    sentences,
)
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


def encoded_one_line_at_a_time(backend, lines, unknown_id):
    """`(ids, line_lengths)` of `lines`, each line encoded on its own and unknown words dropped."""
    line_ids = [[i for i in backend.encode(line, add_special_tokens=False).ids if i != unknown_id] for line in lines]
    ids = np.array([i for ids in line_ids for i in ids], dtype=np.int32)
    return ids, np.array([len(ids) for ids in line_ids], dtype=np.int64)


@pytest.mark.parametrize(("min_count", "max_vocab_size"), [(5, None), (2, 1000)])
def test_the_vocabulary_is_every_frequent_word_by_count_then_first_occurrence(kjv_path, min_count, max_vocab_size):
    tokenizer = build_tokenizer([kjv_path], min_count, max_vocab_size=max_vocab_size, progress=False)
    # Counter keeps first-seen order, and most_common sorts stably: gensim's order.
    expected = [(word, count) for word, count in counted_words(kjv_path).most_common() if count >= min_count]
    expected = expected[:max_vocab_size]
    words = tokenizer.convert_ids_to_tokens(list(range(2, len(tokenizer))))
    assert list(zip(words, tokenizer.word_counts[2:], strict=True)) == expected


def test_the_cache_holds_the_corpus_as_the_final_tokenizer_encodes_it(kjv_path):
    cache = TokenCache(2**30)
    tokenizer = build_tokenizer([kjv_path], 5, max_vocab_size=3000, progress=False, cache=cache, block_lines=5000)
    backend, unknown_id = tokenizer.backend_tokenizer, tokenizer.unk_token_id
    expected = [
        encoded_one_line_at_a_time(backend, lines, unknown_id) for lines in stream_line_batches([kjv_path], 5000)
    ]
    cached = list(cache.blocks())
    assert len(cached) == len(expected) == -(-31103 // 5000)
    for (ids, line_lengths), (cached_ids, cached_lengths) in zip(expected, cached, strict=True):
        tokens, starts = sentences(ids, line_lengths)
        cached_tokens, cached_starts = sentences(cached_ids, cached_lengths)
        assert np.array_equal(cached_tokens, tokens)
        assert np.array_equal(cached_starts, starts)


def test_shards_add_up_to_the_whole_corpus_and_each_caches_its_own_lines(kjv_path):
    """What each of several processes computes: its shard's counts and first occurrences, which add up (sum, and
    minimum) to the whole corpus's, and its shard's blocks, as `stream_line_batches` gives them to its trainer."""
    candidates = candidate_words_of([str(kjv_path)], 5, lowercase=True, block_lines=5000, progress=False)
    whole = count_candidates([str(kjv_path)], candidates, True, False, None, 5000, (0, 1))
    shards = []
    for index in range(3):
        cache = TokenCache(2**30)
        counts, first_seen = count_candidates([str(kjv_path)], candidates, True, False, cache, 5000, (index, 3))
        cache.finish()
        shards.append((counts, first_seen))
        backend = build_backend(candidates)
        expected = [
            encoded_one_line_at_a_time(backend, lines, 1) for lines in stream_line_batches([kjv_path], 5000, (index, 3))
        ]
        cached = list(cache.blocks())
        assert len(cached) == len(expected)
        for (ids, line_lengths), (cached_ids, cached_lengths) in zip(expected, cached, strict=True):
            assert np.array_equal(cached_ids, ids) and np.array_equal(cached_lengths, line_lengths)
    assert np.array_equal(sum(counts for counts, _ in shards), whole[0])
    assert np.array_equal(np.minimum.reduce([first for _, first in shards]), whole[1])


def test_encoding_drops_unknown_words_and_counts_what_is_left_of_each_line():
    encode = LineEncoder(build_backend(["in", "the", "beginning"]), unknown_id=1)
    ids, line_lengths = encode(["In the beginning God", "created", "the heaven"])
    assert ids.tolist() == [2, 3, 4, 3]
    assert line_lengths.tolist() == [3, 0, 1]


@pytest.mark.parametrize("pieces", [1, 3, 32])
def test_lines_encoded_together_are_encoded_as_each_on_its_own(kjv_path, pieces):
    tokenizer = build_tokenizer([kjv_path], 5, progress=False)
    backend, unknown_id = tokenizer.backend_tokenizer, tokenizer.unk_token_id
    lines = next(stream_line_batches([kjv_path], 400))
    # Edge cases: blank and whitespace-only lines, special tokens' text, NFKC folding (the ﬁ ligature, full-width
    # letters), a combining accent at a line's start, carriage returns and tabs.
    lines += ["", "   ", "<unk> <pad> the", "ﬁre ＬＯＲＤ", "\u0301and the", "and\rthe\tlord", ""]
    encode = LineEncoder(backend, unknown_id, pieces=pieces)
    ids, line_lengths = encode(lines)
    expected_ids, expected_lengths = encoded_one_line_at_a_time(backend, lines, unknown_id)
    assert np.array_equal(ids, expected_ids)
    assert np.array_equal(line_lengths, expected_lengths)
    assert line_lengths[-4] == 2 and line_lengths[-1] == 0


def test_sentences_skip_empty_lines_drop_negative_ids_and_split_long_lines():
    long_line = np.arange(MAX_SENTENCE_LENGTH + 5) % 7 + 2
    ids = np.concatenate([[2, -1, 3], [-1], long_line]).astype(np.int32)
    tokens, starts = sentences(ids, np.array([3, 1, 0, len(long_line)]))
    assert tokens.tolist() == [2, 3] + long_line.tolist()
    assert starts.tolist() == [0, 2, 2 + MAX_SENTENCE_LENGTH, 2 + MAX_SENTENCE_LENGTH + 5]
