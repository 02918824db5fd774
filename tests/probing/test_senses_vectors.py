"""The vector of a word in context, for each family: word2vec, ELMo, BERT and GPT-2."""

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from hf_classic.data import SENSES, data_path
from hf_classic.elmo.tokenization_elmo import split_words
from hf_classic.errors import HfClassicError
from hf_classic.evaluation.senses import (
    read_sense_contexts,
    sense_separation,
    word_representations,
    word_vectors_in_context,
)

SENTENCES = ["the children play in the meadow", "she can play the harp", "we saw a play at the theatre"]


def load(folder):
    return AutoModel.from_pretrained(folder).eval(), AutoTokenizer.from_pretrained(folder)


def test_word2vec_gives_the_same_vector_in_every_context_and_chance_accuracy(skipgram_dir):
    model, tokenizer = load(skipgram_dir)
    contexts = read_sense_contexts(data_path(SENSES), "play")
    representations, unknown = word_representations(model, tokenizer, [c.sentence for c in contexts], "play")
    assert list(representations) == ["word2vec"] and unknown == 0
    vectors = representations["word2vec"]
    expected = model.embeddings.weight[tokenizer.convert_tokens_to_ids("play")].detach().numpy()
    np.testing.assert_array_equal(vectors, np.tile(expected, (len(contexts), 1)))
    scores = sense_separation(vectors, [c.sense for c in contexts])
    assert scores["identical_vectors"]
    assert scores["within_sense_cosine"] == pytest.approx(1.0) and scores["across_sense_cosine"] == pytest.approx(1.0)
    assert scores["nearest_centroid_accuracy"] == pytest.approx(1 / 3) == scores["chance_accuracy"]


def test_elmo_layer_0_is_context_free_and_the_biLSTM_layers_are_not(tiny_elmo_dir):
    model, tokenizer = load(tiny_elmo_dir)
    representations, _ = word_representations(model, tokenizer, SENTENCES, "play")
    assert list(representations) == ["mix", "layer 0", "layer 1", "layer 2"]
    layer0 = representations["layer 0"]
    np.testing.assert_allclose(layer0, np.tile(layer0[:1], (3, 1)), rtol=0, atol=1e-6)
    for name in ("mix", "layer 1", "layer 2"):
        assert np.abs(representations[name] - representations[name][0]).max() > 1e-3, name


def test_elmo_vector_is_the_models_output_at_the_words_position(tiny_elmo_dir):
    model, tokenizer = load(tiny_elmo_dir)
    sentence = "we saw a play at the theatre"
    words = split_words(sentence)
    with torch.no_grad():
        out = model(**tokenizer([words], is_split_into_words=True, return_tensors="pt"))
    vector = word_vectors_in_context(model, tokenizer, [sentence], "play")[0]
    np.testing.assert_allclose(vector, out.last_hidden_state[0, words.index("play")].numpy(), rtol=0, atol=1e-6)


def subword_mean(model, tokenizer, sentence, start, end):
    encoded = tokenizer(sentence, return_offsets_mapping=True, return_tensors="pt")
    offsets = encoded.pop("offset_mapping")[0].tolist()
    positions = [i for i, (s, e) in enumerate(offsets) if e > s and s < end and e > start]
    with torch.no_grad():
        hidden = model(**encoded).last_hidden_state[0]
    return positions, hidden[positions].mean(0).numpy()


def test_bert_averages_the_sub_words_of_a_split_word(tiny_bert_dir):
    model, tokenizer = load(tiny_bert_dir)
    sentence = "the boys were playing in the field"
    positions, expected = subword_mean(model, tokenizer, sentence, 14, 21)  # "playing"
    assert len(positions) > 1, tokenizer.tokenize(sentence)  # the tiny vocabulary splits "playing"
    representations, _ = word_representations(model, tokenizer, [sentence, "playing the harp"], "playing")
    assert list(representations) == ["layer 2", "layer 0", "layer 1"]
    np.testing.assert_allclose(representations["layer 2"][0], expected, rtol=0, atol=1e-6)


def test_gpt2_averages_sub_words_and_sees_only_the_left_context(tiny_gpt2_dir, tiny_bert_dir):
    model, tokenizer = load(tiny_gpt2_dir)
    sentence = "she can play the harp"
    positions, expected = subword_mean(model, tokenizer, sentence, 17, 21)  # "harp"
    assert len(positions) > 1, tokenizer.tokenize(sentence)
    np.testing.assert_allclose(word_vectors_in_context(model, tokenizer, [sentence], "harp")[0], expected, atol=1e-6)
    same_left = ["she can play the harp", "she can play the drum loudly"]
    vectors = word_vectors_in_context(model, tokenizer, same_left, "play")
    np.testing.assert_allclose(vectors[0], vectors[1], rtol=0, atol=1e-5)
    bert, bert_tokenizer = load(tiny_bert_dir)
    bidirectional = word_vectors_in_context(bert, bert_tokenizer, same_left, "play")
    assert np.abs(bidirectional[0] - bidirectional[1]).max() > 1e-3


def test_a_sentence_without_the_word_is_refused(tiny_bert_dir):
    model, tokenizer = load(tiny_bert_dir)
    with pytest.raises(HfClassicError, match=r"sentence 1: the word 'play' does not occur in 'they displayed it'"):
        word_representations(model, tokenizer, ["we play", "they displayed it"], "play")
