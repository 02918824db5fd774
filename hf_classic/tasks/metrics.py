"""Scores of downstream predictions: accuracy and macro F1 for labels, seqeval's F1 for tag sequences, and
the majority-class baseline they are compared with."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np


def accuracy(predictions: Sequence[int], gold: Sequence[int]) -> float:
    """Fraction of positions where `predictions` equals `gold` (0.0 when empty)."""
    predictions, gold = np.asarray(predictions), np.asarray(gold)
    return float((predictions == gold).mean()) if gold.size else 0.0


def macro_f1(predictions: Sequence[int], gold: Sequence[int], num_labels: int) -> float:
    """Unweighted mean over the labels that occur in `gold` or `predictions` of `F1 = 2 TP / (2 TP + FP + FN)`."""
    predictions, gold = np.asarray(predictions), np.asarray(gold)
    scores = []
    for label in range(num_labels):
        predicted, actual = predictions == label, gold == label
        if not predicted.any() and not actual.any():
            continue
        true_positives = np.sum(predicted & actual)
        scores.append(2 * true_positives / (predicted.sum() + actual.sum()))
    return float(np.mean(scores)) if scores else 0.0


def label_metrics(predictions: Sequence[int], gold: Sequence[int], num_labels: int) -> dict[str, float]:
    """`accuracy` and `macro_f1` of one label per example."""
    return {"accuracy": accuracy(predictions, gold), "macro_f1": macro_f1(predictions, gold, num_labels)}


def tag_metrics(predicted: list[list[str]], gold: list[list[str]], tag_names: Sequence[str]) -> dict[str, float]:
    """Token `accuracy`, `macro_f1` over the tags, and seqeval's micro `seqeval_f1`.

    seqeval scores chunks of IOB tags; part-of-speech tags have no chunks, so each tag `T` is read as `B-T`,
    a one-word chunk, and seqeval's F1 counts a word right when its chunk type is right.
    """
    from seqeval.metrics import f1_score

    index = {name: position for position, name in enumerate(tag_names)}
    flat_predicted = [index[tag] for sentence in predicted for tag in sentence]
    flat_gold = [index[tag] for sentence in gold for tag in sentence]
    metrics = label_metrics(flat_predicted, flat_gold, len(tag_names))
    as_chunks = [[[f"B-{tag}" for tag in sentence] for sentence in sentences] for sentences in (gold, predicted)]
    metrics["seqeval_f1"] = float(f1_score(*as_chunks))
    return metrics


def majority_label_metrics(train_labels: Sequence[int], test_labels: Sequence[int], num_labels: int) -> dict:
    """Scores of always predicting the most frequent training label; the label is under `majority_label`."""
    majority = Counter(train_labels).most_common(1)[0][0]
    return {"majority_label": majority, **label_metrics([majority] * len(test_labels), test_labels, num_labels)}


def majority_tag_metrics(train_tags: list[list[str]], test_tags: list[list[str]], tag_names: Sequence[str]) -> dict:
    """Scores of tagging every word with the most frequent training tag."""
    majority = Counter(tag for sentence in train_tags for tag in sentence).most_common(1)[0][0]
    predicted = [[majority] * len(sentence) for sentence in test_tags]
    return {"majority_label": majority, **tag_metrics(predicted, test_tags, tag_names)}


__all__ = [
    "accuracy",
    "label_metrics",
    "macro_f1",
    "majority_label_metrics",
    "majority_tag_metrics",
    "tag_metrics",
]
