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
3. `train_block` cuts the examples into batches of one size (the last one padded with examples that have no
   context word and change nothing), with the noise words and each batch's learning rate drawn for the whole
   block, and hands them to `BatchStep`.
4. `negative_sampling_step` and `hierarchical_softmax_step` compute word2vec's gradients by hand:
   `g = (label - σ(h·u)) α`, `hidden_error = Σ g u`, `u += g h`, as a gather, batched matrix-vector products and
   each row's summed step per batch; no autograd and no optimiser over the full matrices. σ is read as the numba
   kernel reads it (word2vec.c's table, as gensim indexes it; saturated scores skipped), so that an example alone
   in its batch gets the numba kernel's update.

Rows are read and summed in one of two forms (`RowUpdates`). On the CPU, sparse products read them in place and
`torch.unique` deduplicates them (`SparseRowSteps`), the fastest form there. On other devices every shape in a
batch's step follows from the batch's shape and nothing waits for the device (`ScratchRowSteps`: sums gathered
by row index in scratch matrices), so that on CUDA the step is compiled and captured in a CUDA graph
(`BatchStep`).

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
        # A pattern with more entries a row than the matrix has rows trips `sampled_addmm` (torch 2.13).
        self.matrix, self.columns = matrix, columns
        self.sparse = sparse and columns.shape[1] <= matrix.shape[0]
        if self.sparse:
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
    rows: torch.Tensor, sources: torch.Tensor, source_rows: torch.Tensor, coefficients: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The summed step of each row that terms `matrix[rows[i]] += coefficients[i] * sources[source_rows[i]]` update,
    as a sparse `(u, m)` matrix of the coefficients times `sources`: the `(n, dim)` terms are never formed (on the CPU
    several times faster than forming them and adding them with `index_add_`).

    Args:
        rows, source_rows, coefficients: `(n,)` the row each term updates, the row of `sources (m, dim)` it adds
            and by how much.

    Returns `(unique_rows (u,), term_row (n,), steps (u, dim))`: the rows updated (sorted), the index into them of
    each term, and each row's sum of its terms.
    """
    unique_rows, term_row = torch.unique(rows, return_inverse=True)
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
    """`vectors (..., dim)` scaled to unit length along the last dimension (zero vectors stay zero)."""
    return vectors / vectors.norm(dim=-1, keepdim=True).clamp(min=torch.finfo(vectors.dtype).tiny)


class SparseRowSteps:
    """A batch's terms `matrix[rows[b, j]] += coefficients[b, j] * sources[b]`, summed row by row in the CPU's form:
    the rows deduplicated (`torch.unique`, which waits for the device) and summed by a sparse product
    (`summed_steps`).

    Args:
        rows, coefficients: `(batch, t)`; sources: `(batch, dim)`.
    """

    def __init__(self, rows: torch.Tensor, sources: torch.Tensor, coefficients: torch.Tensor):
        self.shape, self.sources = rows.shape, sources
        example = torch.arange(rows.shape[0], device=rows.device).repeat_interleave(rows.shape[1])
        self.rows, self.term_row, self.steps = summed_steps(
            rows.reshape(-1), sources, example, coefficients.reshape(-1)
        )

    def along_steps(self) -> torch.Tensor:
        """`(batch, t)`: `sources[b] · Ŝ`, `Ŝ` the unit direction of the summed step of row `rows[b, j]`."""
        return RowTable(unit_rows(self.steps), self.term_row.view(self.shape), sparse=True).dots(self.sources)

    def add_to(self, matrix: torch.Tensor, curvature: torch.Tensor | None) -> None:
        """Add each row's summed step to `matrix`, damped by the `curvature (batch, t)` of its terms (see `damp`);
        None: in full."""
        steps = self.steps if curvature is None else damp(self.steps, self.term_row, curvature.reshape(-1))
        matrix.index_add_(0, self.rows, steps)


class ScratchRowSteps:
    """The same as `SparseRowSteps` in fixed shapes and without host syncs, so that a batch can be captured in a
    CUDA graph: the terms are formed as a `(batch, t, dim)` tensor, and what a row needs summed (its step, its
    curvature) is gathered by row index in the scratch matrices of `RowUpdates`, zeroed again at the rows used."""

    def __init__(self, scratch: RowUpdates, rows: torch.Tensor, sources: torch.Tensor, coefficients: torch.Tensor):
        self.scratch, self.rows, self.sources = scratch, rows.reshape(-1), sources
        self.terms = coefficients.unsqueeze(2) * sources.unsqueeze(1)
        self.summed = False

    def along_steps(self) -> torch.Tensor:
        """`(batch, t)`: as `SparseRowSteps.along_steps`."""
        self.scratch.steps.index_add_(0, self.rows, self.terms.view(self.rows.shape[0], -1))
        self.summed = True
        directions = unit_rows(self.scratch.steps[self.rows]).view(self.terms.shape)
        return torch.bmm(directions, self.sources.unsqueeze(2)).squeeze(2)

    def add_to(self, matrix: torch.Tensor, curvature: torch.Tensor | None) -> None:
        """As `SparseRowSteps.add_to`: each term scaled by its row's damping, which scales the row's sum by it."""
        terms = self.terms.view(self.rows.shape[0], -1)
        if curvature is not None:
            total = self.scratch.curvature
            total.index_add_(0, self.rows, curvature.reshape(-1))
            terms = terms * total[self.rows].clamp(min=1.0).reciprocal().unsqueeze(1)
            total.index_fill_(0, self.rows, 0.0)
        matrix.index_add_(0, self.rows, terms)
        if self.summed:
            self.scratch.steps.index_fill_(0, self.rows, 0.0)


class RowUpdates:
    """How a batch reads and updates weight rows on a device: sparse products on the CPU (`RowTable`,
    `SparseRowSteps`); elsewhere gathered rows and fixed-shape sums (`ScratchRowSteps`), with scratch space of
    `(rows, dim)` (kept zero between batches) for the sums.

    Args:
        sparse: None: `sparse_by_default(device)`.
    """

    def __init__(self, rows: int, dim: int, device, dtype: torch.dtype = torch.float32, sparse: bool | None = None):
        self.sparse = sparse_by_default(device) if sparse is None else sparse
        if not self.sparse:
            self.steps = torch.zeros(rows, dim, dtype=dtype, device=device)
            self.curvature = torch.zeros(rows, dtype=dtype, device=device)

    @classmethod
    def for_matrices(cls, *matrices: torch.Tensor) -> RowUpdates:
        """Updates of any of `matrices` (of one width, on one device)."""
        first = matrices[0]
        return cls(max(matrix.shape[0] for matrix in matrices), first.shape[1], first.device, first.dtype)

    def table(self, matrix: torch.Tensor, columns: torch.Tensor) -> RowTable:
        return RowTable(matrix, columns, self.sparse)

    def summed(
        self, rows: torch.Tensor, sources: torch.Tensor, coefficients: torch.Tensor
    ) -> SparseRowSteps | ScratchRowSteps:
        """The terms `matrix[rows[b, j]] += coefficients[b, j] * sources[b]`, summed by row (`rows (batch, t)`)."""
        if self.sparse:
            return SparseRowSteps(rows, sources, coefficients)
        return ScratchRowSteps(self, rows, sources, coefficients)


def _binary_logistic_step(
    hidden: torch.Tensor,
    matrix: torch.Tensor,
    targets: torch.Tensor,
    labels: torch.Tensor,
    weights: torch.Tensor,
    lr: float | torch.Tensor,
    damped: bool,
    updates: RowUpdates | None,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """SGD on `Σ_t weights_t * -log σ(±h·u_t)` (+ for label 1, - for label 0) for each row of the batch, σ read
    from word2vec.c's table (`table_sigmoid`) and terms with a saturated score left out of the step.

    Args:
        hidden: `(batch, dim)` the projections `h`; matrix `(rows, dim)` the output weights `u`, updated in place.
        targets, labels, weights: `(batch, t)` rows of `matrix`, their labels (0/1) and weights (0/1).
        lr: a number, or a 0-d tensor.
        damped: scale the summed update of a row of `matrix` that occurs several times by its curvature
            (`damp`); False: plain sums.
        updates: how rows are read and updated; None: `RowUpdates.for_matrices(matrix)`.

    Returns `hidden_error (batch, dim) = Σ_t g_t u_t` (before the update), `hidden_curvature (batch,) =
    Σ_t α σ'(s_t) (u_t·e)²` along the unit vector `e` of `hidden_error` (None when not `damped`) and the
    summed loss (a 0-d tensor).
    """
    updates = updates or RowUpdates.for_matrices(matrix)
    table = updates.table(matrix, targets)
    scores = table.dots(hidden)
    probabilities = table_sigmoid(scores)
    live = weights * (scores.abs() < SCORE_LIMIT)  # saturated scores are skipped
    gradients = (labels - probabilities) * live * lr
    loss = (F.softplus(torch.where(labels > 0, -scores, scores)) * weights).sum()
    hidden_error = table.weighted_sums(gradients)
    steps = updates.summed(targets, hidden, gradients)
    hidden_curvature = curvature = None
    if damped:
        slopes = probabilities * (1.0 - probabilities) * live * lr
        # Along the direction the hidden error moves h: the Rayleigh quotient of the Gauss-Newton matrix there.
        hidden_curvature = (slopes * table.dots(unit_rows(hidden_error)).square()).sum(1)
        # Each term's curvature along its row's summed step.
        curvature = slopes * steps.along_steps().square()
    steps.add_to(matrix, curvature)
    return hidden_error, hidden_curvature, loss


def negative_sampling_step(
    hidden: torch.Tensor,
    words: torch.Tensor,
    output_vectors: torch.Tensor,
    noise: torch.Tensor,
    lr: float | torch.Tensor,
    damped: bool,
    examples: torch.Tensor | None = None,
    updates: RowUpdates | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """One batched negative-sampling step: predict `words (batch,)` from `hidden (batch, dim)` against
    `noise (batch, negative)` noise words (those equal to the word are skipped, as word2vec.c does).
    `examples (batch,)`: the weight (0/1) of each example, None: all 1. Updates `output_vectors` in place; returns
    `(hidden_error (batch, dim), hidden_curvature (batch,) or None, loss sum)` (see `_binary_logistic_step`)."""
    targets = torch.cat([words.unsqueeze(1), noise], dim=1)
    labels = torch.zeros(targets.shape, dtype=hidden.dtype, device=hidden.device)
    labels[:, 0] = 1.0
    weights = (targets != words.unsqueeze(1)).to(hidden.dtype)
    weights[:, 0] = 1.0
    if examples is not None:
        weights = weights * examples.unsqueeze(1)
    return _binary_logistic_step(hidden, output_vectors, targets, labels, weights, lr, damped, updates)


def hierarchical_softmax_step(
    hidden: torch.Tensor,
    words: torch.Tensor,
    node_vectors: torch.Tensor,
    codes: torch.Tensor,
    points: torch.Tensor,
    lengths: torch.Tensor,
    lr: float | torch.Tensor,
    damped: bool,
    examples: torch.Tensor | None = None,
    updates: RowUpdates | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """One batched hierarchical-softmax step along the Huffman path of each of `words (batch,)`: inner node
    `p_j` with bit `c_j` has label `1 - c_j`. `codes`, `points (vocab, depth)` and `lengths (vocab,)` are the
    tree; `examples` as in `negative_sampling_step`. Updates `node_vectors` in place; returns `(hidden_error
    (batch, dim), hidden_curvature (batch,) or None, loss sum)` (see `_binary_logistic_step`)."""
    targets = points[words]
    labels = 1.0 - codes[words].to(hidden.dtype)
    depth = torch.arange(points.shape[1], device=hidden.device)
    weights = (depth < lengths[words].unsqueeze(1)).to(hidden.dtype)
    if examples is not None:
        weights = weights * examples.unsqueeze(1)
    return _binary_logistic_step(hidden, node_vectors, targets, labels, weights, lr, damped, updates)


class BatchStep:
    """One batch of word2vec updates, on tensors of fixed shapes (see `step`).

    On CUDA the step runs compiled and replayed. `torch.compile` fuses its ~120 small ops into a few kernels (each
    op's pass over `(batch, t, dim)` tensors is memory traffic), and a CUDA graph captured at the first batch
    replays them with one launch a batch, where eager execution launches every op from the host and is bound by
    its dispatch speed. The graph reads and updates the weight tensors given here in place, so they must stay the
    same tensors for the life of the step.

    Args:
        input_vectors: `(vocab, dim)` updated in place, as are `output_vectors` (negative sampling) and
            `node_vectors` (hierarchical softmax), each None when unused.
        tables: Huffman `codes`, `points` `(vocab, depth)` and `lengths (vocab,)` on the weights' device (used with
            `node_vectors`).
        negative: noise words per example (0: no negative sampling).
        damped: bound the summed update of each row that occurs several times in a batch by its curvature (see
            the module docstring); False: plain sums, which diverge on large batches.
        compiled: on CUDA, fuse the step with `torch.compile` (once, about a minute: see `prepare`).
        graphs: on CUDA, capture the step in a CUDA graph and replay it.
    """

    def __init__(
        self,
        input_vectors: torch.Tensor,
        output_vectors: torch.Tensor | None,
        node_vectors: torch.Tensor | None,
        tables: dict[str, torch.Tensor],
        *,
        cbow: bool,
        cbow_mean: bool,
        negative: int,
        damped: bool,
        compiled: bool = True,
        graphs: bool = True,
    ):
        self.input_vectors, self.output_vectors, self.node_vectors = input_vectors, output_vectors, node_vectors
        self.tables = tables
        self.cbow, self.cbow_mean, self.negative, self.damped = cbow, cbow_mean, negative, damped
        matrices = [matrix for matrix in (input_vectors, output_vectors, node_vectors) if matrix is not None]
        self.updates = RowUpdates.for_matrices(*matrices)
        on_cuda = input_vectors.device.type == "cuda" and not self.updates.sparse
        self.graphs = graphs and on_cuda
        self._run = torch.compile(self.step, fullgraph=True, dynamic=False) if compiled and on_cuda else self.step
        self._graph = None

    def prepare(self, batch_size: int, width: int) -> None:
        """Compile and capture the step for batches of `batch_size` examples with `width` context words each, ahead
        of the first batch (so that a timed run leaves this one-off out); eager steps need nothing."""
        inputs = self._zero_inputs(batch_size, width)
        if self.graphs:
            self._capture(inputs)
        elif self._run is not self.step:
            self._run(*inputs)

    def _zero_inputs(self, batch_size: int, width: int) -> list[torch.Tensor]:
        """Inputs of `step`, all zero: weights and learning rate zero, so that running it changes nothing."""
        device, dtype = self.input_vectors.device, self.input_vectors.dtype
        return [
            torch.zeros(batch_size, dtype=torch.int64, device=device),
            torch.zeros(batch_size, width, dtype=torch.int64, device=device),
            torch.zeros(batch_size, width, dtype=dtype, device=device),
            torch.zeros(batch_size, self.negative, dtype=torch.int64, device=device),
            torch.zeros((), dtype=dtype, device=device),
        ]

    def __call__(
        self, words: torch.Tensor, context: torch.Tensor, weights: torch.Tensor, noise: torch.Tensor, lr: torch.Tensor
    ) -> torch.Tensor:
        """`step` (compiled on CUDA); with `graphs`, replayed from a CUDA graph, and the loss it returns is then
        overwritten by the next call."""
        if not self.graphs:
            return self._run(words, context, weights, noise, lr)
        inputs = (words, context, weights, noise, lr)
        if self._graph is None or [x.shape for x in inputs] != [x.shape for x in self._inputs]:
            self._capture(self._zero_inputs(*context.shape))
        for static, value in zip(self._inputs, inputs, strict=True):
            static.copy_(value)
        self._graph.replay()
        return self._loss

    def _capture(self, inputs: list[torch.Tensor]) -> None:
        """Record the step on `inputs` (zero: see `_zero_inputs`), after warm-up runs on a side stream (which
        compile it and change no weight), as CUDA graph capture requires."""
        self._inputs = inputs
        current = torch.cuda.current_stream(self.input_vectors.device)
        side = torch.cuda.Stream(self.input_vectors.device)
        side.wait_stream(current)
        with torch.cuda.stream(side):
            for _ in range(2):
                self._run(*inputs)
        current.wait_stream(side)
        self._graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self._graph):
            self._loss = self._run(*inputs)

    def step(
        self, words: torch.Tensor, context: torch.Tensor, weights: torch.Tensor, noise: torch.Tensor, lr: torch.Tensor
    ) -> torch.Tensor:
        """Update the weights from one batch; return its summed loss (0-d).

        Args:
            words: `(batch,)` the predicted (centre) words.
            context: `(batch, t)` their context words: skip-gram's one (`t = 1`), or CBOW's window
                (`t = 2 * window`).
            weights: `(batch, t)` 0/1, which context words count; an example with none is padding and changes
                nothing.
            noise: `(batch, negative)` noise words.
            lr: 0-d learning rate.
        """
        updates = self.updates
        examples = weights.amax(1)
        hidden = updates.table(self.input_vectors, context).weighted_sums(weights)
        coefficients = weights
        if self.cbow:
            count = weights.sum(1, keepdim=True).clamp(min=1.0)
            # word2vec.c and gensim apply the mean's error to every context word in full, and spread the sum's
            # error over them.
            if self.cbow_mean:
                hidden = hidden / count
            else:
                coefficients = weights / count
        objectives = []
        if self.node_vectors is not None:
            tables = self.tables
            objectives.append(
                hierarchical_softmax_step(
                    hidden,
                    words,
                    self.node_vectors,
                    tables["codes"],
                    tables["points"],
                    tables["lengths"],
                    lr,
                    self.damped,
                    examples,
                    updates,
                )
            )
        if self.negative > 0:
            objectives.append(
                negative_sampling_step(hidden, words, self.output_vectors, noise, lr, self.damped, examples, updates)
            )
        hidden_error = sum(error for error, _, _ in objectives)
        # The context rows of an example move its scores together: each takes the example's whole curvature.
        curvature = sum(curvature for _, curvature, _ in objectives).unsqueeze(1) * weights if self.damped else None
        updates.summed(context, hidden_error, coefficients).add_to(self.input_vectors, curvature)
        return sum(loss for _, _, loss in objectives)


def train_block(
    step: BatchStep,
    tokens: torch.Tensor,
    sentence_lengths: torch.Tensor,
    tables: dict[str, torch.Tensor],
    *,
    window: int,
    shrink_windows: bool,
    alpha_start: float,
    alpha_end: float,
    words_before: int,
    total_words: int,
    generator: torch.Generator,
    batch_size: int,
) -> tuple[int, torch.Tensor, int]:
    """Train on a block of sentences in batches of `batch_size` examples (the last one padded); return
    `(effective_words, loss_sum, loss_terms)` as `word2vec_kernels.train_sentences` does (the loss sum as a 0-d
    tensor on the device).

    Args:
        step: the weights and objectives, which it updates batch by batch.
        tokens: `(n,)` int64 ids of the block's sentences, concatenated; `sentence_lengths (s,)` their lengths.
        tables: `keep_probability`, `noise_keep`, `noise_alias` `(vocab,)` on the weights' device.
        alpha_start, alpha_end, words_before, total_words: the learning rate of a batch falls linearly from
            `alpha_start` to `alpha_end` as `words_before + (position of its first centre word)` goes to
            `total_words`.
    """
    device = tokens.device
    sentence = torch.repeat_interleave(torch.arange(sentence_lengths.shape[0], device=device), sentence_lengths)
    raw_position = subsample(tokens, tables["keep_probability"], generator).nonzero().squeeze(1)
    kept, kept_sentence = tokens[raw_position], sentence[raw_position]
    spans = window_spans(kept.shape[0], window, shrink_windows, generator, device)
    if step.cbow:
        centre, context, mask = cbow_windows(kept_sentence, spans, window)
    else:
        centre, context = skipgram_pairs(kept_sentence, spans, window)
        context, mask = context.unsqueeze(1), torch.ones(context.shape[0], 1, dtype=torch.bool, device=device)
    examples = centre.shape[0]
    loss_sum = torch.zeros((), dtype=step.input_vectors.dtype, device=device)
    first_centres = raw_position[centre[::batch_size]].tolist()
    progress = [min(1.0, (words_before + first) / total_words) for first in first_centres]
    lrs = torch.tensor([alpha_start - (alpha_start - alpha_end) * p for p in progress], dtype=loss_sum.dtype)
    padding = len(first_centres) * batch_size - examples
    words = F.pad(kept[centre], (0, padding))
    context_words = F.pad(kept[context], (0, 0, 0, padding))
    weights = F.pad(mask.to(loss_sum.dtype), (0, 0, 0, padding))
    noise = draw_noise((words.shape[0], step.negative), tables["noise_keep"], tables["noise_alias"], generator)
    for batch, lr in enumerate(lrs.to(device)):
        rows = slice(batch * batch_size, (batch + 1) * batch_size)
        loss_sum += step(words[rows], context_words[rows], weights[rows], noise[rows], lr)
    return kept.shape[0], loss_sum, examples
