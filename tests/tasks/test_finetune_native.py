"""The fine-tuning driver on transformers' own BERT and GPT-2 bottoms (the later generations of the lineage)."""

import gzip
from pathlib import Path

import pytest
import torch
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    BertConfig,
    BertForPreTraining,
    GPT2Config,
    GPT2LMHeadModel,
)

from hf_classic.data import KJV_CORPUS, data_path
from hf_classic.tasks.data import (
    build_dataset_dict,
    classification_features,
    load_next_verse_pairs,
    read_brown_lines,
    read_rotten_tomatoes,
    tagging_features,
)
from hf_classic.tasks.finetune import FinetuneOptions, finetune
from hf_classic.training.subword_tokenizers import train_bert_tokenizer, train_gpt_tokenizer

FIXTURES = Path(__file__).parent.parent / "fixtures" / "tasks"


def kjv_lines(count: int = 3000) -> list[str]:
    with gzip.open(data_path(KJV_CORPUS), "rt", encoding="utf-8") as handle:
        return [next(handle).strip() for _ in range(count)]


@pytest.fixture(scope="module")
def native_dirs(tmp_path_factory) -> dict[str, Path]:
    """Tiny BERT and GPT-2 folders with subword tokenizers learnt on KJV lines (random weights: the driver's
    plumbing is under test here, not what pre-training buys)."""
    root = tmp_path_factory.mktemp("native")
    lines = kjv_lines()
    torch.manual_seed(0)
    bert_tokenizer = train_bert_tokenizer(lines, vocab_size=800, model_max_length=64)
    bert = BertForPreTraining(
        BertConfig(vocab_size=len(bert_tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                   intermediate_size=64, max_position_embeddings=64)
    )  # fmt: skip
    gpt_tokenizer = train_gpt_tokenizer(lines, vocab_size=800, model_max_length=64)
    gpt = GPT2LMHeadModel(GPT2Config(vocab_size=len(gpt_tokenizer), n_embd=32, n_layer=1, n_head=2, n_positions=64))
    for name, model, tokenizer in (("bert", bert, bert_tokenizer), ("gpt2", gpt, gpt_tokenizer)):
        model.save_pretrained(root / name)
        tokenizer.save_pretrained(root / name)
    return {"bert": root / "bert", "gpt2": root / "gpt2"}


def small(dataset, count=48):
    return {name: split.select(range(min(count, len(split)))) for name, split in dataset.items()}


@pytest.fixture(scope="module")
def task_data():
    reviews = read_rotten_tomatoes(FIXTURES / "rotten_tomatoes_sample.csv")
    brown = read_brown_lines((FIXTURES / "brown_sample.txt").read_text(encoding="utf-8").splitlines())
    return {
        "classification": small(build_dataset_dict(reviews, classification_features(), 0.2, 0.2, seed=1)),
        "tagging": small(build_dataset_dict(brown, tagging_features(), 0.2, 0.2, seed=1)),
        "pairs": small(load_next_verse_pairs(seed=1)),
    }


@pytest.mark.parametrize("family", ["bert", "gpt2"])
@pytest.mark.parametrize("task", ["classification", "tagging", "pairs"])
def test_native_bottoms_train_on_every_task_and_freeze_keeps_the_transformer(
    family, task, native_dirs, task_data, tmp_path
):
    options = FinetuneOptions(
        task=task, model_dir=str(native_dirs[family]), freeze_pretrained=True, max_steps=2, threads=1
    )
    metrics = finetune(options, tmp_path / "out", dataset=task_data[task])
    assert metrics["family"] == family and metrics["steps"] == 2
    assert 0 < metrics["trainable_parameters"] < metrics["parameters"] / 2
    assert 0 <= metrics["test"]["accuracy"] <= 1
    reloaded = AutoTokenizer.from_pretrained(tmp_path / "out")
    if task == "pairs":
        tokens = reloaded.convert_ids_to_tokens(reloaded("In the beginning", "And God said")["input_ids"])
        separator = "[SEP]" if family == "bert" else "<sep>"
        assert tokens.count(separator) == (2 if family == "bert" else 1) and tokens[-1] in ("[SEP]", "</s>")


def test_frozen_bert_keeps_its_weights_and_trains_its_classifier(native_dirs, task_data, tmp_path):
    options = FinetuneOptions(task="classification", model_dir=str(native_dirs["bert"]), freeze_pretrained=True,
                              max_steps=3, learning_rate=0.05, threads=1)  # fmt: skip
    finetune(options, tmp_path / "frozen", dataset=task_data["classification"])
    before = AutoModelForSequenceClassification.from_pretrained(native_dirs["bert"], num_labels=2)
    after = AutoModelForSequenceClassification.from_pretrained(tmp_path / "frozen")
    for (name, old), (_, new) in zip(before.bert.named_parameters(), after.bert.named_parameters(), strict=True):
        assert torch.equal(old, new), name
    assert not torch.equal(before.classifier.weight, after.classifier.weight)
