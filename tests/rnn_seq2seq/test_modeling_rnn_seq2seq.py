"""The encoder-decoder: attention weights, incremental decoding, generation, heads, save/load."""

import pytest
import torch
from conftest import VARIANT_IDS, VARIANTS, tiny_config, tiny_model

from hf_classic import RnnForSequenceClassification, RnnForTokenClassification, RnnSeq2SeqForConditionalGeneration
from hf_classic.rnn_seq2seq import shrinking_beam_search


def variant(attention, score, feeding, **overrides):
    return tiny_model(attention=attention, attention_score=score, input_feeding=feeding, **overrides)


@pytest.mark.parametrize(("attention", "score", "feeding"), VARIANTS[1:], ids=VARIANT_IDS[1:])
def test_attention_rows_are_distributions_over_real_source_tokens(attention, score, feeding, padded_batch):
    input_ids, attention_mask, decoder_input_ids = padded_batch
    model = variant(attention, score, feeding)
    out = model(input_ids, attention_mask, decoder_input_ids, output_attentions=True)
    (weights,) = out.cross_attentions
    assert weights.shape == (3, 1, 5, 7)
    assert out.logits.shape == (3, 5, 29)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 1, 5))
    padding = (attention_mask == 0)[:, None, None, :].expand_as(weights)
    assert weights[padding].abs().max() == 0
    assert (weights[~padding] > 0).all()


def test_fixed_context_reads_only_the_final_encoder_state(padded_batch):
    input_ids, attention_mask, decoder_input_ids = padded_batch
    model = variant("none", "general", False)
    encoded = model.get_encoder()(input_ids, attention_mask=attention_mask)
    out = model(attention_mask=attention_mask, decoder_input_ids=decoder_input_ids, encoder_outputs=encoded)
    encoded.last_hidden_state = torch.randn_like(encoded.last_hidden_state)
    scrambled = model(attention_mask=attention_mask, decoder_input_ids=decoder_input_ids, encoder_outputs=encoded)
    assert out.cross_attentions is None
    torch.testing.assert_close(out.logits, scrambled.logits, rtol=0, atol=0)


def test_padding_does_not_change_a_sentence(padded_batch):
    input_ids, attention_mask, decoder_input_ids = padded_batch
    model = variant("luong", "general", True)
    batch = model(input_ids, attention_mask, decoder_input_ids).logits[1]
    alone = model(input_ids[1:2, :4], attention_mask[1:2, :4], decoder_input_ids[1:2]).logits[0]
    torch.testing.assert_close(batch, alone, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("attention", "score", "feeding"), VARIANTS, ids=VARIANT_IDS)
def test_incremental_decoding_equals_full_decoding(attention, score, feeding, padded_batch):
    input_ids, attention_mask, decoder_input_ids = padded_batch
    model = variant(attention, score, feeding)
    full = model(input_ids, attention_mask, decoder_input_ids).logits
    encoded = model.get_encoder()(input_ids, attention_mask=attention_mask)
    cache, steps = None, []
    for position in range(decoder_input_ids.shape[1]):
        out = model(
            attention_mask=attention_mask,
            decoder_input_ids=decoder_input_ids[:, position : position + 1],
            encoder_outputs=encoded,
            cache=cache,
            use_cache=True,
        )
        cache = out.cache if "cache" in out else out.past_key_values
        steps.append(out.logits)
    torch.testing.assert_close(torch.cat(steps, dim=1), full, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("attention", "score", "feeding"), VARIANTS, ids=VARIANT_IDS)
def test_generation_with_cache_equals_generation_without(attention, score, feeding, padded_batch):
    input_ids, attention_mask, _ = padded_batch
    model = variant(attention, score, feeding)
    for options in ({"num_beams": 1}, {"num_beams": 4, "num_return_sequences": 2}):
        runs = [
            model.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                max_new_tokens=8,
                do_sample=False,
                use_cache=use_cache,
                return_dict_in_generate=True,
                output_scores=True,
                **options,
            )
            for use_cache in (True, False)
        ]
        assert torch.equal(runs[0].sequences, runs[1].sequences)
        for cached, uncached in zip(runs[0].scores, runs[1].scores, strict=True):
            torch.testing.assert_close(cached, uncached, rtol=1e-5, atol=1e-5)


def reference_greedy(model, input_ids, attention_mask, steps):
    """Argmax decoding by re-running the whole prefix each step (no cache, no GenerationMixin)."""
    prefix = torch.full((input_ids.shape[0], 1), model.config.decoder_start_token_id)
    for _ in range(steps):
        logits = model(input_ids, attention_mask, prefix).logits[:, -1]
        prefix = torch.cat([prefix, logits.argmax(-1, keepdim=True)], dim=1)
    return prefix


def test_greedy_and_one_beam_equal_argmax_decoding(padded_batch):
    input_ids, attention_mask, _ = padded_batch
    model = variant("luong", "general", True, eos_token_id=None)
    expected = reference_greedy(model, input_ids, attention_mask, 10)
    greedy = model.generate(input_ids=input_ids, attention_mask=attention_mask, max_new_tokens=10, do_sample=False)
    one_beam = model.generate(input_ids=input_ids, attention_mask=attention_mask, max_new_tokens=10, num_beams=1)
    assert torch.equal(greedy, expected)
    assert torch.equal(one_beam, expected)


def sequence_log_prob(model, input_ids, attention_mask, sequence):
    logits = model(input_ids, attention_mask, sequence[None, :-1]).logits[0]
    return torch.log_softmax(logits, -1).gather(-1, sequence[1:, None]).sum().item()


def test_beam_search_finds_a_sequence_at_least_as_likely_as_greedy(padded_batch):
    input_ids, attention_mask, _ = padded_batch
    model = variant("bahdanau", "general", False, eos_token_id=None)
    options = dict(input_ids=input_ids[:1], attention_mask=attention_mask[:1], max_new_tokens=6)
    greedy = model.generate(**options, do_sample=False)[0]
    beam = model.generate(**options, num_beams=6, length_penalty=0.0)[0]
    assert sequence_log_prob(model, input_ids[:1], attention_mask[:1], beam) >= sequence_log_prob(
        model, input_ids[:1], attention_mask[:1], greedy
    )


def test_each_generated_token_costs_one_decoder_step_whatever_the_position(padded_batch):
    input_ids, attention_mask, _ = padded_batch
    model = variant("luong", "general", True)
    calls = {"encoder": 0, "decoder_lengths": [], "state_shapes": set()}
    encoder_forward, decoder_forward = model.model.encoder.forward, model.model.decoder.forward

    def count_encoder(*args, **kwargs):
        calls["encoder"] += 1
        return encoder_forward(*args, **kwargs)

    def record_decoder(inputs_embeds, encoder_outputs, source_mask, state):
        calls["decoder_lengths"].append(inputs_embeds.shape[1])
        calls["state_shapes"].add(tuple(part.shape for part in state if part is not None))
        return decoder_forward(inputs_embeds, encoder_outputs, source_mask, state)

    model.model.encoder.forward, model.model.decoder.forward = count_encoder, record_decoder
    out = model.generate(
        input_ids=input_ids, attention_mask=attention_mask, max_new_tokens=500, min_new_tokens=500, do_sample=False
    )
    assert out.shape == (3, 501)
    assert calls["encoder"] == 1
    assert calls["decoder_lengths"] == [1] * 500
    assert len(calls["state_shapes"]) == 1


def test_sampling_returns_several_reproducible_sequences(padded_batch):
    input_ids, attention_mask, _ = padded_batch
    model = variant("luong", "concat", True)
    options = dict(input_ids=input_ids, attention_mask=attention_mask, max_new_tokens=7, do_sample=True, top_k=10)
    torch.manual_seed(3)
    first = model.generate(**options, num_return_sequences=4)
    torch.manual_seed(3)
    second = model.generate(**options, num_return_sequences=4)
    assert first.shape[0] == 12
    assert torch.equal(first, second)
    assert len({tuple(row) for row in first.tolist()}) > 1


def test_generate_returns_cross_attentions_per_step(padded_batch):
    input_ids, attention_mask, _ = padded_batch
    model = variant("luong", "general", True, eos_token_id=None)
    out = model.generate(
        input_ids=input_ids,
        attention_mask=attention_mask,
        max_new_tokens=4,
        num_beams=2,
        return_dict_in_generate=True,
        output_attentions=True,
    )
    assert len(out.cross_attentions) == 4
    for (step,) in out.cross_attentions:
        assert step.shape == (6, 1, 1, 7)
        torch.testing.assert_close(step.sum(-1), torch.ones(6, 1, 1))


def test_labels_give_the_mean_token_cross_entropy(padded_batch):
    input_ids, attention_mask, decoder_input_ids = padded_batch
    model = variant("luong", "general", True)
    labels = torch.cat([decoder_input_ids[:, 1:], torch.full((3, 1), 3)], dim=1)
    labels[0, -2:] = -100
    out = model(input_ids, attention_mask, labels=labels)
    reference = model(input_ids, attention_mask, decoder_input_ids).logits
    log_probs = torch.log_softmax(reference, -1)
    kept = labels != -100
    expected = -log_probs[kept].gather(-1, labels[kept][:, None]).mean()
    torch.testing.assert_close(out.loss, expected)


def test_shared_and_tied_embeddings_are_one_matrix_after_reload(tmp_path, padded_batch):
    input_ids, attention_mask, decoder_input_ids = padded_batch
    decoder_input_ids = decoder_input_ids % 23
    model = tiny_model(
        decoder_vocab_size=23,
        shared_vocabulary=True,
        share_embeddings=True,
        tie_word_embeddings=True,
        embedding_size=12,
        cell="gru",
    )
    assert model.lm_head.weight is model.model.encoder.embed_tokens.weight
    assert model.model.decoder.embed_tokens is None
    model.save_pretrained(tmp_path)
    loaded = RnnSeq2SeqForConditionalGeneration.from_pretrained(tmp_path).eval()
    assert loaded.lm_head.weight is loaded.model.encoder.embed_tokens.weight
    torch.testing.assert_close(
        loaded(input_ids, attention_mask, decoder_input_ids).logits,
        model(input_ids, attention_mask, decoder_input_ids).logits,
        rtol=0,
        atol=0,
    )


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_save_and_load_round_trip(tmp_path, padded_batch, cell):
    input_ids, attention_mask, decoder_input_ids = padded_batch
    model = tiny_model(cell=cell, attention="bahdanau", input_feeding=False, bidirectional_encoder=False)
    model.save_pretrained(tmp_path)
    loaded = RnnSeq2SeqForConditionalGeneration.from_pretrained(tmp_path).eval()
    saved = {key: value for key, value in model.config.to_dict().items() if key != "_name_or_path"}
    assert {key: loaded.config.to_dict()[key] for key in saved} == saved
    torch.testing.assert_close(
        loaded(input_ids, attention_mask, decoder_input_ids).logits,
        model(input_ids, attention_mask, decoder_input_ids).logits,
        rtol=0,
        atol=0,
    )
    options = dict(input_ids=input_ids, attention_mask=attention_mask, max_new_tokens=6, num_beams=3)
    assert torch.equal(loaded.generate(**options), model.generate(**options))


def test_token_classifier_labels_every_token_and_ignores_padding(padded_batch):
    input_ids, attention_mask, _ = padded_batch
    torch.manual_seed(0)
    model = RnnForTokenClassification(tiny_config(num_labels=5)).eval()
    labels = torch.randint(0, 5, input_ids.shape).masked_fill(attention_mask == 0, -100)
    out = model(input_ids, attention_mask, labels=labels)
    assert out.logits.shape == (3, 7, 5)
    expected = torch.nn.functional.cross_entropy(out.logits[labels != -100], labels[labels != -100])
    torch.testing.assert_close(out.loss, expected)


def test_sequence_classifier_reads_the_final_state_of_each_real_sentence(padded_batch):
    input_ids, attention_mask, _ = padded_batch
    torch.manual_seed(0)
    model = RnnForSequenceClassification(tiny_config(num_labels=3)).eval()
    batch = model(input_ids, attention_mask).logits
    alone = model(input_ids[1:2, :4]).logits
    assert batch.shape == (3, 3)
    torch.testing.assert_close(batch[1:2], alone, rtol=1e-5, atol=1e-6)
    loss = model(input_ids, attention_mask, labels=torch.tensor([0, 2, 1])).loss
    torch.testing.assert_close(loss, torch.nn.functional.cross_entropy(batch, torch.tensor([0, 2, 1])))


def test_a_classifier_learns_which_of_two_words_a_sentence_holds():
    torch.manual_seed(0)
    model = RnnForSequenceClassification(tiny_config(num_labels=2, num_layers=1))
    input_ids = torch.randint(6, 23, (64, 6))
    labels = torch.randint(0, 2, (64,))
    input_ids[torch.arange(64), torch.randint(0, 6, (64,))] = 4 + labels
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    first = None
    for _ in range(60):
        loss = model(input_ids, labels=labels).loss
        first = first if first is not None else loss.item()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    accuracy = (model(input_ids).logits.argmax(-1) == labels).float().mean().item()
    assert loss.item() < first / 4
    assert accuracy > 0.95


@pytest.mark.parametrize(("attention", "score", "feeding"), VARIANTS, ids=VARIANT_IDS)
def test_shrinking_beam_search_equals_transformers_beam_search_and_drops_finished_rows(
    attention, score, feeding, padded_batch
):
    input_ids, attention_mask, _ = padded_batch
    model = variant(attention, score, feeding, cell="gru" if attention == "bahdanau" else "lstm")
    options = dict(
        input_ids=input_ids, attention_mask=attention_mask, max_new_tokens=12, num_beams=4, length_penalty=0.0
    )
    expected = model.generate(**options, return_dict_in_generate=True, output_scores=True)
    rows, decode_step = [], model.decode_step

    def record_rows(decoder_input_ids, *args):
        rows.append(decoder_input_ids.shape[0])
        return decode_step(decoder_input_ids, *args)

    model.decode_step = record_rows
    shrunk = model.generate(**options, custom_generate=shrinking_beam_search, return_dict_in_generate=True)
    assert torch.equal(shrunk.sequences, expected.sequences[:, : shrunk.sequences.shape[1]])
    assert (expected.sequences[:, shrunk.sequences.shape[1] :] == model.config.pad_token_id).all()
    torch.testing.assert_close(shrunk.sequences_scores, expected.sequences_scores, rtol=0, atol=1e-5)
    assert rows == sorted(rows, reverse=True) and rows[0] == 12


def test_shrinking_beam_search_needs_plain_sum_scores(padded_batch):
    input_ids, attention_mask, _ = padded_batch
    with pytest.raises(ValueError, match="pass length_penalty=0"):
        tiny_model().generate(input_ids=input_ids, num_beams=2, max_new_tokens=3, custom_generate=shrinking_beam_search)
