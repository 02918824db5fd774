"""The batched torch kernel: its example generator against plain loops, its updates against autograd."""

import shutil

import numpy as np
import pytest
import torch

from hf_classic.training import word2vec_kernels, word2vec_torch
from hf_classic.training.word2vec_vocab import huffman_tree, noise_distribution
from hf_classic.word2vec import Word2VecConfig, Word2VecForPreTraining


def random_block(seed: int, words: int = 60, window: int = 4):
    """Sentence index `(m,)` of a block of a few sentences, and random window spans `(m,)`."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 12, size=words)
    sentence = np.repeat(np.arange(len(lengths)), lengths)[:words]
    spans = rng.integers(1, window + 1, size=len(sentence))
    return torch.from_numpy(sentence), torch.from_numpy(spans)


@pytest.mark.parametrize("seed", range(5))
def test_context_windows_equal_the_plain_loop(seed):
    sentence, spans = random_block(seed)
    centre, context, mask = word2vec_torch.context_windows(sentence, spans, window=4)
    got = [
        (c, [p for p, m in zip(ps, ms, strict=True) if m])
        for c, ps, ms in zip(centre.tolist(), context.tolist(), mask.tolist(), strict=True)
    ]
    assert got == word2vec_torch.context_windows_reference(sentence.tolist(), spans.tolist())
    assert int(mask.sum()) > 50


def test_one_word_sentences_give_no_examples():
    sentence, spans = torch.arange(5), torch.full((5,), 3)
    assert word2vec_torch.context_windows(sentence, spans, window=3)[0].numel() == 0


def test_noise_words_follow_the_noise_distribution():
    from hf_classic.training.word2vec_kernels import alias_table

    counts = np.array([0, 0, 500, 200, 100, 50, 10, 1])
    noise = noise_distribution(counts, 0.75)
    keep, alias = alias_table(noise)
    generator = torch.Generator().manual_seed(0)
    draws = word2vec_torch.draw_noise((200_000,), torch.from_numpy(keep), torch.from_numpy(alias).long(), generator)
    frequencies = np.bincount(draws.numpy(), minlength=len(counts)) / draws.numel()
    np.testing.assert_allclose(frequencies, noise, atol=0.004)


def small_model(objective: str, vocab: int = 12, dim: int = 6) -> Word2VecForPreTraining:
    counts = np.array([0, 0] + list(range(vocab - 2, 0, -1)))
    codes, points, lengths = huffman_tree(counts)
    config = Word2VecConfig(vocab_size=vocab, vector_size=dim, objective=objective, max_code_length=codes.shape[1])
    torch.manual_seed(0)
    model = Word2VecForPreTraining(config)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0, 0.5)
    model.set_vocabulary_statistics(
        torch.from_numpy(noise_distribution(counts, 0.75)).float(),
        torch.from_numpy(codes),
        torch.from_numpy(points),
        torch.from_numpy(lengths),
    )
    return model


def assert_sgd_step(actual, expected, lr, *sides):
    """`actual` is SGD's `expected` step up to σ's table: each term's coefficient within `lr` times the table's
    error, times the largest entry of the vectors on the other side of the terms (`sides`, summed over terms)."""
    tolerance = lr * word2vec_kernels.SIGMOID_TABLE_ERROR * sum(side.abs().max().item() for side in sides)
    torch.testing.assert_close(actual, expected, atol=tolerance + 1e-6, rtol=0)


def pairs_loss(loss, hidden: torch.Tensor, words: torch.Tensor, *per_example: torch.Tensor) -> torch.Tensor:
    """The model's summed `loss` over every (hidden vector, word) pair of a batch: `hidden (batch, J, dim)`, each
    example's `words` and `per_example` tensors (its noise words) shared by its `J` hidden vectors."""
    pairs = hidden.shape[1]
    repeated = [x.repeat_interleave(pairs, dim=0) for x in (words, *per_example)]
    return loss(hidden.reshape(-1, hidden.shape[2]), *repeated).sum()


@pytest.mark.parametrize("damped", [False, True], ids=["plain", "damped"])
def test_negative_sampling_step_is_one_sgd_step_on_the_models_loss(damped):
    """Two hidden vectors an example (two skip-gram pairs of a window) share its word and noise words. Damping
    leaves a row with few terms as it is: its curvature is below 1."""
    model = small_model("negative")
    hidden = torch.randn(3, 2, 6, requires_grad=True)
    words = torch.tensor([2, 5, 7])
    noise = torch.tensor([[3, 4], [5, 9], [10, 11]])  # 5 = the word in row 1: skipped
    pairs_loss(model.negative_sampling_loss, hidden, words, noise).backward()
    lr = 0.1
    output = model.output_vectors.detach().clone()
    error, _, loss = word2vec_torch.negative_sampling_step(hidden.detach(), words, output, noise, lr, damped)
    before = model.output_vectors.detach()
    assert_sgd_step(output, before - lr * model.output_vectors.grad, lr, hidden, hidden)  # a row: 2 terms
    assert_sgd_step(error, -lr * hidden.grad, lr, *before[torch.cat([words.unsqueeze(1), noise], 1)].unbind(1))
    torch.testing.assert_close(loss, pairs_loss(model.negative_sampling_loss, hidden.detach(), words, noise))


@pytest.mark.parametrize("damped", [False, True], ids=["plain", "damped"])
def test_hierarchical_softmax_step_is_one_sgd_step_on_the_models_loss(damped):
    model = small_model("hierarchical")
    hidden = torch.randn(4, 2, 6, requires_grad=True)
    words = torch.tensor([2, 3, 8, 11])
    pairs_loss(model.hierarchical_softmax_loss, hidden, words).backward()
    lr = 0.1
    nodes = model.node_vectors.detach().clone()
    # Words 2 and 3 share the root and the nodes below it: damping must leave those few updates unscaled too.
    error, _, loss = word2vec_torch.hierarchical_softmax_step(
        hidden.detach(),
        words,
        nodes,
        model.huffman_codes,
        model.huffman_points.long(),
        model.huffman_code_lengths.long(),
        lr,
        damped,
    )
    before = model.node_vectors.detach()
    # The root: two words, two hidden vectors each.
    assert_sgd_step(nodes, before - lr * model.node_vectors.grad, lr, *[hidden] * 4)
    depth = int(model.huffman_code_lengths.max())
    assert_sgd_step(error, -lr * hidden.grad, lr, *[before] * depth)
    torch.testing.assert_close(loss, pairs_loss(model.hierarchical_softmax_loss, hidden.detach(), words))


def test_hidden_curvature_is_the_loss_curvature_along_the_hidden_error():
    model = small_model("negative")
    hidden = torch.randn(3, 2, 6)
    words = torch.tensor([2, 5, 7])
    noise = torch.tensor([[3, 4], [5, 9], [10, 11]])
    lr = 0.1
    output = model.output_vectors.detach().clone()
    error, curvature, _ = word2vec_torch.negative_sampling_step(hidden, words, output, noise, lr, damped=True)
    hessian = torch.autograd.functional.hessian(
        lambda h: pairs_loss(model.negative_sampling_loss, h, words, noise), hidden
    )
    blocks = torch.einsum("rpirpj->rpij", hessian)  # each hidden vector's own block (independent of the others)
    direction = error / error.norm(dim=2, keepdim=True)
    # σ'(s) is taken where the table reads σ, at most 0.036 below s: within 4% of the exact curvature.
    expected = lr * torch.einsum("rpi,rpij,rpj->rp", direction, blocks, direction)
    torch.testing.assert_close(curvature, expected, rtol=0.04, atol=1e-6)


@pytest.mark.parametrize("objective", ["negative", "hierarchical"])
def test_an_example_alone_gets_the_numba_kernels_update(objective):
    """Hidden vectors of growing norm give scores from near 0 to far beyond ±6 (saturated, skipped): the torch step
    reads σ as the numba kernel does."""
    model = small_model(objective, vocab=12, dim=6)
    generator = torch.Generator().manual_seed(1)
    lr = 0.05
    for scale in (0.5, 1.0, 2.0, 4.0):
        hidden = torch.randn(6, generator=generator) * scale
        matrix = (model.output_vectors if objective == "negative" else model.node_vectors).detach().clone()
        expected_matrix, expected_error = matrix.numpy().copy(), np.zeros(6, np.float32)
        if objective == "negative":
            word, noise = 4, [2, 7, 9]
            for target, label in [(word, 1.0), *[(n, 0.0) for n in noise]]:
                word2vec_kernels.ns_update(
                    hidden.numpy(), expected_matrix, target, np.float32(label), np.float32(lr), expected_error
                )
            error, _, _ = word2vec_torch.negative_sampling_step(
                hidden.view(1, 1, 6), torch.tensor([word]), matrix, torch.tensor([noise]), lr, damped=False
            )
        else:
            word = 9
            codes, points = model.huffman_codes.numpy(), model.huffman_points.numpy()
            length = int(model.huffman_code_lengths[word])
            word2vec_kernels.hs_update(
                hidden.numpy(), expected_matrix, codes[word], points[word], length, np.float32(lr), expected_error
            )
            error, _, _ = word2vec_torch.hierarchical_softmax_step(
                hidden.view(1, 1, 6),
                torch.tensor([word]),
                matrix,
                model.huffman_codes,
                model.huffman_points.long(),
                model.huffman_code_lengths.long(),
                lr,
                damped=False,
            )
        torch.testing.assert_close(matrix, torch.from_numpy(expected_matrix), atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(error[0, 0], torch.from_numpy(expected_error), atol=1e-6, rtol=1e-5)


def test_damping_scales_a_rows_summed_step_by_its_summed_curvature():
    sums = word2vec_torch.RowSums(3, 2, "cpu")
    matrix = torch.zeros(3, 2)
    rows = torch.tensor([[0] * 10 + [1, 1, 2]])
    sums.add(matrix, rows, torch.ones(1, 13, 2), torch.full((1, 13), 0.5))
    # Row 0: 10 terms of curvature 5 in all, scaled by 1/5; rows 1 and 2 (curvature 1 and 0.5) in full.
    torch.testing.assert_close(matrix, torch.tensor([[2.0, 2.0], [2.0, 2.0], [1.0, 1.0]]))
    assert not sums.curvature.any()


def test_row_sums_give_the_direction_of_each_rows_summed_step():
    """Rows in any order, repeated or not: the sums a loop makes, and the scratch space zero again after."""
    generator = torch.Generator().manual_seed(0)
    rows = torch.randint(50, (20, 6), generator=generator)
    terms = torch.randn(20, 6, 7, generator=generator)
    expected = torch.zeros(50, 7)
    for row, term in zip(rows.reshape(-1).tolist(), terms.reshape(-1, 7), strict=True):
        expected[row] += term
    sums = word2vec_torch.RowSums.for_matrices(torch.zeros(50, 7), torch.zeros(30, 7))
    directions = sums.directions(rows, terms)
    torch.testing.assert_close(directions, (expected / expected.norm(dim=1, keepdim=True))[rows])
    assert not sums.steps.any()
    matrix = torch.zeros(50, 7)
    sums.add(matrix, rows, terms, None)
    torch.testing.assert_close(matrix, expected)


def test_a_hammered_output_row_takes_one_newton_step_along_its_summed_step():
    """One output row, the noise word of 400 examples with different hidden vectors: its step is the summed
    gradient step scaled to the minimum of the summed loss's quadratic model along it (autograd's Hessian)."""
    generator = torch.Generator().manual_seed(3)
    count, dim, lr = 400, 8, 0.05
    hidden = torch.randn(count, 1, dim, generator=generator) + 1.0
    words = torch.ones(count, dtype=torch.int64)
    noise = torch.zeros(count, 1, dtype=torch.int64)
    start = torch.randn(2, dim, generator=generator) * 0.1
    output = start.clone()
    word2vec_torch.negative_sampling_step(hidden, words, output, noise, lr, damped=True)

    def summed_loss(row):
        return torch.nn.functional.softplus(hidden.squeeze(1) @ row).sum()  # row 0: every example's noise word

    row = start[0].clone().requires_grad_(True)
    step = -lr * torch.autograd.grad(summed_loss(row), row)[0]
    direction = step / step.norm()
    curvature = lr * direction @ torch.autograd.functional.hessian(summed_loss, start[0]) @ direction
    assert curvature > 5  # hammered: the plain sum would overshoot
    # σ' is taken where the table reads σ, at most 0.036 below s: within 4% of the exact curvature.
    torch.testing.assert_close(output[0] - start[0], step / curvature, rtol=0.04, atol=1e-6)


def test_damped_step_lowers_the_loss_that_a_plain_sum_of_stale_updates_raises():
    """Two rows, each the predicted word of 500 examples and the noise word of 500 others, all with the same
    hidden vector: the summed loss is least where the scores are 0. From scores of 2, the plain sum of the 1000
    updates of each row overshoots far past 0; the damped step stays within the rows' curvature."""
    dim, count, lr = 8, 500, 0.025
    hidden = torch.full((2 * count, 1, dim), 0.5)
    words = torch.tensor([0] * count + [1] * count)
    noise = torch.tensor([[1]] * count + [[0]] * count)
    start = torch.full((2, dim), 2.0 / (0.5 * dim))  # h·u = 2

    def summed_loss(output):
        scores = hidden.squeeze(1) @ output.T
        positive = scores.gather(1, words.unsqueeze(1))
        negative = scores.gather(1, noise)
        return (torch.nn.functional.softplus(-positive) + torch.nn.functional.softplus(negative)).sum()

    results = {}
    for damped in (False, True):
        output = start.clone()
        word2vec_torch.negative_sampling_step(hidden, words, output, noise, lr, damped)
        results[damped] = summed_loss(output)
    before = summed_loss(start)
    assert results[True] < before < results[False]


def test_kernel_name_tells_the_device():
    assert word2vec_torch.kernel_name(torch.device("cpu")) == "torch-cpu"
    assert word2vec_torch.kernel_name("cuda:1") == "torch-cuda"


def block_setup(model, vocab: int = 12):
    """Tables of `model`'s vocabulary for `train_block` (no subsampling, uniform noise) and a block of 10 sentences."""
    tokens = torch.from_numpy(np.random.default_rng(0).integers(2, vocab, size=300))
    tables = {
        "keep_probability": torch.ones(vocab),
        "noise_keep": torch.ones(vocab),
        "noise_alias": torch.arange(vocab),
        "codes": model.huffman_codes,
        "points": model.huffman_points.long(),
        "lengths": model.huffman_code_lengths.long(),
    }
    return tokens, torch.tensor([30] * 10), tables


@pytest.mark.parametrize("batch_size", [1, 7, 64])
@pytest.mark.parametrize("architecture", ["skipgram", "cbow"])
def test_a_block_trains_in_batches_of_any_size(architecture, batch_size):
    """The last batch padded (batches of 1, 7 and 64 windows): every word kept (no subsampling here), and as many
    loss terms as the block has skip-gram pairs or CBOW windows."""
    model = small_model("both", vocab=12, dim=6)
    tokens, lengths, tables = block_setup(model)
    weights = [weight.detach().clone() for weight in model.parameters()]
    step = word2vec_torch.BatchStep(
        *weights, tables, cbow=architecture == "cbow", cbow_mean=True, negative=3, damped=True
    )
    generator = torch.Generator().manual_seed(0)
    effective, loss_sum, terms = word2vec_torch.train_block(
        step,
        tokens,
        lengths,
        window=3,
        shrink_windows=False,
        alpha_start=0.5,
        alpha_end=0.5,
        words_before=0,
        total_words=300,
        generator=generator,
        batch_size=batch_size,
    )
    sentence_of_word = [sentence for sentence in range(10) for _ in range(30)]
    windows = [context for _, context in word2vec_torch.context_windows_reference(sentence_of_word, [3] * 300)]
    assert effective == 300
    assert terms == (len(windows) if architecture == "cbow" else sum(map(len, windows)))
    assert torch.isfinite(loss_sum) and loss_sum > 0
    for before, after in zip(model.parameters(), weights, strict=True):
        assert torch.isfinite(after).all() and not torch.equal(before, after)


def small_step(device, cbow: bool, damped: bool = True) -> tuple[word2vec_torch.BatchStep, list[torch.Tensor]]:
    """A `BatchStep` on copies of a small model's weights (objective "both") on `device`, and those weights."""
    model = small_model("both", vocab=12, dim=6)
    _, _, tables = block_setup(model)
    weights = [
        model.word2vec.embeddings.weight.detach().to(device) + 0.1,
        model.output_vectors.detach().to(device),
        model.node_vectors.detach().to(device),
    ]
    tables = {name: table.to(device) for name, table in tables.items()}
    step = word2vec_torch.BatchStep(*weights, tables, cbow=cbow, cbow_mean=True, negative=3, damped=damped)
    return step, weights


def random_batch(batch: int, t: int, device="cpu", seed: int = 0):
    """`(words, context, weights, noise, lr)` of a batch of `batch` examples with `t` context words each."""
    generator = torch.Generator().manual_seed(seed)
    words = torch.randint(2, 12, (batch,), generator=generator)
    context = torch.randint(2, 12, (batch, t), generator=generator)
    weights = (torch.rand(batch, t, generator=generator) < 0.7).float()
    weights[:, 0] = 1.0
    noise = torch.randint(2, 12, (batch, 3), generator=generator)
    return [x.to(device) for x in (words, context, weights, noise, torch.tensor(0.3))]


@pytest.mark.parametrize("cbow", [False, True])
def test_padding_examples_change_nothing(cbow):
    """A batch padded with examples that have no context word updates the weights as the batch alone does."""
    t = 6
    words, context, weights, noise, lr = random_batch(9, t)
    padded = [
        torch.cat([words, torch.zeros(5, dtype=torch.int64)]),
        torch.cat([context, torch.full((5, t), 3)]),
        torch.cat([weights, torch.zeros(5, t)]),
        torch.cat([noise, torch.full((5, 3), 4)]),
        lr,
    ]
    alone, alone_weights = small_step("cpu", cbow)
    with_padding, padded_weights = small_step("cpu", cbow)
    loss = alone(words, context, weights, noise, lr)
    torch.testing.assert_close(with_padding(*padded), loss)
    for expected, got in zip(alone_weights, padded_weights, strict=True):
        torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("cbow", [False, True])
def test_the_accelerator_step_has_fixed_shapes_and_never_waits_for_the_device(cbow):
    """On the meta device (shapes, no data) any op whose output shape depends on values (`unique`, `nonzero`, a
    boolean mask) or that reads a value on the host (`item`, `tolist`) raises: the step has none, as capturing it
    in a CUDA graph requires."""
    step, _ = small_step("meta", cbow)
    loss = step(*random_batch(16, 6, device="meta"))
    assert loss.shape == () and loss.device.type == "meta"
    with pytest.raises(NotImplementedError):
        torch.unique(torch.empty(16, dtype=torch.int64, device="meta"))


def test_a_skipgram_windows_step_is_the_sum_of_its_pairs_steps():
    """A skip-gram example is a centre word with its window: each context word predicts the centre word against
    the window's noise words. Undamped, a batch of windows updates the weights as a batch of their pairs, one an
    example, with the same noise words does: the same updates from the same stale weights, summed."""
    words, context, weights, noise, lr = random_batch(9, 6)
    windows, window_weights = small_step("cpu", cbow=False, damped=False)
    pairs, pair_weights = small_step("cpu", cbow=False, damped=False)
    example, position = weights.nonzero(as_tuple=True)
    loss = windows(words, context, weights, noise, lr)
    pairs_loss = pairs(
        words[example], context[example, position].unsqueeze(1), torch.ones(len(example), 1), noise[example], lr
    )
    torch.testing.assert_close(pairs_loss, loss)
    for expected, got in zip(pair_weights, window_weights, strict=True):
        torch.testing.assert_close(got, expected)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("cc") is None, reason="torch.compile on the CPU needs a C++ compiler")
@pytest.mark.parametrize("cbow", [False, True])
def test_the_compiled_step_updates_as_the_eager_one_does(cbow):
    """`torch.compile` (what runs on CUDA) takes the whole step as one graph and computes what eager ops do; on
    the CPU here (C++ instead of Triton code, from the same graph)."""
    t = 6
    batches = [random_batch(32, t, seed=seed) for seed in range(3)]
    results = []
    for compiled in (False, True):
        step, weights = small_step("cpu", cbow)
        run = torch.compile(step.step, fullgraph=True, dynamic=False) if compiled else step.step
        results.append(([float(run(*batch)) for batch in batches], weights))
    (eager_losses, eager_weights), (compiled_losses, compiled_weights) = results
    assert compiled_losses == pytest.approx(eager_losses, rel=1e-5)
    for expected, got in zip(eager_weights, compiled_weights, strict=True):
        torch.testing.assert_close(got, expected)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("cbow", [False, True])
def test_a_replayed_cuda_graph_trains_as_eager_steps_do(cbow):
    """The CUDA path (compiled, captured once, replayed) against the same step's ops launched one by one."""
    t = 6
    batches = [random_batch(32, t, device="cuda", seed=seed) for seed in range(4)]
    results = []
    for fast in (False, True):
        step, weights = small_step("cuda", cbow)
        if not fast:
            step = word2vec_torch.BatchStep(
                *weights, step.tables, cbow=cbow, cbow_mean=True, negative=3, damped=True, compiled=False, graphs=False
            )
        losses = [float(step(*batch)) for batch in batches]
        results.append((losses, weights))
    (eager_losses, eager_weights), (graph_losses, graph_weights) = results
    assert graph_losses == pytest.approx(eager_losses, rel=1e-5)
    for expected, got in zip(eager_weights, graph_weights, strict=True):
        torch.testing.assert_close(got, expected)
