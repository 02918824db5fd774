"""Training on a real corpus learns real structure, with every architecture and objective."""

import gzip

import numpy as np
import pytest

from hf_classic.data import ANALOGIES, data_path
from hf_classic.errors import InputFileError
from hf_classic.evaluation.word_vectors import random_baseline
from hf_classic.training.word2vec_trainer import Word2VecTrainingArguments, build_tokenizer, pretrain_word2vec
from hf_classic.word2vec import Word2VecConfig


def test_vocabulary_counts_words_of_the_corpus(kjv_path):
    tokenizer = build_tokenizer([str(kjv_path)], min_count=5, progress=False)
    with gzip.open(kjv_path, "rt", encoding="utf-8") as handle:
        text = handle.read().lower()
    assert tokenizer.convert_ids_to_tokens([2, 3, 4]) == [",", "the", "and"]
    assert tokenizer.word_counts[tokenizer.convert_tokens_to_ids("jerusalem")] == text.count("jerusalem")
    assert min(tokenizer.word_counts[2:]) >= 5
    assert tokenizer.word_counts[2:] == sorted(tokenizer.word_counts[2:], reverse=True)


def test_skipgram_learns_analogies_and_neighbours_far_above_random(trained_skipgram):
    model, tokenizer, stats = trained_skipgram
    vectors = model.word2vec.word_vectors(tokenizer)
    trained = vectors.evaluate_word_analogies(data_path(ANALOGIES))
    random = random_baseline(vectors).evaluate_word_analogies(data_path(ANALOGIES))
    assert trained.questions - trained.oov_questions > 800
    assert trained.accuracy > 0.04 > random.accuracy + 0.03
    assert "silver" in [word for word, _ in vectors.most_similar("gold", topn=3)]
    assert stats.loss_per_epoch[-1] < stats.loss_per_epoch[0]
    assert np.all(model.word2vec.embeddings.weight[0].detach().numpy() == 0)


@pytest.mark.parametrize(
    ("architecture", "objective"), [("cbow", "negative"), ("skipgram", "hierarchical"), ("cbow", "both")]
)
def test_every_architecture_and_objective_learns(kjv_path, architecture, objective):
    config = Word2VecConfig(
        vector_size=40,
        epochs=2,
        architecture=architecture,
        objective=objective,
        alpha=0.05 if architecture == "cbow" else 0.025,
    )
    model, tokenizer, _ = pretrain_word2vec(config, Word2VecTrainingArguments(corpus=[str(kjv_path)], progress=False))
    vectors = model.word2vec.word_vectors(tokenizer)
    related = vectors.similarity("gold", "silver") - np.mean(
        [vectors.similarity("gold", word) for word in ("said", "unto", "him", "when", "because")]
    )
    assert related > 0.2


def test_training_is_reproducible_with_one_thread(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 50, encoding="utf-8")
    config = dict(vector_size=8, epochs=2, min_count=1, window=2)
    args = Word2VecTrainingArguments(corpus=[str(corpus)], workers=1, progress=False)
    first, _, _ = pretrain_word2vec(Word2VecConfig(**config), args)
    second, _, _ = pretrain_word2vec(Word2VecConfig(**config), args)
    assert np.array_equal(first.word2vec.embeddings.weight.detach(), second.word2vec.embeddings.weight.detach())


def test_empty_corpus_is_an_error_naming_the_file(tmp_path):
    corpus = tmp_path / "blank.txt"
    corpus.write_text("\n\n   \n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"blank.txt: the corpus has no words \(3 lines read\)"):
        build_tokenizer([str(corpus)], min_count=1, progress=False)


def test_corpus_below_min_count_is_an_error_naming_min_count(tmp_path):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text("one two three\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="min_count=5"):
        build_tokenizer([str(corpus)], min_count=5, progress=False)


def test_missing_corpus_is_an_error_naming_the_file(tmp_path):
    with pytest.raises(InputFileError, match=r"nowhere.txt: corpus file does not exist"):
        build_tokenizer([str(tmp_path / "nowhere.txt")], min_count=1, progress=False)


def test_blocks_beyond_the_cache_budget_are_streamed_again(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("alpha beta gamma delta\n" * 400, encoding="utf-8")
    config = Word2VecConfig(vector_size=8, epochs=2, min_count=1)
    args = Word2VecTrainingArguments(corpus=[str(corpus)], block_lines=50, token_cache_bytes=1000, progress=False)
    model, _, stats = pretrain_word2vec(config, args)
    assert stats.corpus_words == 1600
    assert len(stats.loss_per_epoch) == 2


def test_epochs_read_from_the_token_cache_train_as_epochs_read_from_the_text(kjv_path):
    config = dict(vector_size=20, epochs=2, min_count=5)
    weights = []
    for cache_bytes in (2**30, 0):
        args = Word2VecTrainingArguments(
            corpus=[str(kjv_path)], workers=1, block_lines=4096, token_cache_bytes=cache_bytes, progress=False
        )
        model, _, _ = pretrain_word2vec(Word2VecConfig(**config), args)
        weights.append(model.word2vec.embeddings.weight.detach())
    assert np.array_equal(weights[0], weights[1])


@pytest.mark.parametrize("cache_bytes", [2**20, 0])
def test_a_block_of_blank_lines_does_not_end_the_epoch(tmp_path, cache_bytes):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("alpha beta gamma\n" * 4 + "\n" * 4 + "delta alpha beta\n" * 4, encoding="utf-8")
    config = Word2VecConfig(vector_size=8, epochs=2, min_count=1, sample=0)
    args = Word2VecTrainingArguments(corpus=[str(corpus)], block_lines=4, token_cache_bytes=cache_bytes, progress=False)
    _, _, stats = pretrain_word2vec(config, args)
    assert stats.effective_words == 2 * 24
