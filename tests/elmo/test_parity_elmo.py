"""ElmoModel converted from bilm-tf files equals AllenNLP's `_ElmoBiLm` and `Elmo` on the `elmo_small` fixture.

The fixture exercises cell and projection clipping (16.6 % and 7.7 % of the values), a token cut inside a UTF-8
character, non-ASCII words and sentences of 1 to 25 words. Tolerance 1e-5 in float32.
"""

import numpy as np
import pytest
import torch
from torch.nn import functional as F

TOLERANCE = 1e-5


def run(model, tokenizer, sentences, **kwargs):
    encoded = tokenizer(sentences, is_split_into_words=True, return_tensors="pt")
    with torch.no_grad():
        return model(**encoded, output_hidden_states=True, **kwargs)


def max_difference(ours: torch.Tensor, theirs: np.ndarray) -> float:
    assert tuple(ours.shape) == theirs.shape
    return float(np.abs(ours.numpy() - theirs).max())


@pytest.mark.parametrize("layer", [0, 1, 2])
def test_each_layer_equals_allennlp(converted, sentences, expected, layer):
    model, tokenizer = converted
    output = run(model, tokenizer, sentences)
    assert len(output.hidden_states) == 3
    assert max_difference(output.hidden_states[layer], expected[f"layer_{layer}"]) < TOLERANCE


@pytest.mark.parametrize("layer", [0, 1, 2])
def test_layers_with_sentence_boundaries_equal_allennlp_bilm(converted, sentences, expected, layer):
    model, tokenizer = converted
    encoded = tokenizer(sentences, is_split_into_words=True, return_tensors="pt")
    with torch.no_grad():
        bilm = model.bilm(encoded["input_ids"], encoded["attention_mask"].bool())
    np.testing.assert_array_equal(bilm.mask.numpy(), expected["mask_with_boundaries"])
    assert max_difference(bilm.layers[layer], expected[f"bilm_layer_{layer}_with_boundaries"]) < TOLERANCE


def test_layer_two_exceeds_the_projection_clip_through_the_skip_connection(converted, sentences, expected):
    model, tokenizer = converted
    output = run(model, tokenizer, sentences)
    assert output.hidden_states[1].abs().max() <= 3.0
    assert output.hidden_states[2].abs().max() > 3.0


@pytest.mark.parametrize("layer_norm,key", [(False, "elmo_output"), (True, "elmo_output_layer_norm")])
def test_scalar_mix_equals_allennlp_elmo(converted, sentences, expected, layer_norm, key):
    model, tokenizer = converted
    mix = model.scalar_mix
    saved = (mix.scalar_parameters.detach().clone(), mix.gamma.detach().clone(), mix.do_layer_norm)
    try:
        with torch.no_grad():
            mix.scalar_parameters.copy_(torch.from_numpy(expected["mix_scalars"]))
            mix.gamma.fill_(float(expected["mix_gamma"]))
        mix.do_layer_norm = layer_norm
        output = run(model, tokenizer, sentences)
    finally:
        with torch.no_grad():
            mix.scalar_parameters.copy_(saved[0])
            mix.gamma.copy_(saved[1])
        mix.do_layer_norm = saved[2]
    assert max_difference(output.last_hidden_state, expected[key]) < TOLERANCE


def test_each_sentence_alone_equals_allennlp_and_the_padded_batch(converted, sentences, expected):
    model, tokenizer = converted
    batch = run(model, tokenizer, sentences).hidden_states
    for index, sentence in enumerate(sentences):
        alone = run(model, tokenizer, [sentence]).hidden_states
        for layer in range(3):
            assert max_difference(alone[layer], expected[f"single_{index}_layer_{layer}"]) < TOLERANCE
            padded = batch[layer][index : index + 1, : len(sentence)]
            assert float((padded - alone[layer]).abs().max()) < TOLERANCE
            assert torch.count_nonzero(batch[layer][index, len(sentence) :]) == 0


def test_character_cnn_and_highway_equal_allennlp(converted, expected):
    model, _ = converted
    encoder = model.bilm.character_encoder
    char_ids = torch.from_numpy(expected["char_ids_with_boundaries"]).flatten(0, 1)
    with torch.no_grad():
        convolved = encoder.convolve(char_ids)
        highway = convolved
        for layer in encoder.highways:
            highway = layer(highway)
    assert max_difference(convolved.view(expected["debug_cnn_output"].shape), expected["debug_cnn_output"]) < TOLERANCE
    assert (
        max_difference(highway.view(expected["debug_highway_output"].shape), expected["debug_highway_output"])
        < TOLERANCE
    )


def test_convolution_over_used_positions_equals_the_full_convolution(converted):
    """The CNN skips windows lying wholly in the in-token padding; a plain full-width convolution agrees."""
    model, tokenizer = converted
    encoder = model.bilm.character_encoder
    words = [["a", "of", "tokenisation", "x" * 60], ["a"], ["<S>", "é", "京都"]]
    for sentence in words:
        char_ids = tokenizer(sentence, is_split_into_words=True, return_tensors="pt")["input_ids"][0]
        with torch.no_grad():
            embedded = encoder.char_embeddings(char_ids).transpose(1, 2)
            reference = torch.cat(
                [
                    encoder.activation(F.conv1d(embedded, conv.weight, conv.bias).amax(2))
                    for conv in encoder.convolutions
                ],
                dim=1,
            )
            assert float((encoder.convolve(char_ids) - reference).abs().max()) < 1e-6


def test_model_is_stateless_across_calls(converted, sentences, expected):
    model, tokenizer = converted
    first = run(model, tokenizer, sentences).hidden_states[2]
    second = run(model, tokenizer, sentences).hidden_states[2]
    assert torch.equal(first, second)
    assert max_difference(second, expected["layer_2"]) < TOLERANCE
    assert np.abs(second.numpy() - expected["stateful_second_call_layer_2"]).max() > 1e-3


def test_fast_tanh_equals_torch_tanh_on_large_and_small_tensors():
    from hf_classic.elmo.modeling_elmo import fast_tanh

    for size in (100, 100_000):
        values = torch.linspace(-12, 12, size)
        assert float((fast_tanh(values) - torch.tanh(values)).abs().max()) < 3e-7
