"""Length-bucketed training batches (OpenNMT-py's buckets): similar lengths within a batch, batches in random order."""

import random
from pathlib import Path

import pytest
from datasets import Dataset
from transformers import DataCollatorForSeq2Seq, Seq2SeqTrainingArguments

from hf_classic.errors import HfClassicError
from hf_classic.rnn_seq2seq import RnnSeq2SeqConfig, RnnSeq2SeqForConditionalGeneration
from hf_classic.training.length_batches import LengthBucketSampler, LengthBucketSeq2SeqTrainer
from hf_classic.training.rnn_seq2seq_translation import TranslationTraining, build_tokenizer, read_parallel

DATA = Path(__file__).parents[1] / "fixtures" / "rnn_seq2seq"


def batches_of(indices, batch_size):
    return [indices[start : start + batch_size] for start in range(0, len(indices), batch_size)]


def assert_length_buckets(batches, keys):
    """Each batch covers its own stretch of the sorted keys: no batch's keys fall strictly inside another's."""
    spans = sorted((min(keys[i] for i in batch), max(keys[i] for i in batch)) for batch in batches)
    for (_, high), (low, _) in zip(spans, spans[1:], strict=False):
        assert high <= low


def test_every_example_once_per_epoch_in_length_buckets_in_random_order():
    rng = random.Random(0)
    keys = [(rng.randint(1, 30), rng.randint(1, 30)) for _ in range(1003)]
    sampler = LengthBucketSampler(keys, batch_size=32, seed=5)
    epochs = [list(sampler) for _ in range(3)]
    for indices in epochs:
        assert sorted(indices) == list(range(len(keys)))
        batches = batches_of(indices, 32)
        assert [len(batch) for batch in batches] == [32] * 31 + [11]
        assert_length_buckets(batches, keys)
        # Random order: the batches' smallest keys do not run up or down the sorted order.
        firsts = [min(keys[i] for i in batch) for batch in batches[:-1]]
        assert firsts not in (sorted(firsts), sorted(firsts, reverse=True))
    assert epochs[0] != epochs[1] != epochs[2]
    # Deterministic for a seed and an epoch.
    sampler.set_epoch(1)
    assert list(sampler) == epochs[1]
    assert list(LengthBucketSampler(keys, batch_size=32, seed=5)) == epochs[0]
    assert list(LengthBucketSampler(keys, batch_size=32, seed=6)) != epochs[0]


def test_the_short_batch_comes_last_but_its_lengths_vary():
    keys = list(range(100))
    shortest = set()
    for epoch in range(20):
        sampler = LengthBucketSampler(keys, batch_size=30, seed=0)
        sampler.set_epoch(epoch)
        last = list(sampler)[90:]
        assert len(last) == 10 and max(last) - min(last) == 9
        shortest.add(min(last))
    assert len(shortest) > 1
    assert [len(batch) for batch in batches_of(list(LengthBucketSampler(keys, batch_size=25)), 25)] == [25] * 4


def test_batch_size_below_one_is_rejected():
    with pytest.raises(HfClassicError, match="batch_size=0"):
        LengthBucketSampler([1, 2], batch_size=0)


def test_the_trainer_batches_django_strings_by_source_and_target_length(tmp_path):
    pairs = read_parallel(DATA / "django.en", DATA / "django.fr")[:200]
    tokenizer = build_tokenizer(pairs, TranslationTraining())
    encoded = tokenizer([s for s, _ in pairs], text_target=[t for _, t in pairs])
    config = RnnSeq2SeqConfig(
        vocab_size=len(tokenizer.source_backend.get_vocab()),
        decoder_vocab_size=tokenizer.target_vocab_size,
        embedding_size=8,
        hidden_size=8,
    )
    trainer = LengthBucketSeq2SeqTrainer(
        model=RnnSeq2SeqForConditionalGeneration(config),
        args=Seq2SeqTrainingArguments(
            output_dir=str(tmp_path), per_device_train_batch_size=16, use_cpu=True, report_to="none", seed=3
        ),
        train_dataset=Dataset.from_dict(dict(encoded)),
        data_collator=DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100),
        processing_class=tokenizer,
    )
    keys = [(len(s), len(t)) for s, t in zip(encoded["input_ids"], encoded["labels"], strict=True)]
    seen, spans = [], []
    for batch in trainer.get_train_dataloader():
        rows = list(
            zip(batch["attention_mask"].sum(1).tolist(), (batch["labels"] != -100).sum(1).tolist(), strict=True)
        )
        seen += rows
        spans.append((min(rows), max(rows)))
    assert sorted(seen) == sorted(keys)
    assert len(spans) == 13
    assert all(high <= low for (_, high), (low, _) in zip(sorted(spans), sorted(spans)[1:], strict=False))
    assert spans[:-1] != sorted(spans[:-1])
