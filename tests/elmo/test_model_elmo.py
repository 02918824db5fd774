"""ElmoModel and ElmoForPreTraining as transformers models: saving, Auto classes, remote code, pipeline, losses."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from huggingface_hub.errors import StrictDataclassError
from torch.nn import functional as F
from transformers import AutoConfig, AutoModel, AutoModelForPreTraining, pipeline

from hf_classic.elmo import ElmoConfig, ElmoForPreTraining, ElmoModel, ElmoTokenizer

WORDS = ["<S>", "</S>", "<UNK>", "the", "cat", "dog", "sat", "ran", "on", "mat", "."]
CORPUS = [["the", "cat", "sat", "on", "the", "mat", "."], ["the", "dog", "ran", "."], ["the", "cat", "ran", "."]]


def tiny_config(**kwargs) -> ElmoConfig:
    sizes = dict(char_embedding_dim=4, filters=[[1, 4], [2, 8]], n_highway=1, lstm_dim=16, projection_dim=8)
    return ElmoConfig(**{**sizes, **kwargs})


def features(model, tokenizer, sentences) -> torch.Tensor:
    encoded = tokenizer(sentences, is_split_into_words=True, return_tensors="pt")
    with torch.no_grad():
        return model(**encoded).last_hidden_state


def test_config_round_trips_through_bilm_options(fixture_dir):
    options = json.loads((fixture_dir / "options.json").read_text())
    config = ElmoConfig.from_bilm_options(options)
    assert (config.lstm_dim, config.projection_dim, config.cell_clip, config.n_filters) == (64, 16, 3, 48)
    again = config.to_bilm_options()
    assert again["lstm"] == options["lstm"] and again["char_cnn"] == options["char_cnn"]


def test_config_errors_name_the_key_and_the_allowed_values():
    with pytest.raises(StrictDataclassError, match=r"ElmoConfig.activation='gelu': expected one of relu, tanh"):
        ElmoConfig(activation="gelu")
    with pytest.raises(StrictDataclassError, match="scalar_mix_parameters"):
        ElmoConfig(scalar_mix_parameters=[0.0, 1.0])
    options = ElmoConfig().to_bilm_options()
    del options["lstm"]["dim"]
    with pytest.raises(KeyError, match="lstm.dim"):
        ElmoConfig.from_bilm_options(options)


def test_saved_model_loads_with_auto_classes_and_gives_the_same_features(converted, sentences, tmp_path):
    model, tokenizer = converted
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert set(config["auto_map"]) == {
        "AutoConfig",
        "AutoModel",
        "AutoModelForPreTraining",
        "AutoModelForSequenceClassification",
        "AutoModelForTokenClassification",
    }
    assert isinstance(AutoConfig.from_pretrained(tmp_path), ElmoConfig)
    loaded = AutoModel.from_pretrained(tmp_path).eval()
    assert isinstance(loaded, ElmoModel)
    assert torch.equal(features(loaded, tokenizer, sentences), features(model, tokenizer, sentences))


def test_remote_code_loads_without_hf_classic_and_pipeline_works(converted, sentences, tmp_path):
    model, tokenizer = converted
    saved = tmp_path / "model"
    model.save_pretrained(saved)
    tokenizer.save_pretrained(saved)
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["hf_classic"] = None
        import json, numpy, torch
        from transformers import AutoModel, AutoTokenizer, pipeline
        tokenizer = AutoTokenizer.from_pretrained({str(saved)!r}, trust_remote_code=True)
        model = AutoModel.from_pretrained({str(saved)!r}, trust_remote_code=True).eval()
        assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
        encoded = tokenizer(json.loads({json.dumps(json.dumps(sentences))}), is_split_into_words=True, return_tensors="pt")
        with torch.no_grad():
            numpy.save("features.npy", model(**encoded).last_hidden_state.numpy())
        extractor = pipeline("feature-extraction", model={str(saved)!r}, trust_remote_code=True)
        numpy.save("pipeline.npy", numpy.array(extractor("I play football .")))
        """
    )
    subprocess.run([sys.executable, "-I", "-c", script], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    np.testing.assert_array_equal(np.load(tmp_path / "features.npy"), features(model, tokenizer, sentences).numpy())
    expected = features(model, tokenizer, [["I", "play", "football", "."]]).numpy()
    np.testing.assert_allclose(np.load(tmp_path / "pipeline.npy"), expected, atol=1e-6)


def test_feature_extraction_pipeline_returns_the_mixed_layers(converted, tmp_path):
    model, tokenizer = converted
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    extractor = pipeline("feature-extraction", model=str(tmp_path))
    vectors = np.array(extractor("Could you play the record again?"))
    assert vectors.shape == (1, 7, 32)
    expected = features(model, tokenizer, [["Could", "you", "play", "the", "record", "again", "?"]]).numpy()
    np.testing.assert_allclose(vectors, expected, atol=1e-6)


def test_same_word_gets_different_vectors_in_different_contexts(converted, sentences):
    model, tokenizer = converted
    output = features(model, tokenizer, sentences[1:3])
    first, second = output[0, 1], output[1, 2]  # "play" in both sentences
    layer_zero = model(
        **tokenizer(sentences[1:3], is_split_into_words=True, return_tensors="pt"), output_hidden_states=True
    )
    assert torch.equal(layer_zero.hidden_states[0][0, 1], layer_zero.hidden_states[0][1, 2])
    assert float((first - second).abs().max()) > 1e-3


def test_only_the_scalar_mix_trains_when_the_bilm_is_frozen():
    torch.manual_seed(0)
    model = ElmoModel(tiny_config(do_layer_norm=True))
    model.freeze_bilm()
    trainable = {name for name, parameter in model.named_parameters() if parameter.requires_grad}
    assert trainable == {"scalar_mix.scalar_parameters", "scalar_mix.gamma"}
    encoded = ElmoTokenizer()(CORPUS, is_split_into_words=True, return_tensors="pt")
    model(**encoded).last_hidden_state.pow(2).sum().backward()
    assert model.scalar_mix.gamma.grad is not None and model.scalar_mix.scalar_parameters.grad.abs().sum() > 0


def test_bad_inputs_are_refused_with_the_shape():
    model = ElmoModel(tiny_config())
    with pytest.raises(ValueError, match=r"input_ids: expected shape \(batch, seq, 50\), got \(2, 3\)"):
        model(torch.ones(2, 3, dtype=torch.long))
    ids = ElmoTokenizer()(["a b", "c"], return_tensors="pt")["input_ids"]
    with pytest.raises(ValueError, match="ones then zeros"):
        model(ids, attention_mask=torch.tensor([[1, 1], [0, 1]]))


def test_language_model_loss_is_the_mean_cross_entropy_of_both_directions():
    torch.manual_seed(0)
    tokenizer = ElmoTokenizer.from_words(WORDS)
    model = ElmoForPreTraining(tiny_config(vocab_size=len(WORDS))).eval()
    encoded = tokenizer(CORPUS, is_split_into_words=True, return_tensors="pt", return_labels=True)
    output = model(**encoded)
    labels = encoded["labels"]
    forward_expected = F.cross_entropy(output.forward_logits[:, :-1].flatten(0, 1), labels[:, 1:].flatten())
    backward_targets = labels[:, :-1].masked_fill(labels[:, 1:] == -100, -100)
    backward_expected = F.cross_entropy(output.backward_logits[:, 1:].flatten(0, 1), backward_targets.flatten())
    torch.testing.assert_close(output.forward_loss, forward_expected)
    torch.testing.assert_close(output.backward_loss, backward_expected)
    torch.testing.assert_close(output.loss, (forward_expected + backward_expected) / 2)
    torch.testing.assert_close(output.forward_perplexity, forward_expected.exp())


def test_pre_training_lowers_both_perplexities_full_and_sampled_softmax(tmp_path):
    torch.manual_seed(0)
    tokenizer = ElmoTokenizer.from_words(WORDS)
    encoded = tokenizer(CORPUS, is_split_into_words=True, return_tensors="pt", return_labels=True)
    for samples in (0, 6):
        model = ElmoForPreTraining(tiny_config(vocab_size=len(WORDS), n_negative_samples_batch=samples, lm_dropout=0.0))
        optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
        model.eval()
        before = model(**encoded)
        model.train()
        for _ in range(40):
            optimizer.zero_grad()
            loss = model(**encoded).loss
            assert torch.isfinite(loss)
            loss.backward()
            optimizer.step()
        model.eval()
        after = model(**encoded)
        assert after.forward_perplexity < before.forward_perplexity / 2
        assert after.backward_perplexity < before.backward_perplexity / 2
    model.save_pretrained(tmp_path)
    reloaded = AutoModelForPreTraining.from_pretrained(tmp_path).eval()
    torch.testing.assert_close(reloaded(**encoded).loss, after.loss)
    base = AutoModel.from_pretrained(tmp_path).eval()
    torch.testing.assert_close(features(base, tokenizer, CORPUS), features(model.elmo, tokenizer, CORPUS))
