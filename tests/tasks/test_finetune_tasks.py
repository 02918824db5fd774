"""The fine-tuning driver: a short Trainer run on small real samples, saved folders, label alignment."""

import json
from pathlib import Path

import pytest
import torch
from huggingface_hub import ModelCard
from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

from hf_classic import ElmoConfig, ElmoTokenizer
from hf_classic.elmo.modeling_elmo import ElmoForTokenClassification
from hf_classic.errors import HfClassicError, InputFileError, OutputExistsError
from hf_classic.tasks.data import (
    build_dataset_dict,
    classification_features,
    load_next_verse_pairs,
    read_brown_lines,
    read_rotten_tomatoes,
    tagging_features,
)
from hf_classic.tasks.finetune import FinetuneOptions, TaskCollator, aligned_word_labels, finetune
from hf_classic.tasks.metrics import macro_f1, tag_metrics

FIXTURES = Path(__file__).parent.parent / "fixtures" / "tasks"


@pytest.fixture(scope="module")
def word2vec_dir(trained_skipgram, tmp_path_factory):
    model, tokenizer, _ = trained_skipgram
    path = tmp_path_factory.mktemp("w2v") / "kjv-skipgram"
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def reviews():
    records = read_rotten_tomatoes(FIXTURES / "rotten_tomatoes_sample.csv")
    return build_dataset_dict(records, classification_features(), 0.2, 0.2, seed=1)


@pytest.fixture(scope="module")
def brown():
    records = read_brown_lines((FIXTURES / "brown_sample.txt").read_text(encoding="utf-8").splitlines())
    return build_dataset_dict(records, tagging_features(), 0.2, 0.2, seed=1)


def test_classification_run_on_real_reviews_beats_the_majority_baseline(word2vec_dir, reviews, tmp_path):
    options = FinetuneOptions(
        task="classification",
        model_dir=str(word2vec_dir),
        head_encoder="none",
        head_pooling="mean",
        epochs=10,
        learning_rate=0.01,
        threads=2,
    )
    output = tmp_path / "sentiment"
    metrics = finetune(options, output, dataset=reviews)
    baseline = metrics["majority_baseline"]
    assert metrics["train_examples"] == 360
    assert metrics["last_train_loss"] < metrics["first_train_loss"]
    assert metrics["test"]["accuracy"] > baseline["accuracy"] + 0.05
    assert metrics["test"]["macro_f1"] > baseline["macro_f1"] + 0.1
    saved = json.loads((output / "task_metrics.json").read_text())
    assert saved["test"]["accuracy"] == metrics["test"]["accuracy"]
    classifier = pipeline("text-classification", model=str(output))
    assert classifier("a moving , funny and wise film")[0]["label"] in ("rotten", "fresh")
    model = AutoModelForSequenceClassification.from_pretrained(output)
    assert model.config.id2label == {0: "rotten", 1: "fresh"}


def test_frozen_run_leaves_the_word_vectors_unchanged(word2vec_dir, reviews, tmp_path):
    options = FinetuneOptions(
        task="classification", model_dir=str(word2vec_dir), freeze_pretrained=True, max_steps=3, threads=2
    )
    metrics = finetune(options, tmp_path / "frozen", dataset=reviews)
    assert metrics["trainable_parameters"] < metrics["parameters"]
    before = AutoModelForSequenceClassification.from_pretrained(word2vec_dir, num_labels=2)
    after = AutoModelForSequenceClassification.from_pretrained(tmp_path / "frozen")
    assert torch.equal(before.get_input_embeddings().weight, after.get_input_embeddings().weight)
    assert not torch.equal(before.head.classifier.weight, after.head.classifier.weight)


def test_fine_tuned_folder_has_a_card_with_task_bottom_and_scores(word2vec_dir, reviews, tmp_path):
    options = FinetuneOptions(
        task="classification", model_dir=str(word2vec_dir), freeze_pretrained=True, max_steps=2, threads=2
    )
    metrics = finetune(options, tmp_path / "carded", dataset=reviews)
    card = ModelCard.load(tmp_path / "carded" / "README.md")
    assert card.data.library_name == "transformers" and card.data.pipeline_tag == "text-classification"
    assert {"hf-classic", "word2vec", "custom_code"} <= set(card.data.tags)
    assert "Rotten Tomatoes" in card.content and "kjv-skipgram" in card.content and "frozen" in card.content
    assert f"| test accuracy | {metrics['test']['accuracy']:.4f} |" in card.content
    assert "| majority-class baseline, test accuracy |" in card.content
    assert "trust_remote_code=True" in card.content


def test_pairs_run_marks_the_boundary_and_saves_the_markers(word2vec_dir, tmp_path):
    pairs = load_next_verse_pairs(seed=1)
    small = {name: split.select(range(64)) for name, split in pairs.items()}
    options = FinetuneOptions(task="pairs", model_dir=str(word2vec_dir), max_steps=2, threads=2, freeze_pretrained=True)
    finetune(options, tmp_path / "pairs", dataset=small)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "pairs")
    encoded = tokenizer("In the beginning", "And the earth")
    assert tokenizer.convert_ids_to_tokens(encoded["input_ids"]) == [
        "<s>",
        "in",
        "the",
        "beginning",
        "<sep>",
        "and",
        "the",
        "earth",
        "</s>",
    ]
    weight = AutoModelForSequenceClassification.from_pretrained(tmp_path / "pairs").get_input_embeddings().weight
    markers = weight[-3:]
    assert weight.shape[0] == len(tokenizer)
    assert not torch.allclose(markers[0], markers[1]) and not torch.allclose(markers[1], markers[2])


@pytest.mark.slow
def test_tagging_run_scores_with_seqeval_and_beats_the_majority_tag(word2vec_dir, brown):
    options = FinetuneOptions(task="tagging", model_dir=str(word2vec_dir), epochs=4, learning_rate=0.005, threads=2)
    metrics = finetune(options, None, dataset=brown)
    assert metrics["majority_baseline"]["majority_label"] == "NOUN"
    assert metrics["test"]["seqeval_f1"] > metrics["majority_baseline"]["seqeval_f1"] + 0.2
    assert 0 < metrics["test"]["accuracy"] <= 1


def test_random_init_keeps_the_shape_but_not_the_vectors(word2vec_dir, reviews):
    options = FinetuneOptions(task="classification", model_dir=str(word2vec_dir), random_init=True, max_steps=1)
    metrics = finetune(options, None, dataset=reviews)
    assert metrics["init"] == "random"
    assert (
        metrics["parameters"]
        == finetune(
            FinetuneOptions(task="classification", model_dir=str(word2vec_dir), max_steps=1), None, dataset=reviews
        )["parameters"]
    )


def test_word2vec_tagging_labels_go_on_the_first_piece_of_each_word(word2vec_dir):
    tokenizer = AutoTokenizer.from_pretrained(word2vec_dir)
    collator = TaskCollator(tokenizer, "tagging", "word2vec", max_length=16)
    batch = collator([{"tokens": ["Atlanta's", "jury"], "tags": [0, 1]}, {"tokens": ["God"], "tags": [4]}])
    assert batch["labels"].tolist() == [[0, -100, -100, 1], [4, -100, -100, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 0, 0, 0]]


def test_elmo_tagging_batch_has_one_label_per_word():
    collator = TaskCollator(ElmoTokenizer(), "tagging", "elmo", max_length=2)
    batch = collator([{"tokens": ["I", "play", "ball"], "tags": [4, 1, 0]}, {"tokens": ["Go"], "tags": [1]}])
    assert batch["input_ids"].shape == (2, 2, 50)
    assert batch["labels"].tolist() == [[4, 1], [1, -100]]
    config = ElmoConfig(lstm_dim=16, projection_dim=8, filters=[[1, 4], [2, 4]], num_labels=12, vocab_size=10)
    assert ElmoForTokenClassification(config)(**batch).loss.isfinite()


def test_aligned_word_labels_skips_special_tokens_and_later_pieces():
    assert aligned_word_labels([None, 0, 0, 1, None], [7, 8]) == [-100, 7, -100, 8, -100]


def test_metrics_on_hand_counted_examples():
    assert macro_f1([0, 0, 1, 1], [0, 1, 1, 1], 2) == pytest.approx((2 / 3 + 4 / 5) / 2)
    scores = tag_metrics([["NOUN", "VERB"], ["DET"]], [["NOUN", "NOUN"], ["DET"]], ["NOUN", "VERB", "DET"])
    assert scores["accuracy"] == pytest.approx(2 / 3)
    assert scores["seqeval_f1"] == pytest.approx(2 / 3)


def test_bad_options_and_folders_are_refused(word2vec_dir, tmp_path):
    with pytest.raises(HfClassicError, match="task='ner'"):
        FinetuneOptions(task="ner", model_dir=str(word2vec_dir))
    with pytest.raises(HfClassicError, match="head_encoder='gru'"):
        FinetuneOptions(task="pairs", model_dir=str(word2vec_dir), head_encoder="gru")
    with pytest.raises(InputFileError, match="does not exist"):
        finetune(FinetuneOptions(task="pairs", model_dir=str(tmp_path / "none")), None)
    (tmp_path / "taken").mkdir()
    with pytest.raises(OutputExistsError, match="--overwrite"):
        finetune(FinetuneOptions(task="pairs", model_dir=str(word2vec_dir)), tmp_path / "taken")
