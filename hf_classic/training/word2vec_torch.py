"""The word2vec hot loop as batched tensor ops: runs on any torch device (the GPU path of hf_classic).

Where `word2vec_kernels` walks sentence by sentence and updates one row at a time (Hogwild), this module
turns a whole block of sentences into training examples at once and updates the weights with big batches
(HogBatch, Ji et al. 2016), so that a GPU spends its time moving rows rather than launching kernels:

1. `subsample` draws which occurrences survive frequent-word subsampling; `window_spans` draws word2vec.c's
   dynamic window of each kept word.
2. `context_positions` lays out every (centre, offset ±1..window) candidate as a `(words, 2 * window)` grid
   and masks those past the span, outside the sentence or outside the block; `skipgram_pairs` flattens the
   grid into `(centre, context)` pairs, CBOW uses the grid's rows as context windows. Both have a plain
   loop beside them (`*_reference`) that the tests compare against.
3. `negative_sampling_step` and `hierarchical_softmax_step` compute word2vec's gradients by hand:
   `g = (label - σ(h·u)) α`, `hidden_error = Σ g u`, `u += g h`, as a gather, a few products and an `index_add_`
   per batch; no autograd and no optimiser over the full matrices.

A row that occurs `k` times in one batch would receive `k` updates computed from the same stale weights, and
for frequent words (the noise words above all) `k` runs into the thousands: summed, such updates overshoot
and training diverges. `add_rows` therefore lets each row take at most `row_cap` occurrences' worth of
update per batch (its summed update is scaled by `min(1, row_cap / k)`); rare words, whose `k` is small,
get exactly word2vec's updates.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

KERNEL_PREFIX = "torch"


def kernel_name(device: torch.device) -> str:
    """The name training statistics report for this path on `device`: `torch-cpu`, `torch-cuda`, ..."""
    return f"{KERNEL_PREFIX}-{torch.device(device).type}"


def subsample(tokens: torch.Tensor, keep_probability: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """`(n,)` bool: which occurrences of `tokens (n,)` are kept, each with probability `keep_probability[id]`."""
    draws = torch.rand(tokens.shape, generator=generator, device=tokens.device)
    return draws < keep_probability[tokens]


def window_spans(count: int, window: int, shrink: bool, generator: torch.Generator, device) -> torch.Tensor:
    """`(count,)` int64 window of each centre word: uniform in `1..window` with `shrink` (word2vec.c's dynamic
    window), else `window`."""
    if not shrink:
        return torch.full((count,), window, dtype=torch.int64, device=device)
    return torch.randint(1, window + 1, (count,), generator=generator, device=device)


def context_positions(sentence: torch.Tensor, spans: torch.Tensor, window: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Positions of the context words of every word of a block, as a grid.

    Args:
        sentence: `(m,)` sentence index of each (kept) word, non-decreasing.
        spans: `(m,)` window of each word (`1..window`).

    Returns:
        `positions (m, 2 * window)`: for word `i`, the positions `i - window .. i - 1, i + 1 .. i + window`
        (clamped into `0..m-1`), and `valid (m, 2 * window)`: which of them are within `spans[i]` of `i` and in
        the same sentence.
    """
    m = sentence.shape[0]
    device = sentence.device
    offsets = torch.cat([torch.arange(-window, 0, device=device), torch.arange(1, window + 1, device=device)])
    positions = torch.arange(m, device=device).unsqueeze(1) + offsets
    valid = (positions >= 0) & (positions < m) & (offsets.abs() <= spans.unsqueeze(1))
    positions = positions.clamp(0, max(m - 1, 0))
    valid &= sentence[positions] == sentence.unsqueeze(1)
    return positions, valid


def skipgram_pairs(sentence: torch.Tensor, spans: torch.Tensor, window: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`(centre (p,), context (p,))` positions of every skip-gram pair of a block, centre by centre, each centre's
    contexts from left to right (the order of word2vec.c's loop)."""
    positions, valid = context_positions(sentence, spans, window)
    centre = torch.arange(sentence.shape[0], device=sentence.device).unsqueeze(1).expand_as(positions)
    return centre[valid], positions[valid]


def skipgram_pairs_reference(sentence: list[int], spans: list[int]) -> list[tuple[int, int]]:
    """Plain loop of `skipgram_pairs`: `(centre, context)` positions, in the same order."""
    pairs = []
    for i in range(len(sentence)):
        for j in range(max(0, i - spans[i]), min(len(sentence), i + spans[i] + 1)):
            if j != i and sentence[j] == sentence[i]:
                pairs.append((i, j))
    return pairs


def cbow_windows(
    sentence: torch.Tensor, spans: torch.Tensor, window: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """CBOW examples of a block: `(centre (c,), context (c, 2 * window), mask (c, 2 * window))` positions, one
    row per word with at least one context word (word2vec.c skips the others)."""
    positions, valid = context_positions(sentence, spans, window)
    centre = valid.any(dim=1).nonzero().squeeze(1)
    return centre, positions[centre], valid[centre]


def cbow_windows_reference(sentence: list[int], spans: list[int]) -> list[tuple[int, list[int]]]:
    """Plain loop of `cbow_windows`: `(centre, [context positions left to right])` for every centre with context."""
    examples = []
    for i in range(len(sentence)):
        low, high = max(0, i - spans[i]), min(len(sentence), i + spans[i] + 1)
        context = [j for j in range(low, high) if j != i and sentence[j] == sentence[i]]
        if context:
            examples.append((i, context))
    return examples


def draw_noise(
    shape: tuple[int, ...], noise_keep: torch.Tensor, noise_alias: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """Noise words of `shape` from the alias table `(noise_keep (vocab,), noise_alias (vocab,))`: a slot drawn
    uniformly is kept with probability `noise_keep[slot]`, else replaced by `noise_alias[slot]`."""
    device = noise_keep.device
    slots = torch.randint(noise_keep.shape[0], shape, generator=generator, device=device)
    coins = torch.rand(shape, generator=generator, device=device)
    return torch.where(coins < noise_keep[slots], slots, noise_alias[slots])


def add_rows(matrix: torch.Tensor, rows: torch.Tensor, updates: torch.Tensor, row_cap: float | None) -> None:
    """`matrix[rows[i]] += updates[i]` for all `i` (repeated rows summed), where a row occurring `k` times in
    `rows (n,)` has its updates `(n, dim)` scaled by `min(1, row_cap / k)`; `row_cap=None`: plain sums."""
    if row_cap is not None:
        counts = torch.bincount(rows, minlength=matrix.shape[0])[rows]
        updates = updates * (row_cap / counts.to(updates.dtype)).clamp(max=1.0).unsqueeze(1)
    if matrix.device.type == "cpu":
        # On the CPU, index_put_ sorts the rows and sums each run: several times faster than index_add_.
        matrix.index_put_((rows,), updates, accumulate=True)
    else:
        matrix.index_add_(0, rows, updates)


def _binary_logistic_step(
    hidden: torch.Tensor,
    matrix: torch.Tensor,
    targets: torch.Tensor,
    labels: torch.Tensor,
    weights: torch.Tensor,
    lr: float,
    row_cap: float | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """SGD on `Σ_t weights_t * -log σ(±h·u_t)` (+ for label 1, - for label 0) for each row of the batch.

    Args:
        hidden: `(batch, dim)` the projections `h`; matrix `(rows, dim)` the output weights `u`, updated in place.
        targets, labels, weights: `(batch, t)` rows of `matrix`, their labels (0/1) and weights (0/1).

    Returns `hidden_error (batch, dim) = Σ_t g_t u_t` (before the update) and the summed loss (a 0-d tensor).
    """
    vectors = matrix[targets]
    # Products and sums rather than bmm: each batch item is a (t, dim) × (dim,) product, too small for a GEMM.
    scores = (vectors * hidden.unsqueeze(1)).sum(2)
    gradients = (labels - torch.sigmoid(scores)) * weights * lr
    loss = (F.softplus(torch.where(labels > 0, -scores, scores)) * weights).sum()
    hidden_error = (gradients.unsqueeze(2) * vectors).sum(1)
    updates = gradients.unsqueeze(2) * hidden.unsqueeze(1)
    add_rows(matrix, targets.reshape(-1), updates.reshape(-1, hidden.shape[1]), row_cap)
    return hidden_error, loss


def negative_sampling_step(
    hidden: torch.Tensor,
    words: torch.Tensor,
    output_vectors: torch.Tensor,
    noise: torch.Tensor,
    lr: float,
    row_cap: float | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One batched negative-sampling step: predict `words (batch,)` from `hidden (batch, dim)` against
    `noise (batch, negative)` noise words (those equal to the word are skipped, as word2vec.c does).
    Updates `output_vectors` in place; returns `(hidden_error (batch, dim), loss sum)`."""
    targets = torch.cat([words.unsqueeze(1), noise], dim=1)
    labels = torch.zeros(targets.shape, dtype=hidden.dtype, device=hidden.device)
    labels[:, 0] = 1.0
    weights = (targets != words.unsqueeze(1)).to(hidden.dtype)
    weights[:, 0] = 1.0
    return _binary_logistic_step(hidden, output_vectors, targets, labels, weights, lr, row_cap)


def hierarchical_softmax_step(
    hidden: torch.Tensor,
    words: torch.Tensor,
    node_vectors: torch.Tensor,
    codes: torch.Tensor,
    points: torch.Tensor,
    lengths: torch.Tensor,
    lr: float,
    row_cap: float | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One batched hierarchical-softmax step along the Huffman path of each of `words (batch,)`: inner node
    `p_j` with bit `c_j` has label `1 - c_j`. `codes`, `points (vocab, depth)` and `lengths (vocab,)` are the
    tree. Updates `node_vectors` in place; returns `(hidden_error (batch, dim), loss sum)`."""
    targets = points[words]
    labels = 1.0 - codes[words].to(hidden.dtype)
    depth = torch.arange(points.shape[1], device=hidden.device)
    weights = (depth < lengths[words].unsqueeze(1)).to(hidden.dtype)
    return _binary_logistic_step(hidden, node_vectors, targets, labels, weights, lr, row_cap)


def train_block(
    input_vectors: torch.Tensor,
    output_vectors: torch.Tensor | None,
    node_vectors: torch.Tensor | None,
    tokens: torch.Tensor,
    sentence_lengths: torch.Tensor,
    tables: dict[str, torch.Tensor],
    *,
    cbow: bool,
    cbow_mean: bool,
    window: int,
    shrink_windows: bool,
    negative: int,
    alpha_start: float,
    alpha_end: float,
    words_before: int,
    total_words: int,
    generator: torch.Generator,
    batch_size: int,
    row_cap: float | None,
) -> tuple[int, torch.Tensor, int]:
    """Train on a block of sentences in batches of `batch_size` examples; return `(effective_words, loss_sum,
    loss_terms)` as `word2vec_kernels.train_sentences` does (the loss sum as a 0-d tensor on the device).

    Args:
        input_vectors: `(vocab, dim)` updated in place, as are `output_vectors` (negative sampling) and
            `node_vectors` (hierarchical softmax), each None when unused.
        tokens: `(n,)` int64 ids of the block's sentences, concatenated; `sentence_lengths (s,)` their lengths.
        tables: `keep_probability`, `noise_keep`, `noise_alias` `(vocab,)`, Huffman `codes`, `points`
            `(vocab, depth)` and `lengths (vocab,)`, all on the weights' device.
        alpha_start, alpha_end, words_before, total_words: the learning rate of a batch falls linearly from
            `alpha_start` to `alpha_end` as `words_before + (position of its first centre word)` goes to
            `total_words`.
    """
    device = tokens.device
    sentence = torch.repeat_interleave(torch.arange(sentence_lengths.shape[0], device=device), sentence_lengths)
    raw_position = subsample(tokens, tables["keep_probability"], generator).nonzero().squeeze(1)
    kept, kept_sentence = tokens[raw_position], sentence[raw_position]
    spans = window_spans(kept.shape[0], window, shrink_windows, generator, device)
    if cbow:
        centre, context, mask = cbow_windows(kept_sentence, spans, window)
    else:
        centre, context = skipgram_pairs(kept_sentence, spans, window)
    examples = centre.shape[0]
    first_centres = raw_position[centre[::batch_size]].tolist()
    loss_sum = torch.zeros((), dtype=input_vectors.dtype, device=device)
    for batch, start in enumerate(range(0, examples, batch_size)):
        progress = min(1.0, (words_before + first_centres[batch]) / total_words)
        lr = alpha_start - (alpha_start - alpha_end) * progress
        words = kept[centre[start : start + batch_size]]
        context_words = kept[context[start : start + batch_size]]
        if cbow:
            batch_mask = mask[start : start + batch_size]
            weights = batch_mask.to(input_vectors.dtype)
            count = weights.sum(1, keepdim=True)
            hidden = (weights.unsqueeze(2) * input_vectors[context_words]).sum(1)
            # word2vec.c and gensim apply the mean's error to every context word in full, and spread the sum's
            # error over them.
            hidden, error_scale = (hidden / count, None) if cbow_mean else (hidden, 1.0 / count)
        else:
            hidden = input_vectors[context_words]
        hidden_error = torch.zeros_like(hidden)
        if node_vectors is not None:
            error, loss = hierarchical_softmax_step(
                hidden, words, node_vectors, tables["codes"], tables["points"], tables["lengths"], lr, row_cap
            )
            hidden_error += error
            loss_sum += loss
        if negative > 0:
            noise = draw_noise((words.shape[0], negative), tables["noise_keep"], tables["noise_alias"], generator)
            error, loss = negative_sampling_step(hidden, words, output_vectors, noise, lr, row_cap)
            hidden_error += error
            loss_sum += loss
        if cbow:
            if error_scale is not None:
                hidden_error = hidden_error * error_scale
            updates = hidden_error.unsqueeze(1).expand(-1, batch_mask.shape[1], -1)
            add_rows(input_vectors, context_words[batch_mask], updates[batch_mask], row_cap)
        else:
            add_rows(input_vectors, context_words, hidden_error, row_cap)
    return kept.shape[0], loss_sum, examples
