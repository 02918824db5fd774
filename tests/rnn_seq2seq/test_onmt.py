"""OpenNMT-py 3.5.1 checkpoints: conversion, scoring and translation parity with `onmt_translate`, bad input.

The fixtures (tests/fixtures/onmt_rnn/, see its README.md) are three real OpenNMT-py checkpoints with the
outputs OpenNMT-py itself produced for 20 held-out sentences.
"""

import argparse
import json
import os
import subprocess
from pathlib import Path

import pytest
import torch

from hf_classic.errors import InputFileError
from hf_classic.formats.rnn_seq2seq_onmt import (
    UnsupportedOnmtOptionError,
    convert_onmt_checkpoint,
    convert_onmt_to_directory,
    export_onmt_checkpoint,
    load_onmt_checkpoint,
)
from hf_classic.rnn_seq2seq import shrinking_beam_search

FIXTURES = Path(__file__).parents[1] / "fixtures" / "onmt_rnn"
MODELS = ["brnn_lstm_general", "rnn_gru_mlp_shared", "brnn_lstm_dot"]
SOURCES = (FIXTURES / "src.txt").read_text(encoding="utf-8").splitlines()
TARGETS = (FIXTURES / "tgt.txt").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module", params=MODELS)
def converted(request):
    model, tokenizer = convert_onmt_checkpoint(FIXTURES / f"{request.param}.pt")
    return request.param, model, tokenizer


def test_options_map_onto_the_configuration():
    model, _ = convert_onmt_checkpoint(FIXTURES / "rnn_gru_mlp_shared.pt")
    config = model.config
    assert (config.cell, config.num_layers, config.bidirectional_encoder) == ("gru", 1, False)
    assert (config.attention, config.attention_score, config.attention_output_activation) == ("luong", "concat", "none")
    assert config.share_embeddings and config.attention_output_bias and config.input_feeding
    assert model.model.decoder.embed_tokens is None
    model, tokenizer = convert_onmt_checkpoint(FIXTURES / "brnn_lstm_general.pt")
    assert (model.config.cell, model.config.num_layers, model.config.bidirectional_encoder) == ("lstm", 2, True)
    assert (tokenizer.pad_token, tokenizer.pad_token_id, model.config.decoder_start_token_id) == ("<blank>", 1, 2)


def test_teacher_forced_log_probs_equal_opennmt_gold_scores(converted):
    name, model, tokenizer = converted
    gold = json.loads((FIXTURES / f"{name}.gold_scores.json").read_text())["sentences"]
    batch = tokenizer(SOURCES, text_target=TARGETS, padding=True, return_tensors="pt")
    labels = batch["labels"].masked_fill(batch["labels"] == tokenizer.pad_token_id, -100)
    with torch.no_grad():
        logits = model(batch["input_ids"], batch["attention_mask"], labels=labels).logits
    token_log_probs = torch.log_softmax(logits, -1).gather(-1, labels.clamp(min=0)[..., None]).squeeze(-1)
    for row, sentence in enumerate(gold):
        kept = labels[row] != -100
        assert labels[row][kept].tolist() == sentence["target_ids"]
        torch.testing.assert_close(
            token_log_probs[row][kept].double(), torch.tensor(sentence["token_logprobs"]).double(), rtol=0, atol=1e-4
        )
        assert abs(token_log_probs[row][kept].sum().item() - sentence["gold_score"]) < 1e-4


@pytest.mark.parametrize(
    ("mode", "beams", "decoding"),
    [("greedy", 1, None), ("beam5", 5, None), ("beam5", 5, shrinking_beam_search)],
    ids=["greedy", "beam5", "beam5-shrinking"],
)
def test_generate_equals_onmt_translate_sentence_for_sentence(converted, mode, beams, decoding):
    name, model, tokenizer = converted
    options = {} if decoding is None else {"custom_generate": decoding}
    expected = json.loads((FIXTURES / f"{name}.scores.json").read_text())[mode]
    expected_lines = (FIXTURES / f"{name}.{mode}.txt").read_text(encoding="utf-8").splitlines()
    out = model.generate(
        **tokenizer(SOURCES, padding=True, return_tensors="pt"),
        max_new_tokens=50,
        num_beams=beams,
        do_sample=False,
        return_dict_in_generate=True,
        output_scores=True,
        **options,
    )
    generated = [[index for index in row[1:] if index != tokenizer.pad_token_id] for row in out.sequences.tolist()]
    assert generated == [sentence["pred_ids"] for sentence in expected]
    assert tokenizer.batch_decode(out.sequences, skip_special_tokens=True) == expected_lines
    if beams > 1:
        scores = torch.tensor([sentence["pred_score"] for sentence in expected])
        torch.testing.assert_close(out.sequences_scores, scores, rtol=0, atol=1e-4)


def test_converted_directory_reloads_with_the_same_translations(tmp_path):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    convert_onmt_to_directory(FIXTURES / "brnn_lstm_dot.pt", tmp_path / "model")
    model = AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "model")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "model")
    out = model.generate(**tokenizer(SOURCES[:5], padding=True, return_tensors="pt"), num_beams=5, max_new_tokens=50)
    expected = (FIXTURES / "brnn_lstm_dot.beam5.txt").read_text(encoding="utf-8").splitlines()[:5]
    assert tokenizer.batch_decode(out, skip_special_tokens=True) == expected


def load_fixture(name="brnn_lstm_dot"):
    with torch.serialization.safe_globals([argparse.Namespace]):
        return torch.load(FIXTURES / f"{name}.pt", map_location="cpu", weights_only=True)


def save_altered(tmp_path, alter):
    checkpoint = load_fixture()
    alter(checkpoint)
    path = tmp_path / "altered.pt"
    torch.save(checkpoint, path)
    return path


@pytest.mark.parametrize(
    ("option", "value"),
    [("copy_attn", True), ("coverage_attn", True), ("context_gate", "both"), ("bridge", True), ("rnn_type", "SRU")],
)
def test_unsupported_options_are_errors_naming_them(tmp_path, option, value):
    path = save_altered(tmp_path, lambda checkpoint: setattr(checkpoint["opt"], option, value))
    with pytest.raises(UnsupportedOnmtOptionError, match=f"altered.pt: OpenNMT-py option {option}="):
        convert_onmt_checkpoint(path)


def test_a_transformer_checkpoint_is_refused(tmp_path):
    path = save_altered(tmp_path, lambda checkpoint: setattr(checkpoint["opt"], "encoder_type", "transformer"))
    with pytest.raises(UnsupportedOnmtOptionError, match="encoder_type='transformer'.*RNN models only"):
        convert_onmt_checkpoint(path)


def test_a_vocabulary_that_does_not_fit_the_weights_is_refused(tmp_path):
    path = save_altered(tmp_path, lambda checkpoint: checkpoint["vocab"]["tgt"].pop())
    with pytest.raises(
        InputFileError, match=r"altered.pt: model.decoder.embed_tokens.weight has shape \(800, 32\).*tgt 799"
    ):
        convert_onmt_checkpoint(path)


def test_unknown_weights_are_refused(tmp_path):
    def add_bridge(checkpoint):
        checkpoint["model"]["encoder.bridge.0.weight"] = torch.zeros(64, 64)

    with pytest.raises(UnsupportedOnmtOptionError, match="encoder.bridge.0.weight"):
        convert_onmt_checkpoint(save_altered(tmp_path, add_bridge))


def test_truncated_and_foreign_files_are_clear_errors_and_write_nothing(tmp_path):
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes((FIXTURES / "brnn_lstm_dot.pt").read_bytes()[:5000])
    text = tmp_path / "text.pt"
    text.write_text("not a checkpoint\n")
    no_opt = tmp_path / "no_opt.pt"
    torch.save({"model": {}}, no_opt)
    for path, message in [
        (truncated, "truncated.pt: not a readable OpenNMT-py checkpoint"),
        (text, "text.pt: not a readable OpenNMT-py checkpoint"),
        (no_opt, r"no_opt.pt: not an OpenNMT-py checkpoint \(keys \['generator', 'vocab', 'opt'\]"),
        (tmp_path / "absent.pt", "absent.pt: OpenNMT-py checkpoint does not exist"),
    ]:
        with pytest.raises(InputFileError, match=message):
            convert_onmt_to_directory(path, tmp_path / "out")
        assert not (tmp_path / "out").exists()


class Payload:
    """An object whose unpickling would run code: a restricted load must refuse it."""

    def __reduce__(self):
        return (print, ("unpickled!",))


def test_loading_never_runs_arbitrary_pickled_code(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    torch.save({"model": {}, "generator": {}, "vocab": {}, "opt": Payload()}, path)
    with pytest.raises(InputFileError, match="evil.pt: not a readable OpenNMT-py checkpoint"):
        convert_onmt_checkpoint(path)
    assert "unpickled!" not in capsys.readouterr().out


@pytest.mark.parametrize("name", MODELS)
def test_export_gives_back_the_original_checkpoint(tmp_path, name):
    model, tokenizer = convert_onmt_checkpoint(FIXTURES / f"{name}.pt")
    path = export_onmt_checkpoint(model, tokenizer, tmp_path / "exported.pt")
    original, exported = load_onmt_checkpoint(FIXTURES / f"{name}.pt"), load_onmt_checkpoint(path)
    assert exported["vocab"] == original["vocab"]
    for part in ("model", "generator"):
        assert exported[part].keys() == original[part].keys()
        for key, tensor in original[part].items():
            assert torch.equal(exported[part][key], tensor), key
    for option in ("encoder_type", "rnn_type", "layers", "input_feed", "global_attention", "share_embeddings"):
        assert getattr(exported["opt"], option) == getattr(original["opt"], option)


def test_a_trained_word_level_model_exports_and_converts_back_with_the_same_outputs(tmp_path):
    from hf_classic import RnnSeq2SeqConfig, RnnSeq2SeqForConditionalGeneration, RnnSeq2SeqTokenizer

    tokenizer = RnnSeq2SeqTokenizer.train(SOURCES, TARGETS)
    config = RnnSeq2SeqConfig(
        vocab_size=len(tokenizer.source_backend.get_vocab()),
        decoder_vocab_size=tokenizer.target_vocab_size,
        embedding_size=16,
        hidden_size=24,
        num_layers=2,
        cell="gru",
        attention_score="dot",
    )
    torch.manual_seed(0)
    model = RnnSeq2SeqForConditionalGeneration(config).eval()
    export_onmt_checkpoint(model, tokenizer, tmp_path / "ours.pt")
    back, back_tokenizer = convert_onmt_checkpoint(tmp_path / "ours.pt")
    assert back_tokenizer.convert_ids_to_tokens([0, 1, 2, 3]) == ["<unk>", "<blank>", "<s>", "</s>"]
    batch = tokenizer(SOURCES[:4], text_target=TARGETS[:4], padding=True, return_tensors="pt")
    torch.testing.assert_close(back(**batch).logits, model(**batch).logits, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"attention": "bahdanau", "input_feeding": False}, "attention='bahdanau'"),
        ({"attention": "luong", "attention_score": "concat"}, "attention_score='concat'"),
    ],
)
def test_models_opennmt_cannot_express_are_not_exported(tmp_path, overrides, message):
    from hf_classic import RnnSeq2SeqConfig, RnnSeq2SeqForConditionalGeneration, RnnSeq2SeqTokenizer

    tokenizer = RnnSeq2SeqTokenizer.train(SOURCES, TARGETS)
    config = RnnSeq2SeqConfig(vocab_size=len(tokenizer.source_backend.get_vocab()), decoder_vocab_size=tokenizer.target_vocab_size, embedding_size=8, hidden_size=8, **overrides)  # fmt: skip
    with pytest.raises(UnsupportedOnmtOptionError, match=message):
        export_onmt_checkpoint(RnnSeq2SeqForConditionalGeneration(config), tokenizer, tmp_path / "x.pt")
    assert not (tmp_path / "x.pt").exists()


@pytest.mark.slow
@pytest.mark.skipif(
    "ONMT_TRANSLATE" not in os.environ, reason="set ONMT_TRANSLATE to OpenNMT-py 3.5.1's onmt_translate"
)
@pytest.mark.parametrize("name", MODELS)
def test_onmt_translate_reads_our_export_and_translates_the_same(tmp_path, name):
    model, tokenizer = convert_onmt_checkpoint(FIXTURES / f"{name}.pt")
    path = export_onmt_checkpoint(model, tokenizer, tmp_path / "exported.pt")
    subprocess.run(
        [os.environ["ONMT_TRANSLATE"], "-model", str(path), "-src", str(FIXTURES / "src.txt"), "-output",
         str(tmp_path / "out.txt"), "-beam_size", "5", "-batch_size", "1", "-max_length", "50",
         "-max_length_ratio", "0", "-length_penalty", "none", "-n_best", "1", "-gpu", "-1"],
        check=True,
        env={**os.environ, "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"},
    )  # fmt: skip
    assert (tmp_path / "out.txt").read_text() == (FIXTURES / f"{name}.beam5.txt").read_text()
