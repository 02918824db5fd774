"""The numba kernel's updates equal gensim's, and one SGD step on the torch model's loss up to word2vec.c's σ table."""

import heapq

import numpy as np
import pytest
import torch

from hf_classic.training import word2vec_kernels
from hf_classic.training.word2vec_vocab import huffman_tree, keep_probabilities, noise_distribution
from hf_classic.word2vec import Word2VecConfig, Word2VecForPreTraining

ALPHA = 0.05


def sgd_tolerance(*vectors: np.ndarray) -> float:
    """How far the kernel's update of a row may be from SGD's: σ's table is within `SIGMOID_TABLE_ERROR` of σ
    (checked below), so each term's coefficient `g` is within `ALPHA` times that of SGD's."""
    return ALPHA * word2vec_kernels.SIGMOID_TABLE_ERROR * sum(float(np.abs(v).max()) for v in vectors) + 1e-6


def model_with_random_weights(objective: str, counts: np.ndarray) -> Word2VecForPreTraining:
    codes, points, lengths = huffman_tree(counts)
    config = Word2VecConfig(
        vocab_size=len(counts), vector_size=8, objective=objective, negative=3, max_code_length=codes.shape[1]
    )
    model = Word2VecForPreTraining(config)
    model.set_vocabulary_statistics(
        torch.from_numpy(noise_distribution(counts, 0.75).astype(np.float32)),
        torch.from_numpy(codes),
        torch.from_numpy(points),
        torch.from_numpy(lengths),
    )
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)
    return model


def torch_step(model, input_word, label, negatives):
    model.zero_grad()
    output = model(
        input_ids=torch.tensor([[input_word]]),
        labels=torch.tensor([label]),
        negative_ids=None if negatives is None else torch.tensor([negatives]),
    )
    output.loss.backward()
    with torch.no_grad():
        return {name: (parameter - ALPHA * parameter.grad).numpy() for name, parameter in model.named_parameters()}


def test_negative_sampling_update_equals_sgd_on_the_loss():
    counts = np.array([0, 0, 40, 30, 20, 10, 5, 1])
    model = model_with_random_weights("negative", counts)
    context, centre, noise = 3, 5, [2, 6, 7]
    expected = torch_step(model, context, centre, noise)
    vectors = model.word2vec.embeddings.weight.detach().numpy().copy()
    output = model.output_vectors.detach().numpy().copy()
    hidden, error = vectors[context].copy(), np.zeros(8, np.float32)
    loss = word2vec_kernels.ns_update(hidden, output, centre, np.float32(1), np.float32(ALPHA), error)
    for target in noise:
        loss += word2vec_kernels.ns_update(hidden, output, target, np.float32(0), np.float32(ALPHA), error)
    vectors[context] += error
    before = model.output_vectors.detach().numpy()
    tolerance = sgd_tolerance(*(before[word] for word in [centre, *noise]))
    np.testing.assert_allclose(vectors, expected["word2vec.embeddings.weight"], atol=tolerance)
    np.testing.assert_allclose(output, expected["output_vectors"], atol=sgd_tolerance(hidden))
    assert not np.allclose(output, before, atol=10 * sgd_tolerance(hidden))  # the updates are well above the bound
    reference = model(
        input_ids=torch.tensor([[context]]), labels=torch.tensor([centre]), negative_ids=torch.tensor([noise])
    ).loss.item()
    assert loss == pytest.approx(reference, abs=2e-3)  # the loss is read from a table of step 16/4096


def test_hierarchical_softmax_update_equals_sgd_on_the_loss():
    counts = np.array([0, 0, 40, 30, 20, 10, 5, 1])
    model = model_with_random_weights("hierarchical", counts)
    context, centre = 2, 7
    expected = torch_step(model, context, centre, None)
    vectors = model.word2vec.embeddings.weight.detach().numpy().copy()
    nodes = model.node_vectors.detach().numpy().copy()
    codes, points, lengths = huffman_tree(counts)
    hidden, error = vectors[context].copy(), np.zeros(8, np.float32)
    word2vec_kernels.hs_update(hidden, nodes, codes[centre], points[centre], lengths[centre], np.float32(ALPHA), error)
    vectors[context] += error
    before = model.node_vectors.detach().numpy()
    tolerance = sgd_tolerance(*(before[node] for node in points[centre, : lengths[centre]]))
    np.testing.assert_allclose(vectors, expected["word2vec.embeddings.weight"], atol=tolerance)
    np.testing.assert_allclose(nodes, expected["node_vectors"], atol=sgd_tolerance(hidden))


def test_sigmoid_is_read_from_word2vec_c_table_within_its_error():
    scores = np.linspace(-5.999, 5.999, 20001, dtype=np.float32)
    read = np.array([word2vec_kernels._sigmoid(score) for score in scores])
    error = read - 1.0 / (1.0 + np.exp(-scores.astype(np.float64)))
    # σ is read at a lower score, never above σ; σ(0) reads entry 498, σ(-6 + 498 * 0.012).
    assert error.min() >= -word2vec_kernels.SIGMOID_TABLE_ERROR and error.max() <= 0
    assert read[len(scores) // 2] == np.float32(1.0 / (1.0 + np.exp(0.024)))


@pytest.mark.parametrize("score", [-7.0, -5.99, -2.5, -0.3, 0.0, 0.004, 1.0, 3.7, 5.95, 6.5])
def test_negative_sampling_update_equals_gensims(score):
    """One CBOW step of gensim (predicting `a` from the context word `b`) against `ns_update` from the same weights.

    `b`'s vector `v` is the hidden layer; `a`'s output row `u` is set so that `u·v` is exactly `score`. The noise
    word is `a` itself (skipped, as in gensim) or `b`, whose zero output row leaves both rows unchanged.
    """
    gensim = pytest.importorskip("gensim")
    model = gensim.models.Word2Vec(
        vector_size=4,
        window=1,
        negative=1,
        sample=0,
        min_count=1,
        sg=0,
        workers=1,
        seed=1,
        alpha=ALPHA,
        min_alpha=ALPHA,
    )
    model.build_vocab([["a"] * 50 + ["b"]])
    a, b = model.wv.key_to_index["a"], model.wv.key_to_index["b"]
    v = np.array([1.0, 0.0, 0.25, -2.0], np.float32)
    u = np.array([score, 0.5, 0.0, 0.0], np.float32)
    model.wv.vectors[:] = 0.0
    model.syn1neg[:] = 0.0
    model.wv.vectors[b], model.syn1neg[a] = v, u
    model.train([["a", "b"]], total_examples=1, epochs=1)
    hidden, output, error = v.copy(), np.zeros((2, 4), np.float32), np.zeros(4, np.float32)
    output[0] = u
    word2vec_kernels.ns_update(hidden, output, 0, np.float32(1.0), np.float32(ALPHA), error)
    np.testing.assert_allclose(output[0], model.syn1neg[a], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(v + error, model.wv.vectors[b], rtol=1e-6, atol=1e-8)
    assert np.array_equal(output[0], u) == (abs(score) >= 6)  # saturated scores are skipped


def test_huffman_codes_are_prefix_free_and_optimal():
    rng = np.random.default_rng(0)
    counts = np.concatenate([[0, 0], np.sort(rng.integers(1, 1000, size=200))[::-1]])
    codes, points, lengths = huffman_tree(counts)
    words = range(2, len(counts))
    strings = {word: "".join(map(str, codes[word, : lengths[word]])) for word in words}
    assert len(set(strings.values())) == len(strings)
    ordered = sorted(strings.values())
    assert not any(b.startswith(a) for a, b in zip(ordered, ordered[1:], strict=False))
    heap = [int(c) for c in counts[2:]]
    heapq.heapify(heap)
    optimal = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        optimal += merged
        heapq.heappush(heap, merged)
    assert sum(int(counts[word]) * int(lengths[word]) for word in words) == optimal
    assert points[2:, 0].tolist() == [len(counts) - 2 - 2] * (len(counts) - 2)  # every path starts at the root
    assert points.max() < len(counts) - 2 - 1 + 1


def test_subsampling_keeps_rare_words_and_thins_frequent_ones():
    counts = np.array([0, 0, 100000, 1000, 10])
    keep = keep_probabilities(counts, 1e-3)
    threshold = 1e-3 * counts.sum()
    assert keep[0] == 0 and keep[4] == 1.0 and keep[2] < keep[3] < 1.0
    assert keep[2] == np.float32((np.sqrt(100000 / threshold) + 1) * threshold / 100000)
    assert np.all(keep_probabilities(counts, 0)[2:] == 1)


def test_noise_distribution_is_smoothed_unigram():
    noise = noise_distribution(np.array([0, 0, 16, 1]), 0.75)
    assert noise[:2].tolist() == [0, 0]
    np.testing.assert_allclose(noise[2:], np.array([8, 1]) / 9)


def test_alias_table_samples_the_noise_distribution():
    probabilities = noise_distribution(np.array([0, 0, 1000, 300, 50, 7, 1]), 0.75)
    keep, alias = word2vec_kernels.alias_table(probabilities)
    rebuilt = keep.astype(np.float64).copy()
    for slot, other in enumerate(alias):
        rebuilt[other] += 1.0 - keep[slot]
    np.testing.assert_allclose(rebuilt / len(keep), probabilities, atol=1e-6)


def test_kernel_threads_train_every_sentence():
    counts = np.array([0, 0, 5, 5, 5, 5])
    model = model_with_random_weights("negative", counts)
    tokens = np.array([2, 3, 4, 5, 2, 3, 4, 5], dtype=np.int32)
    starts = np.array([0, 4, 8], dtype=np.int64)
    vectors = model.word2vec.embeddings.weight.detach().numpy()
    before = vectors.copy()
    output = model.output_vectors.detach().numpy()
    codes, points, lengths = huffman_tree(counts)
    effective, loss, terms = word2vec_kernels.train_sentences(
        vectors,
        output,
        np.zeros((0, 8), np.float32),
        tokens,
        starts,
        np.ones(6, np.float32),
        *word2vec_kernels.alias_table(noise_distribution(counts, 0.75)),
        codes,
        points,
        lengths,
        False,
        True,
        2,
        False,
        3,
        0.025,
        0.0001,
        0,
        8,
        7,
        2,
    )
    assert effective == 8 and terms == 2 * (2 + 3 + 3 + 2) and loss > 0
    assert np.all(np.abs(vectors[2:] - before[2:]).sum(axis=1) > 0)
    assert np.array_equal(vectors[:2], before[:2])


@pytest.mark.parametrize("seed", [1, 2])
def test_one_thread_outside_the_pool_trains_as_one_thread_of_the_pool(seed):
    """Seeds 1 and 2 start the random state below and above 2**63 (a uint64 either way, run after run)."""
    counts = np.array([0, 0, 9, 7, 5, 3, 2])
    model = model_with_random_weights("negative", counts)
    rng = np.random.default_rng(0)
    tokens = rng.integers(2, 7, size=60).astype(np.int32)
    starts = np.array([0, 25, 40, 60], dtype=np.int64)
    codes, points, lengths = huffman_tree(counts)
    keep = np.full(7, 0.8, np.float32)
    options = (keep, *word2vec_kernels.alias_table(noise_distribution(counts, 0.75)), codes, points, lengths)
    options += (False, True, 3, True, 4, 0.025, 0.0001, 0, 180, seed)
    results = []
    for kernel, extra in ((word2vec_kernels.train_sentences, (1,)), (word2vec_kernels._train_threads, (1,))):
        vectors = model.word2vec.embeddings.weight.detach().numpy().copy()
        output = model.output_vectors.detach().numpy().copy()
        effective, loss, terms = kernel(vectors, output, np.zeros((0, 8), np.float32), tokens, starts, *options, *extra)
        results.append((vectors, output, int(effective), float(loss), int(terms)))
    (vectors, output, *numbers), (pool_vectors, pool_output, *pool_numbers) = results
    assert numbers == pool_numbers and numbers[0] < 60
    np.testing.assert_array_equal(vectors, pool_vectors)
    np.testing.assert_array_equal(output, pool_output)
