"""ELMo pre-training: vocabulary, learning beyond a unigram model, exact resume, CLI, several processes."""

import json
import random
import subprocess
import sys
from collections import Counter

import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from hf_classic import cli
from hf_classic.elmo import ElmoConfig
from hf_classic.training.elmo_trainer import (
    ElmoTrainer,
    ElmoTrainingArguments,
    build_vocabulary,
    pretrain_elmo,
)

TINY = dict(char_embedding_dim=4, filters=[[1, 8], [2, 8], [3, 16]], n_highway=1, lstm_dim=32, projection_dim=16)


@pytest.fixture(scope="module")
def grammar_corpus(tmp_path_factory):
    """600 sentences of a small grammar ("the dog saw a cat ."), one a line, made with a fixed seed."""
    rng = random.Random(0)
    nouns, verbs = ["dog", "cat", "bird", "horse", "king", "child"], ["saw", "chased", "fed", "heard", "found"]
    lines = []
    for _ in range(600):
        sentence = [rng.choice(["the", "a"]), rng.choice(nouns), rng.choice(verbs), rng.choice(["the", "a"])]
        sentence += [rng.choice(nouns), rng.choice([".", "today .", "again ."])]
        lines.append(" ".join(sentence))
    path = tmp_path_factory.mktemp("corpus") / "grammar.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def arguments(corpus, **kwargs) -> ElmoTrainingArguments:
    values = dict(corpus=[str(corpus)], batch_size=16, heldout_lines=100, progress=False, learning_rate=1.0)
    return ElmoTrainingArguments(**{**values, **kwargs})


def test_vocabulary_has_the_boundary_words_then_words_by_decreasing_count():
    counts = Counter({"the": 5, "cat": 2, "<UNK>": 1, "sat": 2, "rare": 1})
    assert build_vocabulary(counts, max_vocab_size=3, min_count=2) == ["<S>", "</S>", "<UNK>", "the", "cat", "sat"]


def test_pre_training_beats_the_unigram_model_on_held_out_lines(grammar_corpus):
    torch.manual_seed(0)
    model, tokenizer, summary = pretrain_elmo(ElmoConfig(**TINY, lm_dropout=0.0), arguments(grammar_corpus, epochs=2))
    heldout = summary["heldout"]
    assert heldout["sentences"] == 100 and summary["training_sentences"] == 500
    assert summary["steps"] == 2 * 32 and summary["tokens"] > 0
    assert heldout["forward_perplexity"] < 0.6 * heldout["unigram_perplexity"]
    assert heldout["backward_perplexity"] < 0.6 * heldout["unigram_perplexity"]
    assert summary["loss_per_epoch"][1] < summary["loss_per_epoch"][0]


def test_resumed_run_equals_the_uninterrupted_run(grammar_corpus, tmp_path):
    config = dict(**TINY, lm_dropout=0.2, n_negative_samples_batch=8)
    settings = dict(epochs=2, checkpoint_every_seconds=0, batch_size=64)  # 8 steps an epoch
    whole, _, _ = pretrain_elmo(ElmoConfig(**config), arguments(grammar_corpus, max_steps=12, **settings))
    checkpoint = tmp_path / "checkpoint"
    first = arguments(grammar_corpus, max_steps=10, checkpoint_dir=str(checkpoint), **settings)
    pretrain_elmo(ElmoConfig(**config), first)
    state = json.loads((checkpoint / "training_state.json").read_text())
    assert (state["steps"], state["epoch"], state["batches_done"]) == (10, 1, 2)
    rest = arguments(grammar_corpus, max_steps=12, **settings)
    resumed, _, summary = pretrain_elmo(ElmoConfig(**config), rest, resume_from=checkpoint)
    assert summary["steps"] == 12
    for (name, expected), (_, found) in zip(whole.state_dict().items(), resumed.state_dict().items(), strict=True):
        assert torch.equal(expected, found), name


def test_resume_refuses_another_corpus(grammar_corpus, tmp_path):
    checkpoint = tmp_path / "checkpoint"
    pretrain_elmo(
        ElmoConfig(**TINY),
        arguments(grammar_corpus, max_steps=1, checkpoint_dir=str(checkpoint), checkpoint_every_seconds=0),
    )
    other = tmp_path / "other.txt"
    other.write_text("a cat .\n" * 200)
    with pytest.raises(ValueError, match="checkpoint was made on corpus"):
        ElmoTrainer.from_checkpoint(checkpoint, arguments(other))


def test_cli_pretrain_writes_a_model_that_auto_classes_load_and_removes_its_checkpoint(
    grammar_corpus, tmp_path, monkeypatch
):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("hf_classic.commands.elmo",))
    output = tmp_path / "elmo"
    status = cli.main(
        ["pretrain", "elmo", "--corpus", str(grammar_corpus), "--output", str(output), "--lstm-dim", "32",
         "--projection-dim", "16", "--filters", "1x8,2x8", "--char-embedding-dim", "4", "--max-steps", "5",
         "--heldout-lines", "50", "--batch-size", "8", "--checkpoint-every", "0", "--no-progress"]
    )  # fmt: skip
    assert status == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["elmo"]  # the checkpoint is removed once done
    summary = json.loads((output / "training_summary.json").read_text())
    assert summary["steps"] == 5 and summary["heldout"]["sentences"] == 50 and summary["tokens_per_second"] > 0
    tokenizer, model = AutoTokenizer.from_pretrained(output), AutoModel.from_pretrained(output)
    assert tokenizer.vocab_size == summary["vocab_size"]
    assert model(**tokenizer("the cat saw a dog .", return_tensors="pt")).last_hidden_state.shape == (1, 6, 32)


@pytest.mark.slow
def test_two_processes_train_one_model(grammar_corpus, tmp_path):
    output = tmp_path / "elmo"
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines",
        "1", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "hf_classic", "pretrain", "elmo",
        "--corpus", str(grammar_corpus), "--output", str(output), "--lstm-dim", "32", "--projection-dim", "16",
        "--filters", "1x8,2x8,3x16", "--char-embedding-dim", "4", "--epochs", "2", "--heldout-lines", "100",
        "--batch-size", "8", "--lm-dropout", "0", "--learning-rate", "1.0", "--no-progress",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((output / "training_summary.json").read_text())
    assert summary["processes"] == 2 and summary["steps"] == 2 * 32
    assert summary["heldout"]["forward_perplexity"] < 0.6 * summary["heldout"]["unigram_perplexity"]
