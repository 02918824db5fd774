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
   `g = (label - σ(h·u)) α`, `hidden_error = Σ g u`, `u += g h`, as a gather, batched matrix-vector products and
   each row's summed step (`summed_steps`) per batch; no autograd and no optimiser over the full matrices. σ is
   read as the numba kernel reads it (word2vec.c's table, as gensim indexes it; saturated scores skipped), so
   that an example alone in its batch gets the numba kernel's update.

A row that occurs `k` times in one batch receives `k` updates computed from the same stale weights. For
frequent words (the noise words above all) `k` runs into the thousands; summed, such updates overshoot, where
sequential SGD would have seen the row's gradient shrink after the first few, and training diverges. `damp`
therefore scales each row's summed step `S` by `1 / max(1, C)`, `C` the sum of its terms' curvatures: the
learning rate times the curvature of a term's loss along a direction. Each term `-log σ(±h·u)` has
Gauss-Newton curvature `σ'(s) = σ(s)(1 - σ(s))` along its score, so
- the terms `g_i h_i` of an output row `u` take the direction of `S` itself: `C = α Σ_i σ'(s_i) (h_i·Ŝ)²` is α
  times the curvature of the row's summed loss along its step, and past `C = 1` the scaled step stops at the
  minimum of the loss's quadratic model along it (one Newton step);
- a hidden vector moved by its error `Σ_t g_t u_t`, of unit direction `e`, has `c = α Σ_t σ'(s_t) (u_t·e)²`,
  which its context rows take whole (skip-gram's one, and each of CBOW's, since they move `h` together); an
  input row sums these over its terms. (Its own curvature along `S`, as for output rows, did no better: on
  Gutenberg, CBOW at 4,096 windows, seeds 1-2, MEN ρ 0.236 against 0.243, skip-gram at 16,384 pairs about
  the same, for another pass over each term's output rows.)
Since `σ' ≤ 1/4`, `C ≤ α/4 · Σ|x|²` over a row's terms (`x` the vectors on the other side): below 1 until that
sum reaches 4/α (160 at α = 0.025), so a row that occurs once, or a few times, gets word2vec's update exactly.

Output rows were first damped by `α Σ_i σ'(s_i) |h_i|²`, their terms' curvatures along their own directions.
That exceeds the curvature along `S` when the hidden vectors differ, and held CBOW's output rows back: on
Gutenberg (dim 100, batches of 4,096 windows, seed 1) analogy accuracy went from 0.057 to 0.064 and MEN ρ from
0.217 to 0.247 (gensim: 0.069 and 0.237) with the rule above.
"""

from __future__ import annotations

import warnings

import torch
from torch.nn import functional as F

from .word2vec_kernels import SCORE_LIMIT, SIGMOID_INDEX_SCALE, SIGMOID_TABLE_STEP

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


def table_sigmoid(scores: torch.Tensor) -> torch.Tensor:
    """σ of `scores` (any shape) as `word2vec_kernels` reads it from word2vec.c's table: at the entry that the
    table's integer index arithmetic picks. Meaningful where `|scores| < SCORE_LIMIT`."""
    index = torch.floor((scores + SCORE_LIMIT) * float(SIGMOID_INDEX_SCALE))
    return torch.sigmoid(index * SIGMOID_TABLE_STEP - SCORE_LIMIT)


def _sparse_rows(row_starts, columns, values, shape) -> torch.Tensor:
    """A CSR matrix, without the invariant checks (columns may repeat within a row, and need not be sorted)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta", UserWarning)
        return torch.sparse_csr_tensor(row_starts, columns, values, shape, check_invariants=False)


def sparse_by_default(device: torch.device) -> bool:
    """Whether batches on `device` use sparse products (`RowTable`, `summed_steps`) rather than gathered rows: on
    the CPU, where they are several times faster; elsewhere the dense forms (a GPU's sparse kernels are untried)."""
    return torch.device(device).type == "cpu"


class RowTable:
    """The rows `matrix[columns]` of a batch, `columns (batch, t)`, for products with them.

    Sparse: read in place through a `(batch, rows)` CSR pattern of `columns` (`sampled_addmm` and a sparse-dense
    product: 15x faster on the CPU than gathering the rows and multiplying). Dense: gathered once into a
    `(batch, t, dim)` tensor, then batched matrix-vector products (each reads it once).
    """

    def __init__(self, matrix: torch.Tensor, columns: torch.Tensor, sparse: bool):
        self.matrix, self.columns, self.sparse = matrix, columns, sparse
        if sparse:
            batch, t = columns.shape
            self.row_starts = torch.arange(0, batch * t + 1, t, device=columns.device)
            self.pattern = self._csr(torch.ones(columns.numel(), dtype=matrix.dtype, device=matrix.device))
        else:
            self.rows = matrix[columns]

    def _csr(self, values: torch.Tensor) -> torch.Tensor:
        return _sparse_rows(
            self.row_starts, self.columns.reshape(-1), values, (self.columns.shape[0], self.matrix.shape[0])
        )

    def dots(self, vectors: torch.Tensor) -> torch.Tensor:
        """`(batch, t)`: `vectors[b] · matrix[columns[b, j]]`, `vectors (batch, dim)`."""
        if self.sparse:
            products = torch.sparse.sampled_addmm(self.pattern, vectors, self.matrix.T, beta=0.0)
            return products.values().view(self.columns.shape)
        return torch.bmm(self.rows, vectors.unsqueeze(2)).squeeze(2)

    def weighted_sums(self, weights: torch.Tensor) -> torch.Tensor:
        """`(batch, dim)`: `Σ_j weights[b, j] matrix[columns[b, j]]`, `weights (batch, t)`."""
        if self.sparse:
            return self._csr(weights.reshape(-1)) @ self.matrix
        return torch.bmm(weights.unsqueeze(1), self.rows).squeeze(1)


def summed_steps(
    rows: torch.Tensor,
    sources: torch.Tensor,
    source_rows: torch.Tensor,
    coefficients: torch.Tensor,
    sparse: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The summed step of each row that terms `matrix[rows[i]] += coefficients[i] * sources[source_rows[i]]` update.

    Args:
        rows, source_rows, coefficients: `(n,)` the row each term updates, the row of `sources (m, dim)` it adds
            and by how much.
        sparse: sum with a sparse `(u, m)` matrix of the coefficients times `sources`, never forming the `(n, dim)`
            terms (on the CPU several times faster than forming them and adding them with `index_add_`); False:
            form and add them.

    Returns `(unique_rows (u,), term_row (n,), steps (u, dim))`: the rows updated (sorted), the index into them of
    each term, and each row's sum of its terms.
    """
    unique_rows, term_row = torch.unique(rows, return_inverse=True)
    if not sparse:
        steps = torch.zeros(unique_rows.shape[0], sources.shape[1], dtype=sources.dtype, device=sources.device)
        return unique_rows, term_row, steps.index_add_(0, term_row, coefficients.unsqueeze(1) * sources[source_rows])
    order = torch.argsort(term_row, stable=True)
    row_starts = torch.zeros(unique_rows.shape[0] + 1, dtype=torch.int64, device=rows.device)
    torch.cumsum(torch.bincount(term_row, minlength=unique_rows.shape[0]), 0, out=row_starts[1:])
    terms = _sparse_rows(row_starts, source_rows[order], coefficients[order], (unique_rows.shape[0], sources.shape[0]))
    return unique_rows, term_row, terms @ sources


def damp(steps: torch.Tensor, term_row: torch.Tensor, curvature: torch.Tensor) -> torch.Tensor:
    """`steps (u, dim)` (see `summed_steps`), each scaled by `1 / max(1, C)`, `C` the sum of the `curvature (n,)` of
    its terms (`term_row (n,)`): past 1, the step to the minimum of the quadratic model (module docstring)."""
    total = torch.zeros(steps.shape[0], dtype=steps.dtype, device=steps.device)
    total.index_add_(0, term_row, curvature.to(steps.dtype))
    return steps * total.clamp(min=1.0).reciprocal().unsqueeze(1)


def unit_rows(vectors: torch.Tensor) -> torch.Tensor:
    """`vectors (n, dim)` scaled to unit length (zero rows stay zero)."""
    return vectors / vectors.norm(dim=1, keepdim=True).clamp(min=torch.finfo(vectors.dtype).tiny)


def _binary_logistic_step(
    hidden: torch.Tensor,
    matrix: torch.Tensor,
    targets: torch.Tensor,
    labels: torch.Tensor,
    weights: torch.Tensor,
    lr: float,
    damped: bool,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """SGD on `Σ_t weights_t * -log σ(±h·u_t)` (+ for label 1, - for label 0) for each row of the batch, σ read
    from word2vec.c's table (`table_sigmoid`) and terms with a saturated score left out of the step.

    Args:
        hidden: `(batch, dim)` the projections `h`; matrix `(rows, dim)` the output weights `u`, updated in place.
        targets, labels, weights: `(batch, t)` rows of `matrix`, their labels (0/1) and weights (0/1).
        damped: scale the summed update of a row of `matrix` that occurs several times by its curvature
            (`damp`); False: plain sums.

    Returns `hidden_error (batch, dim) = Σ_t g_t u_t` (before the update), `hidden_curvature (batch,) =
    Σ_t α σ'(s_t) (u_t·e)²` along the unit vector `e` of `hidden_error` (None when not `damped`) and the
    summed loss (a 0-d tensor).
    """
    sparse = sparse_by_default(hidden.device)
    table = RowTable(matrix, targets, sparse)
    scores = table.dots(hidden)
    probabilities = table_sigmoid(scores)
    live = weights * (scores.abs() < SCORE_LIMIT)  # saturated scores are skipped
    gradients = (labels - probabilities) * live * lr
    loss = (F.softplus(torch.where(labels > 0, -scores, scores)) * weights).sum()
    hidden_error = table.weighted_sums(gradients)
    hidden_curvature = None
    if damped:
        slopes = probabilities * (1.0 - probabilities) * live * lr
        # Along the direction the hidden error moves h: the Rayleigh quotient of the Gauss-Newton matrix there.
        hidden_curvature = (slopes * table.dots(unit_rows(hidden_error)).square()).sum(1)
    example = torch.arange(hidden.shape[0], device=hidden.device).repeat_interleave(targets.shape[1])
    rows, term_row, steps = summed_steps(targets.reshape(-1), hidden, example, gradients.reshape(-1), sparse)
    if damped:
        # Each term's curvature along its row's summed step.
        along_step = RowTable(unit_rows(steps), term_row.view(targets.shape), sparse).dots(hidden)
        steps = damp(steps, term_row, (slopes * along_step.square()).reshape(-1))
    matrix.index_add_(0, rows, steps)
    return hidden_error, hidden_curvature, loss


def negative_sampling_step(
    hidden: torch.Tensor,
    words: torch.Tensor,
    output_vectors: torch.Tensor,
    noise: torch.Tensor,
    lr: float,
    damped: bool,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """One batched negative-sampling step: predict `words (batch,)` from `hidden (batch, dim)` against
    `noise (batch, negative)` noise words (those equal to the word are skipped, as word2vec.c does).
    Updates `output_vectors` in place; returns `(hidden_error (batch, dim), hidden_curvature (batch,) or None,
    loss sum)` (see `_binary_logistic_step`)."""
    targets = torch.cat([words.unsqueeze(1), noise], dim=1)
    labels = torch.zeros(targets.shape, dtype=hidden.dtype, device=hidden.device)
    labels[:, 0] = 1.0
    weights = (targets != words.unsqueeze(1)).to(hidden.dtype)
    weights[:, 0] = 1.0
    return _binary_logistic_step(hidden, output_vectors, targets, labels, weights, lr, damped)


def hierarchical_softmax_step(
    hidden: torch.Tensor,
    words: torch.Tensor,
    node_vectors: torch.Tensor,
    codes: torch.Tensor,
    points: torch.Tensor,
    lengths: torch.Tensor,
    lr: float,
    damped: bool,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """One batched hierarchical-softmax step along the Huffman path of each of `words (batch,)`: inner node
    `p_j` with bit `c_j` has label `1 - c_j`. `codes`, `points (vocab, depth)` and `lengths (vocab,)` are the
    tree. Updates `node_vectors` in place; returns `(hidden_error (batch, dim), hidden_curvature (batch,) or None,
    loss sum)` (see `_binary_logistic_step`)."""
    targets = points[words]
    labels = 1.0 - codes[words].to(hidden.dtype)
    depth = torch.arange(points.shape[1], device=hidden.device)
    weights = (depth < lengths[words].unsqueeze(1)).to(hidden.dtype)
    return _binary_logistic_step(hidden, node_vectors, targets, labels, weights, lr, damped)


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
    damped: bool,
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
        damped: bound the summed update of each row that occurs several times in a batch by its curvature (see
            the module docstring); False: plain sums, which diverge on large batches.
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
    sparse = sparse_by_default(device)
    for batch, start in enumerate(range(0, examples, batch_size)):
        progress = min(1.0, (words_before + first_centres[batch]) / total_words)
        lr = alpha_start - (alpha_start - alpha_end) * progress
        words = kept[centre[start : start + batch_size]]
        context_words = kept[context[start : start + batch_size]]
        if cbow:
            batch_mask = mask[start : start + batch_size]
            weights = batch_mask.to(input_vectors.dtype)
            count = weights.sum(1, keepdim=True)
            hidden = RowTable(input_vectors, context_words, sparse).weighted_sums(weights)
            # word2vec.c and gensim apply the mean's error to every context word in full, and spread the sum's
            # error over them.
            hidden, error_scale = (hidden / count, None) if cbow_mean else (hidden, 1.0 / count)
        else:
            hidden = input_vectors[context_words]
        objectives = []
        if node_vectors is not None:
            objectives.append(
                hierarchical_softmax_step(
                    hidden, words, node_vectors, tables["codes"], tables["points"], tables["lengths"], lr, damped
                )
            )
        if negative > 0:
            noise = draw_noise((words.shape[0], negative), tables["noise_keep"], tables["noise_alias"], generator)
            objectives.append(negative_sampling_step(hidden, words, output_vectors, noise, lr, damped))
        hidden_error = sum(error for error, _, _ in objectives)
        hidden_curvature = sum(curvature for _, curvature, _ in objectives) if damped else None
        loss_sum += sum(loss for _, _, loss in objectives)
        example = torch.arange(words.shape[0], device=device)
        coefficients = torch.ones(words.shape[0], dtype=hidden_error.dtype, device=device)
        if cbow:
            # Each context word of a window takes the window's error (spread over them for a sum: `error_scale`).
            example = example.unsqueeze(1).expand_as(batch_mask)[batch_mask]
            context_words = context_words[batch_mask]
            coefficients = (coefficients if error_scale is None else error_scale.squeeze(1))[example]
        rows, term_row, steps = summed_steps(context_words, hidden_error, example, coefficients, sparse)
        if damped:
            # The context rows of a window move its scores together: each takes the window's whole curvature.
            steps = damp(steps, term_row, hidden_curvature[example])
        input_vectors.index_add_(0, rows, steps)
    return kept.shape[0], loss_sum, examples
