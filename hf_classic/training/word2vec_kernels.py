"""The word2vec hot loop: Hogwild SGD over sentences in a numba kernel, one thread per core.

This is the `word2vec_inner` of hf_classic: `train_sentences` runs skip-gram or CBOW with negative
sampling and/or hierarchical softmax directly on the weight matrices (numpy views of the model's
tensors), the way word2vec.c and gensim do. Threads share the weights without locks (Hogwild): each takes
a contiguous block of sentences and keeps its random state and counters in locals (no shared cache lines).
Rows are prefetched a step ahead of their update (noise words, the next context row, the next word to
predict): on a 16,000-word vocabulary, one thread trains 1.2-1.4x faster than without, with the same results.
`ns_update` and `hs_update` are the per-example updates: one SGD step on `Word2VecForPreTraining`'s loss,
with σ read from word2vec.c's table as gensim reads it (`SIGMOID_TABLE`); the tests check them against
torch autograd and against gensim's own updates.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

KERNEL_NAME = "numba-hogwild"
# σ is read as word2vec.c and gensim read it: from a table of σ(-6 + 12 i / 1000), i < 1000, indexed by
# `(x + 6) * (1000 / 6 / 2)` in integer arithmetic, that is 83 entries per unit where the table has 83.3. So σ(x) is
# read at about x - 0.004 (x + 6) - 0.006 (σ(0) reads 0.494), and (as gensim does) an update whose score is beyond
# ±6 is skipped. With the exact σ, CBOW's vectors had word similarities below gensim's (Gutenberg, dim 100, 8 seeds:
# MEN Spearman -0.004, t = -3.6; WordSim -0.014); with this table the two agree (MEN -0.0007, t = -0.5).
SCORE_LIMIT = 6
SIGMOID_TABLE_SIZE = 1000
SIGMOID_TABLE_STEP = 2 * SCORE_LIMIT / SIGMOID_TABLE_SIZE
SIGMOID_TABLE = (1.0 / (1.0 + np.exp(SCORE_LIMIT - np.arange(SIGMOID_TABLE_SIZE) * SIGMOID_TABLE_STEP))).astype(
    np.float32
)
SIGMOID_INDEX_SCALE = np.float32(SIGMOID_TABLE_SIZE // SCORE_LIMIT // 2)
# The table reads σ below σ by at most this (0.0091 near x = 0.22), never above it.
SIGMOID_TABLE_ERROR = 0.0092
# -log σ(x), for the reported loss only: 4096 entries on [-8, 8), each taken at the middle of its interval.
LOSS_LIMIT = 8.0
_LOSS_GRID = -LOSS_LIMIT + (np.arange(4096) + 0.5) * (2 * LOSS_LIMIT / 4096)
LOSS_TABLE = np.logaddexp(0.0, -_LOSS_GRID).astype(np.float32)
_LOSS_INDEX_SCALE = np.float32(4096 / (2 * LOSS_LIMIT))


@intrinsic
def _prefetch(typingctx, matrix, row, column):
    """Ask the CPU to bring `matrix[row, column]`'s cache line in for writing (LLVM's `prefetch`, a hint that
    never faults): the rows a kernel is about to update sit anywhere in the weights, and a cache miss on each
    costs about as much as the update itself."""

    def codegen(context, builder, signature, args):
        matrix_type = signature.args[0]
        array = context.make_array(matrix_type)(context, builder, args[0])
        indices = [
            context.cast(builder, value, kind, types.intp)
            for value, kind in zip(args[1:], signature.args[1:], strict=True)
        ]
        pointer = cgutils.get_item_pointer(context, builder, matrix_type, array, indices, wraparound=False)
        # Recent llvmlite (0.50) gives opaque pointers; older ones (0.43, under numba 0.60) typed ones and i8*.
        if getattr(pointer.type, "is_opaque", False):
            name = "llvm.prefetch.p0"
        else:
            pointer = builder.bitcast(pointer, ir.IntType(8).as_pointer())
            name = "llvm.prefetch.p0i8"
        int32 = ir.IntType(32)
        function_type = ir.FunctionType(ir.VoidType(), [pointer.type, int32, int32, int32])
        function = cgutils.get_or_insert_function(builder.module, function_type, name)
        builder.call(function, [pointer, int32(1), int32(3), int32(1)])
        return context.get_dummy_value()

    return types.void(matrix, row, column), codegen


@numba.njit(inline="always")
def _prefetch_row(matrix, row):
    """Prefetch every cache line of a float32 row (16 floats a 64-byte line)."""
    for k in range(0, matrix.shape[1], 16):
        _prefetch(matrix, row, k)


@numba.njit(inline="always")
def _next_random(state):
    """word2vec.c's linear congruential generator."""
    return state * np.uint64(25214903917) + np.uint64(11)


@numba.njit(inline="always")
def _saturated(x):
    """Whether score `x` is beyond ±SCORE_LIMIT, where word2vec.c and gensim skip the update."""
    return x <= -SCORE_LIMIT or x >= SCORE_LIMIT


@numba.njit(inline="always")
def _sigmoid(x):
    """σ(x) from word2vec.c's table, for `|x| < SCORE_LIMIT`."""
    return SIGMOID_TABLE[int((x + SCORE_LIMIT) * SIGMOID_INDEX_SCALE)]


@numba.njit(inline="always")
def _loss(x):
    """-log σ(x) from the table (0 above LOSS_LIMIT, -x below -LOSS_LIMIT)."""
    if x <= -LOSS_LIMIT:
        return -x
    if x >= LOSS_LIMIT:
        return np.float32(0.0)
    return LOSS_TABLE[int((x + LOSS_LIMIT) * _LOSS_INDEX_SCALE)]


@numba.njit(fastmath=True, cache=True)
def ns_update(hidden, output_vectors, target, label, alpha, hidden_error):
    """One negative-sampling term: `g = (label - σ(h·u_t)) α`; `hidden_error += g u_t` and `u_t += g h` (none when
    `h·u_t` is saturated). `label` is 1 for the predicted word and 0 for a noise word. Returns the term's loss
    `-log σ(±h·u_t)`.
    """
    row = output_vectors[target]
    dot = np.float32(0.0)
    for k in range(hidden.shape[0]):
        dot += hidden[k] * row[k]
    signed = dot if label > 0 else -dot
    if _saturated(dot):
        return _loss(signed)
    gradient = (label - _sigmoid(dot)) * alpha
    for k in range(hidden.shape[0]):
        hidden_error[k] += gradient * row[k]
        row[k] += gradient * hidden[k]
    return _loss(signed)


@numba.njit(fastmath=True, cache=True)
def hs_update(hidden, node_vectors, codes, points, length, alpha, hidden_error):
    """Hierarchical softmax along one Huffman path: for inner node `p_j` with bit `c_j`,
    `g = (1 - c_j - σ(h·v_p)) α`, `hidden_error += g v_p`, `v_p += g h` (none when `h·v_p` is saturated). Returns
    the path's loss."""
    loss = 0.0
    for j in range(length):
        row = node_vectors[points[j]]
        dot = np.float32(0.0)
        for k in range(hidden.shape[0]):
            dot += hidden[k] * row[k]
        loss += _loss(dot if codes[j] == 0 else -dot)
        if _saturated(dot):
            continue
        gradient = (np.float32(1.0) - codes[j] - _sigmoid(dot)) * alpha
        for k in range(hidden.shape[0]):
            hidden_error[k] += gradient * row[k]
            row[k] += gradient * hidden[k]
    return loss


@numba.njit(cache=True)
def alias_table(probabilities):
    """Walker's alias table of a distribution `(n,)`: `(keep (n,) float32, alias (n,) int32)`.

    Drawing `i` uniformly, then keeping it with probability `keep[i]` or else taking `alias[i]`, samples the
    distribution exactly in O(1) (Vose's construction).
    """
    n = len(probabilities)
    scaled = probabilities * n / probabilities.sum()
    keep = np.ones(n, dtype=np.float32)
    alias = np.arange(n).astype(np.int32)
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    n_small = n_large = 0
    for i in range(n):
        if scaled[i] < 1.0:
            small[n_small] = i
            n_small += 1
        else:
            large[n_large] = i
            n_large += 1
    while n_small > 0 and n_large > 0:
        n_small -= 1
        n_large -= 1
        low, high = small[n_small], large[n_large]
        keep[low] = scaled[low]
        alias[low] = high
        scaled[high] = scaled[high] + scaled[low] - 1.0
        if scaled[high] < 1.0:
            small[n_small] = high
            n_small += 1
        else:
            large[n_large] = high
            n_large += 1
    return keep, alias


@numba.njit(inline="always")
def _draw_noise(noise_probability, noise_alias, state):
    """A noise word from the alias table. The LCG state is first mixed (a 64-bit finaliser), because an LCG's
    low bits depend only on earlier low bits: the slot comes from the high 32 bits, the coin from 24 lower ones."""
    mixed = state ^ (state >> np.uint64(33))
    mixed = mixed * np.uint64(0xFF51AFD7ED558CCD)
    mixed = mixed ^ (mixed >> np.uint64(33))
    slot = np.int64(((mixed >> np.uint64(32)) * np.uint64(noise_probability.shape[0])) >> np.uint64(32))
    coin = np.float32(((mixed >> np.uint64(8)) & np.uint64(0xFFFFFF)) * (1.0 / 16777216.0))
    return slot if coin < noise_probability[slot] else np.int64(noise_alias[slot])


@numba.njit(fastmath=True, cache=True)
def _predict(hidden, word, output_vectors, node_vectors, tables, negative, alpha, hidden_error, state, noise):
    """All updates for predicting `word` from `hidden`; returns `(loss, random_state)`.

    `tables` is `(noise_probability, noise_alias, codes, points, lengths)`: the noise alias table and the
    Huffman tree. The noise words are drawn first, into `noise (negative,)`, so that their rows load while
    the predicted word's update runs (the draws and the updates are word2vec's, in its order).
    """
    noise_probability, noise_alias, codes, points, lengths = tables
    loss = 0.0
    if node_vectors.shape[0] > 0:
        loss += hs_update(hidden, node_vectors, codes[word], points[word], lengths[word], alpha, hidden_error)
    if negative > 0:
        for n in range(negative):
            state = _next_random(state)
            noise[n] = _draw_noise(noise_probability, noise_alias, state)
            _prefetch_row(output_vectors, noise[n])
        loss += ns_update(hidden, output_vectors, word, np.float32(1.0), alpha, hidden_error)
        for n in range(negative):
            if noise[n] != word:
                loss += ns_update(hidden, output_vectors, noise[n], np.float32(0.0), alpha, hidden_error)
    return loss, state


@numba.njit(fastmath=True, nogil=True, cache=True)
def _train_range(
    input_vectors,
    output_vectors,
    node_vectors,
    tokens,
    sentence_starts,
    first,
    last,
    keep_probability,
    noise_probability,
    noise_alias,
    codes,
    points,
    lengths,
    cbow,
    cbow_mean,
    window,
    shrink_windows,
    negative,
    alpha_start,
    alpha_end,
    words_before,
    total_words,
    state,
    longest,
):
    """Train on sentences `first..last-1`; returns `(effective_words, loss_sum, loss_terms)`."""
    tables = (noise_probability, noise_alias, codes, points, lengths)
    dim = input_vectors.shape[1]
    kept = np.empty(longest, dtype=np.int32)
    hidden = np.empty(dim, dtype=np.float32)
    hidden_error = np.empty(dim, dtype=np.float32)
    noise = np.empty(max(negative, 1), dtype=np.int64)
    effective = 0
    loss_sum = 0.0
    loss_terms = 0
    for s in range(first, last):
        start, stop = sentence_starts[s], sentence_starts[s + 1]
        progress = min(1.0, (words_before + start) / total_words)
        alpha = np.float32(alpha_start - (alpha_start - alpha_end) * progress)
        size = 0
        for position in range(start, stop):
            word = tokens[position]
            if keep_probability[word] < 1.0:
                state = _next_random(state)
                if keep_probability[word] < (state >> np.uint64(40)) * (1.0 / 16777216.0):
                    continue
            kept[size] = word
            size += 1
        effective += size
        for i in range(size):
            reduced = 0
            if shrink_windows:
                state = _next_random(state)
                reduced = (state >> np.uint64(16)) % np.uint64(window)
            span = window - reduced
            low, high = max(0, i - span), min(size, i + span + 1)
            word = kept[i]
            if i + 1 < size and output_vectors.shape[0] > 0:
                _prefetch_row(output_vectors, kept[i + 1])  # the next word to predict
            if cbow:
                for k in range(dim):
                    hidden[k] = 0.0
                count = 0
                for j in range(low, high):
                    if j != i:
                        row = input_vectors[kept[j]]
                        for k in range(dim):
                            hidden[k] += row[k]
                        count += 1
                if count == 0:
                    continue
                # word2vec.c and gensim apply the mean's error to every context word in full, and spread the
                # sum's error over them; `scale` does both.
                scale = np.float32(1.0 / count)
                if cbow_mean:
                    for k in range(dim):
                        hidden[k] *= scale
                    scale = np.float32(1.0)
                for k in range(dim):
                    hidden_error[k] = 0.0
                loss, state = _predict(
                    hidden, word, output_vectors, node_vectors, tables, negative, alpha, hidden_error, state, noise
                )
                loss_sum += loss
                loss_terms += 1
                for j in range(low, high):
                    if j != i:
                        row = input_vectors[kept[j]]
                        for k in range(dim):
                            row[k] += scale * hidden_error[k]
            else:
                for j in range(low, high):
                    if j == i:
                        continue
                    # The context row is the hidden layer itself (as in word2vec.c and gensim): `_predict` only
                    # reads it, and its update is added once the prediction is done.
                    row = input_vectors[kept[j]]
                    if j + 1 < high:
                        _prefetch_row(input_vectors, kept[j + 1])  # the next context row
                    for k in range(dim):
                        hidden_error[k] = 0.0
                    loss, state = _predict(
                        row, word, output_vectors, node_vectors, tables, negative, alpha, hidden_error, state, noise
                    )
                    loss_sum += loss
                    loss_terms += 1
                    for k in range(dim):
                        row[k] += hidden_error[k]
    return effective, loss_sum, loss_terms


@numba.njit(inline="always")
def _thread_state(seed, thread):
    """The random state a thread starts from."""
    return np.uint64(seed) * np.uint64(6364136223846793005) + np.uint64(thread + 1) * np.uint64(1442695040888963407)


@numba.njit(cache=True)
def _longest(sentence_starts):
    longest = 0
    for s in range(len(sentence_starts) - 1):
        longest = max(longest, sentence_starts[s + 1] - sentence_starts[s])
    return longest


def train_sentences(*arguments):
    """`train_sentences(input_vectors, output_vectors, node_vectors, tokens, sentence_starts, keep_probability,
    noise_probability, noise_alias, codes, points, lengths, cbow, cbow_mean, window, shrink_windows, negative,
    alpha_start, alpha_end, words_before, total_words, seed, n_threads)`.

    Train on a block of sentences with `n_threads` Hogwild threads; return `(effective_words, loss_sum,
    loss_terms)` (words kept after subsampling, and the summed loss over that many predictions).

    Args:
        input_vectors: `(vocab, dim)` float32, updated in place (as are the two below).
        output_vectors: `(vocab, dim)` negative-sampling weights, or `(0, dim)` when unused.
        node_vectors: `(vocab, dim)` hierarchical-softmax weights, or `(0, dim)` when unused.
        tokens: `(n,)` int32 ids of all sentences, concatenated; `sentence_starts (s + 1,)` their bounds.
        keep_probability: `(vocab,)` subsampling keep probability; noise_probability, noise_alias: `(vocab,)` the
            alias table of the noise distribution (`alias_table`); codes, points `(vocab, depth)`, lengths
            `(vocab,)`: the Huffman tree.
        alpha_start, alpha_end, words_before, total_words: the learning rate falls linearly from
            `alpha_start` to `alpha_end` as `words_before + (words before this sentence)` goes to `total_words`.

    One thread runs on the calling thread, outside numba's thread pool: an idle OpenMP pool keeps spinning
    after a parallel region, which starves whatever shares the cores (the other processes of an `accelerate
    launch` and their all-reduces, which took four times as long beside it).
    """
    *arrays_and_options, seed, n_threads = arguments
    if n_threads > 1:
        return _train_threads(*arguments)
    sentence_starts = arrays_and_options[4]
    return _train_range(
        *arrays_and_options[:5],
        0,
        len(sentence_starts) - 1,
        *arrays_and_options[5:],
        np.uint64(_thread_state(seed, 0)),
        _longest(sentence_starts),
    )


@numba.njit(parallel=True, nogil=True, cache=True)
def _train_threads(
    input_vectors,
    output_vectors,
    node_vectors,
    tokens,
    sentence_starts,
    keep_probability,
    noise_probability,
    noise_alias,
    codes,
    points,
    lengths,
    cbow,
    cbow_mean,
    window,
    shrink_windows,
    negative,
    alpha_start,
    alpha_end,
    words_before,
    total_words,
    seed,
    n_threads,
):
    """`train_sentences` on `n_threads` threads of numba's pool, each on a contiguous share of the sentences."""
    n_sentences = len(sentence_starts) - 1
    longest = _longest(sentence_starts)
    effective = np.zeros(n_threads, dtype=np.int64)
    loss_sum = np.zeros(n_threads, dtype=np.float64)
    loss_terms = np.zeros(n_threads, dtype=np.int64)
    for thread in numba.prange(n_threads):
        state = _thread_state(seed, thread)
        effective[thread], loss_sum[thread], loss_terms[thread] = _train_range(
            input_vectors,
            output_vectors,
            node_vectors,
            tokens,
            sentence_starts,
            thread * n_sentences // n_threads,
            (thread + 1) * n_sentences // n_threads,
            keep_probability,
            noise_probability,
            noise_alias,
            codes,
            points,
            lengths,
            cbow,
            cbow_mean,
            window,
            shrink_windows,
            negative,
            alpha_start,
            alpha_end,
            words_before,
            total_words,
            state,
            longest,
        )
    return effective.sum(), loss_sum.sum(), loss_terms.sum()
