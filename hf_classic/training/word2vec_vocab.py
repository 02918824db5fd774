"""Vocabulary statistics of word2vec training: counts, Huffman tree, subsampling and noise distributions.

All functions take `counts (vocab,)`: the corpus count of every id, 0 for special tokens (which are never
trained). The vocabulary is ordered by descending count, as `Word2VecTokenizer` builds it.
"""

from __future__ import annotations

import numpy as np


def huffman_tree(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Huffman codes of every word with a non-zero count, as word2vec.c's `CreateBinaryTree` builds them.

    Returns `codes (vocab, depth)` uint8 bits, `points (vocab, depth)` int32 inner-node rows (root first) and
    `lengths (vocab,)` int32 code lengths, where `depth` is the longest code. Inner node `k` is row `k` of the
    hierarchical-softmax weights; there are `n - 1` of them for `n` counted words.
    """
    counts = np.asarray(counts, dtype=np.int64)
    words = np.flatnonzero(counts > 0)
    if len(words) and np.any(np.diff(counts[words]) > 0):
        raise ValueError("huffman_tree: counts must be in descending order (the tokenizer's vocabulary order)")
    n = len(words)
    vocab = len(counts)
    if n < 2:
        return (np.zeros((vocab, 1), np.uint8), np.zeros((vocab, 1), np.int32), np.zeros(vocab, np.int32))
    weight = np.concatenate([counts[words], np.full(n, np.iinfo(np.int64).max // 4)])
    parent = np.zeros(2 * n - 1, dtype=np.int64)
    bit = np.zeros(2 * n - 1, dtype=np.uint8)
    leaf, inner = n - 1, n
    for node in range(n - 1):
        smallest = []
        for _ in range(2):
            if leaf >= 0 and weight[leaf] < weight[inner]:
                smallest.append(leaf)
                leaf -= 1
            else:
                smallest.append(inner)
                inner += 1
        weight[n + node] = weight[smallest[0]] + weight[smallest[1]]
        parent[smallest[0]] = parent[smallest[1]] = n + node
        bit[smallest[1]] = 1
    root = 2 * n - 2
    paths_codes, paths_points = [], []
    for position in range(n):
        code, point = [], []
        node = position
        while node != root:
            code.append(bit[node])
            node = parent[node]
            point.append(node - n)
        paths_codes.append(code[::-1])
        paths_points.append(point[::-1])
    depth = max(len(code) for code in paths_codes)
    codes = np.zeros((vocab, depth), dtype=np.uint8)
    points = np.zeros((vocab, depth), dtype=np.int32)
    lengths = np.zeros(vocab, dtype=np.int32)
    for position, word in enumerate(words):
        length = len(paths_codes[position])
        codes[word, :length] = paths_codes[position]
        points[word, :length] = paths_points[position]
        lengths[word] = length
    return codes, points, lengths


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """`(vocab,)` probability of keeping each occurrence under frequent-word subsampling (word2vec.c's formula).

    `p(w) = (sqrt(c_w / (sample * total)) + 1) * sample * total / c_w`, capped at 1; `sample = 0` keeps all.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones(len(counts), dtype=np.float32)
    threshold = sample * counts.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = (np.sqrt(counts / threshold) + 1.0) * threshold / counts
    return np.where(counts > 0, np.minimum(keep, 1.0), 0.0).astype(np.float32)


def noise_distribution(counts: np.ndarray, exponent: float) -> np.ndarray:
    """`(vocab,)` the negative-sampling distribution `c_w ** exponent / Σ c ** exponent` (0 for uncounted ids)."""
    weights = np.where(counts > 0, np.asarray(counts, dtype=np.float64) ** exponent, 0.0)
    total = weights.sum()
    if total <= 0:
        raise ValueError("noise_distribution: the vocabulary has no counted word")
    return weights / total
