"""Analogy and word-pair scores of word vectors, as one summary (what `hf-classic evaluate` and the demo print)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import numpy as np

from ..utils.files import existing_file
from ..word2vec.keyed_vectors import WordVectors


@dataclass
class WordVectorScores:
    """Scores of one set of vectors; None where that test was not run."""

    analogy_accuracy: float | None = None
    analogy_questions: int | None = None
    analogy_answered: int | None = None
    word_pairs_spearman: float | None = None
    word_pairs_pearson: float | None = None
    word_pairs_used: int | None = None
    word_pairs_oov_percent: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def evaluate_word_vectors(
    vectors: WordVectors,
    analogies: str | os.PathLike | None = None,
    word_pairs: str | os.PathLike | None = None,
    restrict_vocab: int = 300000,
) -> WordVectorScores:
    """Run gensim-style analogy (3CosAdd, top-1) and word-pair (Spearman, Pearson) evaluations."""
    scores = WordVectorScores()
    if analogies is not None:
        result = vectors.evaluate_word_analogies(existing_file(analogies, "analogy file"), restrict_vocab)
        scores.analogy_accuracy = result.accuracy
        scores.analogy_questions = result.questions
        scores.analogy_answered = result.questions - result.oov_questions
    if word_pairs is not None:
        result = vectors.evaluate_word_pairs(existing_file(word_pairs, "word-pair file"), restrict_vocab=restrict_vocab)
        scores.word_pairs_spearman = result.spearman
        scores.word_pairs_pearson = result.pearson
        scores.word_pairs_used = result.pairs
        scores.word_pairs_oov_percent = result.oov_ratio
    return scores


def random_baseline(vectors: WordVectors, seed: int = 0) -> WordVectors:
    """Vectors of the same words and shape drawn at random: the floor any trained model must clear."""
    rng = np.random.default_rng(seed)
    return WordVectors(vectors.index_to_key, rng.standard_normal(vectors.vectors.shape).astype(np.float32))


def format_scores(scores: WordVectorScores, label: str = "") -> str:
    """Human-readable lines for `scores`."""
    lines = []
    prefix = f"{label}: " if label else ""
    if scores.analogy_accuracy is not None:
        lines.append(
            f"{prefix}analogy accuracy {scores.analogy_accuracy:.4f} "
            f"({scores.analogy_answered} of {scores.analogy_questions} questions in vocabulary)"
        )
    if scores.word_pairs_spearman is not None:
        lines.append(
            f"{prefix}word-pair Spearman {scores.word_pairs_spearman:.4f}, Pearson {scores.word_pairs_pearson:.4f} "
            f"({scores.word_pairs_used} pairs, {scores.word_pairs_oov_percent:.1f}% out of vocabulary)"
        )
    return "\n".join(lines)
