"""The token cache keeps a process's share of the encoded corpus on disk and gives it back block by block."""

import logging

import numpy as np
import pytest

from hf_classic.training.token_cache import TokenCache


def blocks_of(rng, count, vocab_size):
    blocks = []
    for _ in range(count):
        line_lengths = rng.integers(0, 12, size=rng.integers(1, 30))
        blocks.append((rng.integers(2, vocab_size, size=int(line_lengths.sum())), line_lengths))
    return blocks


@pytest.mark.parametrize(("vocab_size", "id_bytes"), [(2**16, 2), (2**16 + 1, 4)])
def test_blocks_come_back_in_order_from_any_skip(tmp_path, vocab_size, id_bytes):
    blocks = blocks_of(np.random.default_rng(0), 6, vocab_size)
    cache = TokenCache(2**20, tmp_path)
    cache.restart(vocab_size)
    for ids, line_lengths in blocks:
        cache.append(ids, line_lengths)
    cache.finish()
    assert cache.complete
    assert cache.size == sum(len(ids) * id_bytes + len(lengths) * 4 for ids, lengths in blocks)
    for skip in (0, 4):
        read = list(cache.blocks(skip))
        assert len(read) == len(blocks) - skip
        for (ids, line_lengths), (got_ids, got_lengths) in zip(blocks[skip:], read, strict=True):
            assert got_ids.dtype == np.int32 and np.array_equal(got_ids, ids)
            assert got_lengths.dtype == np.int64 and np.array_equal(got_lengths, line_lengths)


def test_the_id_map_renumbers_ids_as_they_are_read(tmp_path):
    cache = TokenCache(2**20, tmp_path)
    cache.restart(6)
    cache.append(np.array([2, 3, 4, 5, 2]), np.array([3, 2]))
    cache.finish(id_map=np.array([-1, -1, 3, 2, -1, 4]))
    ((ids, line_lengths),) = cache.blocks()
    assert ids.tolist() == [3, 2, -1, 4, 3]
    assert line_lengths.tolist() == [3, 2]


def test_the_file_leaves_no_name_behind_so_a_killed_process_frees_the_disk(tmp_path):
    cache = TokenCache(2**20, tmp_path)
    cache.restart(100)
    cache.append(np.arange(50), np.array([50]))
    assert cache.size > 0
    assert list(tmp_path.iterdir()) == []


def test_past_its_budget_the_cache_gives_up_and_frees_its_file(tmp_path, caplog):
    cache = TokenCache(100, tmp_path)
    cache.restart(100)
    cache.append(np.arange(20), np.array([20]))
    assert cache.accepting and cache.size == 44
    with caplog.at_level(logging.INFO, logger="hf_classic.training.token_cache"):
        cache.append(np.arange(40), np.array([40]))
    assert "passes 0 MB" in caplog.text
    assert not cache.accepting and cache.size == 0
    cache.finish()
    assert not cache.complete
    with pytest.raises(RuntimeError, match="has not finished"):
        next(cache.blocks())


def test_a_directory_that_refuses_the_file_is_a_warning_not_a_failure(tmp_path, caplog):
    missing = tmp_path / "nowhere"
    cache = TokenCache(2**20, missing)
    cache.restart(100)
    with caplog.at_level(logging.WARNING, logger="hf_classic.training.token_cache"):
        cache.append(np.arange(20), np.array([20]))
    assert f"cannot write to {missing}" in caplog.text
    cache.finish()
    assert not cache.complete


def test_a_budget_of_zero_never_caches(tmp_path):
    cache = TokenCache(0, tmp_path)
    cache.restart(100)
    assert not cache.accepting
    cache.append(np.arange(20), np.array([20]))
    cache.finish()
    assert not cache.complete and cache.size == 0
