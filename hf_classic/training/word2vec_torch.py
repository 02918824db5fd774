"""The word2vec hot loop as batched tensor ops: runs on any torch device (the GPU path of hf_classic).

Where `word2vec_kernels` walks sentence by sentence and updates one row at a time (Hogwild), this module
turns a whole block of sentences into training examples at once and updates the weights with big batches
(HogBatch, Ji et al. 2016), so that a GPU spends its time moving rows rather than launching kernels:

1. `subsample` draws which occurrences survive frequent-word subsampling; `window_spans` draws word2vec.c's
   dynamic window of each kept word.
2. `context_positions` lays out every (centre, offset ±1..window) candidate as a `(words, 2 * window)` grid
   and masks those past the span, outside the sentence or outside the block; `context_windows` keeps the
   rows of centre words with some context (checked against a plain loop, `context_windows_reference`).
3. `train_block` cuts these windows into batches of one size (the last one padded with windows that have no
   context word and change nothing), with the noise words and each batch's learning rate drawn for the whole
   block, and hands them to `BatchStep`. A window is one CBOW example, or the skip-gram pairs of one centre
   word; those pairs share the window's noise words (as in Ji et al.), where word2vec.c draws new ones for each
   pair. So each output row of a window (the centre word's, a noise word's, or a Huffman node's) is read once for
   all its pairs, and its step from them is summed before it reaches the matrix: about 4.5 times fewer output
   rows moved than pair by pair (on Gutenberg, with window 5).
4. `negative_sampling_step` and `hierarchical_softmax_step` compute word2vec's gradients by hand:
   `g = (label - σ(h·u)) α`, `hidden_error = Σ g u`, `u += g h`, as gathers, batched matrix products and
   each row's summed step per batch; no autograd and no optimiser over the full matrices. σ is read as the numba
   kernel reads it (word2vec.c's table, as gensim indexes it; saturated scores skipped), so that a pair alone in
   its batch gets the numba kernel's update.

Every shape in a batch's step follows from the batch's shape, and nothing in it waits for the device (rows are
summed by index in scratch matrices, `RowSums`, rather than deduplicated with `torch.unique`): on CUDA, `BatchStep`
compiles the step and captures it in a CUDA graph.

A row that occurs `k` times in one batch receives `k` updates computed from the same stale weights. For
frequent words (the noise words above all) `k` runs into the thousands; summed, such updates overshoot, where
sequential SGD would have seen the row's gradient shrink after the first few, and training diverges.
`RowSums.add` therefore scales each row's summed step `S` by `1 / max(1, C)`, `C` the sum of its terms' curvatures: the
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
A window's skip-gram pairs are terms of their output rows like any others: an output row's terms are its
(hidden vector, target) pairs.
Since `σ' ≤ 1/4`, `C ≤ α/4 · Σ|x|²` over a row's terms (`x` the vectors on the other side): below 1 until that
sum reaches 4/α (160 at α = 0.025), so a row that occurs once, or a few times, gets word2vec's update exactly.

Output rows were first damped by `α Σ_i σ'(s_i) |h_i|²`, their terms' curvatures along their own directions.
That exceeds the curvature along `S` when the hidden vectors differ, and held CBOW's output rows back: on
Gutenberg (dim 100, batches of 4,096 windows, seed 1) analogy accuracy went from 0.057 to 0.064 and MEN ρ from
0.217 to 0.247 (gensim: 0.069 and 0.237) with the rule above.
"""

from __future__ import annotations

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


def context_windows(
    sentence: torch.Tensor, spans: torch.Tensor, window: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The examples of a block: `(centre (c,), context (c, 2 * window), mask (c, 2 * window))` positions, one
    row per word with at least one context word (word2vec.c skips the others): a CBOW window, or the skip-gram
    pairs of one centre word."""
    positions, valid = context_positions(sentence, spans, window)
    centre = valid.any(dim=1).nonzero().squeeze(1)
    return centre, positions[centre], valid[centre]


def context_windows_reference(sentence: list[int], spans: list[int]) -> list[tuple[int, list[int]]]:
    """Plain loop of `context_windows`: `(centre, [context positions left to right])` for every centre with context."""
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


def unit_rows(vectors: torch.Tensor) -> torch.Tensor:
    """`vectors (..., dim)` scaled to unit length along the last dimension (zero vectors stay zero)."""
    return vectors / vectors.norm(dim=-1, keepdim=True).clamp(min=torch.finfo(vectors.dtype).tiny)


def gather_rows(matrix: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """`matrix[rows]`, `(*rows.shape, dim)` (`index_select`: twice as fast as indexing on the CPU)."""
    return matrix.index_select(0, rows.reshape(-1)).view(*rows.shape, matrix.shape[1])


def add_rows(matrix: torch.Tensor, rows: torch.Tensor, values: torch.Tensor) -> None:
    """`matrix[rows[i]] += values[i]` for every `i`, repeated rows summed, `rows (n,)`, `values (n, *matrix.shape[1:])`
    (`scatter_add_`: several times faster than `index_add_` on the CPU)."""
    index = rows.view(-1, *[1] * (matrix.dim() - 1)).expand_as(values)
    matrix.scatter_add_(0, index, values)


class RowSums:
    """Scratch space to sum a batch's updates of weight rows by row index: `(rows, dim)` steps and `(rows,)`
    curvatures, kept zero between batches. Every shape follows from the batch's and nothing waits for the device
    (no `torch.unique`), so that a batch's step can be captured in a CUDA graph."""

    def __init__(self, rows: int, dim: int, device, dtype: torch.dtype = torch.float32):
        self.steps = torch.zeros(rows, dim, dtype=dtype, device=device)
        self.curvature = torch.zeros(rows, dtype=dtype, device=device)

    @classmethod
    def for_matrices(cls, *matrices: torch.Tensor) -> RowSums:
        """Scratch space for updates of any of `matrices` (of one width, on one device)."""
        first = matrices[0]
        return cls(max(matrix.shape[0] for matrix in matrices), first.shape[1], first.device, first.dtype)

    def directions(self, rows: torch.Tensor, terms: torch.Tensor) -> torch.Tensor:
        """`(batch, t, dim)`: for each term `terms[b, j]` of row `rows[b, j]` (`rows (batch, t)`), the unit direction
        of its row's summed step (the sum of that row's terms)."""
        flat = rows.reshape(-1)
        add_rows(self.steps, flat, terms.reshape(flat.shape[0], -1))
        directions = unit_rows(gather_rows(self.steps, rows))
        self.steps.index_fill_(0, flat, 0.0)
        return directions

    def add(self, matrix: torch.Tensor, rows: torch.Tensor, terms: torch.Tensor, curvature: torch.Tensor | None):
        """`matrix[rows[b, j]] += terms[b, j]`, each row's sum scaled by `1 / max(1, C)`, `C` the sum of the
        `curvature (batch, t)` of its terms (None: in full): past 1, the step to the minimum of the quadratic model
        (module docstring)."""
        flat = rows.reshape(-1)
        terms = terms.reshape(flat.shape[0], -1)
        if curvature is not None:
            add_rows(self.curvature, flat, curvature.reshape(-1))
            terms = terms * self.curvature.index_select(0, flat).clamp(min=1.0).reciprocal().unsqueeze(1)
            self.curvature.index_fill_(0, flat, 0.0)
        add_rows(matrix, flat, terms)


def _binary_logistic_step(
    hidden: torch.Tensor,
    matrix: torch.Tensor,
    targets: torch.Tensor,
    labels: torch.Tensor,
    weights: torch.Tensor,
    lr: float | torch.Tensor,
    damped: bool,
    sums: RowSums | None,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """SGD on `Σ_j Σ_t weights_jt * -log σ(±h_j·u_t)` (+ for label 1, - for label 0) for each example of the batch,
    σ read from word2vec.c's table (`table_sigmoid`) and terms with a saturated score left out of the step.

    Args:
        hidden: `(batch, J, dim)` the projections `h_j` of each example (skip-gram's context words, CBOW's one
            window); matrix `(rows, dim)` the output weights `u`, updated in place.
        targets, labels: `(batch, T)` rows of `matrix` that every `h_j` of the example predicts, their labels (0/1).
        weights: `(batch, J, T)` 0/1, which pairs count.
        lr: a number, or a 0-d tensor.
        damped: scale the summed update of a row of `matrix` that occurs several times by its curvature
            (`RowSums.add`); False: plain sums.
        sums: scratch space for the rows' sums; None: `RowSums.for_matrices(matrix)`.

    Returns `hidden_error (batch, J, dim) = Σ_t g_jt u_t` (before the update), `hidden_curvature (batch, J) =
    Σ_t α σ'(s_jt) (u_t·e_j)²` along the unit vector `e_j` of `hidden_error` (None when not `damped`) and the
    summed loss (a 0-d tensor).
    """
    sums = sums or RowSums.for_matrices(matrix)
    rows = gather_rows(matrix, targets)
    scores = torch.bmm(hidden, rows.transpose(1, 2))
    probabilities = table_sigmoid(scores)
    live = weights * (scores.abs() < SCORE_LIMIT)  # saturated scores are skipped
    gradients = (labels.unsqueeze(1) - probabilities) * live * lr
    loss = (F.softplus(torch.where(labels.unsqueeze(1) > 0, -scores, scores)) * weights).sum()
    hidden_error = torch.bmm(gradients, rows)
    steps = torch.bmm(gradients.transpose(1, 2), hidden)  # (batch, T, dim): each target's step from the example
    hidden_curvature = curvature = None
    if damped:
        slopes = probabilities * (1.0 - probabilities) * live * lr
        # Along the direction the hidden error moves h: the Rayleigh quotient of the Gauss-Newton matrix there.
        hidden_curvature = (slopes * torch.bmm(unit_rows(hidden_error), rows.transpose(1, 2)).square()).sum(2)
        # Each target's curvature along its row's summed step.
        along_step = torch.bmm(hidden, sums.directions(targets, steps).transpose(1, 2))
        curvature = (slopes * along_step.square()).sum(1)
    sums.add(matrix, targets, steps, curvature)
    return hidden_error, hidden_curvature, loss


def negative_sampling_step(
    hidden: torch.Tensor,
    words: torch.Tensor,
    output_vectors: torch.Tensor,
    noise: torch.Tensor,
    lr: float | torch.Tensor,
    damped: bool,
    hidden_weights: torch.Tensor | None = None,
    sums: RowSums | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """One batched negative-sampling step: predict `words (batch,)` from each of `hidden (batch, J, dim)` against
    the example's `noise (batch, negative)` noise words (those equal to the word are skipped, as word2vec.c does).
    `hidden_weights (batch, J)`: 0/1, which hidden vectors count (None: all). Updates `output_vectors` in place;
    returns `(hidden_error (batch, J, dim), hidden_curvature (batch, J) or None, loss sum)` (see
    `_binary_logistic_step`)."""
    targets = torch.cat([words.unsqueeze(1), noise], dim=1)
    labels = torch.zeros(targets.shape, dtype=hidden.dtype, device=hidden.device)
    labels[:, 0] = 1.0
    weights = (targets != words.unsqueeze(1)).to(hidden.dtype)
    weights[:, 0] = 1.0
    weights = _pair_weights(weights, hidden, hidden_weights)
    return _binary_logistic_step(hidden, output_vectors, targets, labels, weights, lr, damped, sums)


def hierarchical_softmax_step(
    hidden: torch.Tensor,
    words: torch.Tensor,
    node_vectors: torch.Tensor,
    codes: torch.Tensor,
    points: torch.Tensor,
    lengths: torch.Tensor,
    lr: float | torch.Tensor,
    damped: bool,
    hidden_weights: torch.Tensor | None = None,
    sums: RowSums | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """One batched hierarchical-softmax step along the Huffman path of each of `words (batch,)`: inner node
    `p_j` with bit `c_j` has label `1 - c_j`. `codes`, `points (vocab, depth)` and `lengths (vocab,)` are the
    tree; `hidden`, `hidden_weights` as in `negative_sampling_step`. Updates `node_vectors` in place; returns
    `(hidden_error (batch, J, dim), hidden_curvature (batch, J) or None, loss sum)` (see `_binary_logistic_step`)."""
    targets = points[words]
    labels = 1.0 - codes[words].to(hidden.dtype)
    depth = torch.arange(points.shape[1], device=hidden.device)
    weights = _pair_weights((depth < lengths[words].unsqueeze(1)).to(hidden.dtype), hidden, hidden_weights)
    return _binary_logistic_step(hidden, node_vectors, targets, labels, weights, lr, damped, sums)


def _pair_weights(target_weights: torch.Tensor, hidden: torch.Tensor, hidden_weights: torch.Tensor | None):
    """`(batch, J, T)` weight of each (hidden vector, target) pair from `target_weights (batch, T)` and
    `hidden_weights (batch, J)` (None: all 1)."""
    if hidden_weights is None:
        return target_weights.unsqueeze(1).expand(-1, hidden.shape[1], -1)
    return hidden_weights.unsqueeze(2) * target_weights.unsqueeze(1)


class BatchStep:
    """One batch of word2vec updates, on tensors of fixed shapes (see `step`).

    On CUDA the step runs compiled and replayed. `torch.compile` fuses its hundred-odd small ops into fewer kernels
    (each op's pass over `(batch, t, dim)` tensors is memory traffic), and a CUDA graph captured at the first batch
    replays them with one launch a batch, where eager execution launches every op from the host and is bound by
    its dispatch speed. The graph reads and updates the weight tensors given here in place, so they must stay the
    same tensors for the life of the step.

    Args:
        input_vectors: `(vocab, dim)` updated in place, as are `output_vectors` (negative sampling) and
            `node_vectors` (hierarchical softmax), each None when unused.
        tables: on the weights' device: `keep_probability`, `noise_keep`, `noise_alias` `(vocab,)` (read by
            `train_block`), and Huffman `codes`, `points` `(vocab, depth)` and `lengths (vocab,)` (used with
            `node_vectors`).
        negative: noise words per example (0: no negative sampling).
        damped: bound the summed update of each row that occurs several times in a batch by its curvature (see
            the module docstring); False: plain sums, which diverge on large batches.
        compiled: on CUDA, fuse the step with `torch.compile` (once per run: see `prepare`).
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
        self.sums = RowSums.for_matrices(*matrices)
        on_cuda = input_vectors.device.type == "cuda"
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
            context: `(batch, 2 * window)` the context window of each: CBOW's context words, or the other words of
                skip-gram's pairs.
            weights: `(batch, 2 * window)` 0/1, which context words count; a window with none is padding and
                changes nothing.
            noise: `(batch, negative)` noise words.
            lr: 0-d learning rate.
        """
        sums = self.sums
        context_vectors = gather_rows(self.input_vectors, context)
        if self.cbow:
            count = weights.sum(1, keepdim=True).clamp(min=1.0)
            hidden = torch.bmm(weights.unsqueeze(1), context_vectors)
            # word2vec.c and gensim apply the mean's error to every context word in full, and spread the sum's
            # error over them.
            hidden, coefficients = (
                (hidden / count.unsqueeze(2), weights) if self.cbow_mean else (hidden, weights / count)
            )
            hidden_weights = weights.amax(1, keepdim=True)
        else:
            hidden, hidden_weights = context_vectors, weights
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
                    hidden_weights,
                    sums,
                )
            )
        if self.negative > 0:
            objectives.append(
                negative_sampling_step(hidden, words, self.output_vectors, noise, lr, self.damped, hidden_weights, sums)
            )
        hidden_error = sum(error for error, _, _ in objectives)
        curvature = sum(curvature for _, curvature, _ in objectives) if self.damped else None
        if self.cbow:
            # Each context word of a window takes the window's error, and its whole curvature: they move h together.
            hidden_error = coefficients.unsqueeze(2) * hidden_error
            curvature = curvature * weights if self.damped else None
        sums.add(self.input_vectors, context, hidden_error, curvature)
        return sum(loss for _, _, loss in objectives)


def train_block(
    step: BatchStep,
    tokens: torch.Tensor,
    sentence_lengths: torch.Tensor,
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
    """Train on a block of sentences in batches of `batch_size` context windows (the last one padded); return
    `(effective_words, loss_sum, loss_terms)` as `word2vec_kernels.train_sentences` does (the loss sum as a 0-d
    tensor on the device).

    Args:
        step: the weights, objectives and tables (subsampling and noise from `step.tables`), which it updates
            batch by batch.
        tokens: `(n,)` int64 ids of the block's sentences, concatenated; `sentence_lengths (s,)` their lengths.
        alpha_start, alpha_end, words_before, total_words: the learning rate of a batch falls linearly from
            `alpha_start` to `alpha_end` as `words_before + (position of its first centre word)` goes to
            `total_words`.
    """
    device, tables = tokens.device, step.tables
    sentence = torch.repeat_interleave(torch.arange(sentence_lengths.shape[0], device=device), sentence_lengths)
    raw_position = subsample(tokens, tables["keep_probability"], generator).nonzero().squeeze(1)
    kept, kept_sentence = tokens[raw_position], sentence[raw_position]
    spans = window_spans(kept.shape[0], window, shrink_windows, generator, device)
    centre, context, mask = context_windows(kept_sentence, spans, window)
    loss_terms = centre.shape[0] if step.cbow else int(mask.sum())  # CBOW windows, or skip-gram pairs
    loss_sum = torch.zeros((), dtype=step.input_vectors.dtype, device=device)
    first_centres = raw_position[centre[::batch_size]].tolist()
    progress = [min(1.0, (words_before + first) / total_words) for first in first_centres]
    lrs = torch.tensor([alpha_start - (alpha_start - alpha_end) * p for p in progress], dtype=loss_sum.dtype)
    padding = len(first_centres) * batch_size - centre.shape[0]
    words = F.pad(kept[centre], (0, padding))
    context_words = F.pad(kept[context], (0, 0, 0, padding))
    weights = F.pad(mask.to(loss_sum.dtype), (0, 0, 0, padding))
    noise = draw_noise((words.shape[0], step.negative), tables["noise_keep"], tables["noise_alias"], generator)
    for batch, lr in enumerate(lrs.to(device)):
        rows = slice(batch * batch_size, (batch + 1) * batch_size)
        loss_sum += step(words[rows], context_words[rows], weights[rows], noise[rows], lr)
    return kept.shape[0], loss_sum, loss_terms
