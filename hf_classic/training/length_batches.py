"""Batches of similar lengths in random order, for a DataLoader that cuts the sampled indices into batches.

OpenNMT-py's buckets: each epoch the examples are sorted by (source length, target length), ties in random
order, cut into batches and the batches shuffled. transformers' `LengthGroupedSampler` instead sorts random
mega-batches by decreasing length and keeps that order, so the updates sweep from long to short sentences a
few times an epoch and every epoch ends on a run of the shortest ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch.utils.data import Sampler
from transformers import Seq2SeqTrainer

from ..errors import HfClassicError


class LengthBucketSampler(Sampler[int]):
    """Indices of one epoch whose consecutive runs of `batch_size` are batches of similar lengths, in random order.

    `lengths`: one sort key per example (e.g. `(source length, target length)`). Each epoch (`set_epoch`, or the
    next one after each pass) draws a permutation from `seed + epoch`, sorts it stably by key, cuts it into
    batches and shuffles them. When `batch_size` does not divide the number of examples, a randomly placed one
    of the sorted batches is the short one, and it comes last, as a DataLoader that chunks the indices needs.
    """

    def __init__(self, lengths: Sequence, batch_size: int, seed: int = 0):
        if batch_size < 1:
            raise HfClassicError(f"batch_size={batch_size}: expected at least 1")
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.lengths)

    def batches(self) -> list[list[int]]:
        """The batches of the current epoch, in training order."""
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        permutation = torch.randperm(len(self.lengths), generator=generator).tolist()
        ordered = sorted(permutation, key=lambda index: self.lengths[index])
        full, rest = divmod(len(ordered), self.batch_size)
        sizes = [self.batch_size] * full
        short = int(torch.randint(full + 1, (1,), generator=generator)) if rest else None
        if short is not None:
            sizes.insert(short, rest)
        batches, start = [], 0
        for size in sizes:
            batches.append(ordered[start : start + size])
            start += size
        last = batches.pop(short) if short is not None else None
        batches = [batches[index] for index in torch.randperm(len(batches), generator=generator).tolist()]
        return batches + ([last] if last is not None else [])

    def __iter__(self) -> Iterator[int]:
        batches = self.batches()
        self.epoch += 1
        return iter([index for batch in batches for index in batch])


class LengthBucketSeq2SeqTrainer(Seq2SeqTrainer):
    """`Seq2SeqTrainer` whose training batches come from a `LengthBucketSampler` keyed by (source length, target
    length) of the training set's `input_ids` and `labels`; evaluation keeps the data order."""

    def _get_train_sampler(self, train_dataset=None) -> LengthBucketSampler:
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        keys = zip((len(ids) for ids in dataset["input_ids"]), (len(ids) for ids in dataset["labels"]), strict=True)
        return LengthBucketSampler(list(keys), self.args.train_batch_size, seed=self.args.seed)


__all__ = ["LengthBucketSampler", "LengthBucketSeq2SeqTrainer"]
