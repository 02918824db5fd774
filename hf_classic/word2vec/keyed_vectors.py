"""Queries on a set of word vectors, with gensim `KeyedVectors` semantics.

`most_similar`, `similarity`, `evaluate_word_analogies` and `evaluate_word_pairs` give the same answers as
gensim's methods of the same names on the same vectors; out-of-vocabulary words raise
`WordNotInVocabularyError` naming the word.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np


def open_text(path: str | os.PathLike):
    """Open a UTF-8 text file for reading, gzip-compressed if its name ends in `.gz`."""
    if str(path).endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


class WordNotInVocabularyError(KeyError):
    """A queried word has no vector."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass
class AnalogySection:
    """One section (`: capital-common-countries`, ...) of an analogy file: questions answered right and wrong."""

    section: str
    correct: list[tuple[str, str, str, str]] = field(default_factory=list)
    incorrect: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        total = len(self.correct) + len(self.incorrect)
        return len(self.correct) / total if total else 0.0


@dataclass
class AnalogyScores:
    """Result of `evaluate_word_analogies`: overall accuracy, per-section results, questions skipped as OOV."""

    accuracy: float
    sections: list[AnalogySection]
    questions: int
    oov_questions: int


@dataclass
class WordPairScores:
    """Result of `evaluate_word_pairs`: correlations of model cosine with human scores, and OOV share (%)."""

    pearson: float
    spearman: float
    oov_ratio: float
    pairs: int


def rank_with_ties(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of `values`, tied values sharing the mean of their ranks (as Spearman's rho needs)."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    starts = np.r_[True, sorted_values[1:] != sorted_values[:-1]]
    group = np.cumsum(starts) - 1
    bounds = np.r_[np.flatnonzero(starts), len(values)]
    mean_rank = (bounds[:-1] + bounds[1:] + 1) / 2.0
    ranks = np.empty(len(values))
    ranks[order] = mean_rank[group]
    return ranks


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's correlation coefficient of two equally long samples."""
    x, y = x - x.mean(), y - y.mean()
    denominator = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / denominator) if denominator else float("nan")


class WordVectors:
    """Word vectors with gensim-style queries.

    Args:
        words: `n` words, most frequent first (the order `restrict_vocab` cuts).
        vectors: `(n, dim)` their vectors.
        counts: `(n,)` their corpus counts, if known.
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray, counts: np.ndarray | None = None):
        if len(words) != len(vectors):
            raise ValueError(f"{len(words)} words but {len(vectors)} vectors")
        self.index_to_key = list(words)
        self.key_to_index = {}
        for index, word in enumerate(self.index_to_key):
            self.key_to_index.setdefault(word, index)
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.counts = None if counts is None else np.asarray(counts, dtype=np.int64)
        norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
        self.unit_vectors = self.vectors / np.where(norms == 0, 1, norms)

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, **kwargs) -> WordVectors:
        """Load the input vectors and vocabulary of a saved word2vec model directory."""
        from transformers import AutoModel, AutoTokenizer

        model = AutoModel.from_pretrained(path, **kwargs)
        tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
        return model.word_vectors(tokenizer)

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: str) -> bool:
        return word in self.key_to_index

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self.index(word)]

    def index(self, word: str) -> int:
        """Row of `word`; `WordNotInVocabularyError` if it has none."""
        try:
            return self.key_to_index[word]
        except KeyError:
            raise WordNotInVocabularyError(f"word {word!r} is not in the vocabulary ({len(self)} words)") from None

    def similarity(self, first: str, second: str) -> float:
        """Cosine similarity of two words."""
        return float(self.unit_vectors[self.index(first)] @ self.unit_vectors[self.index(second)])

    def most_similar(
        self,
        positive: str | Iterable[str] = (),
        negative: str | Iterable[str] = (),
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """The `topn` words nearest by cosine to the mean of the unit vectors of `positive` minus `negative`.

        The query words themselves are left out, as in gensim (3CosAdd for analogies).
        """
        positive = [positive] if isinstance(positive, str) else list(positive)
        negative = [negative] if isinstance(negative, str) else list(negative)
        if not positive and not negative:
            raise ValueError("most_similar: give at least one positive or negative word")
        return self._most_similar_rows(
            [self.index(word) for word in positive],
            [self.index(word) for word in negative],
            topn,
            restrict_vocab,
        )

    def _most_similar_rows(self, positive, negative, topn, restrict_vocab):
        query = np.vstack([self.unit_vectors[row] for row in positive] + [-self.unit_vectors[row] for row in negative])
        mean = query.mean(axis=0)
        mean /= np.linalg.norm(mean) or 1.0
        limit = len(self) if restrict_vocab is None else min(restrict_vocab, len(self))
        scores = self.unit_vectors[:limit] @ mean
        excluded = set(positive) | set(negative)
        wanted = min(topn + len(excluded), limit)
        best = np.argpartition(-scores, wanted - 1)[:wanted] if wanted < limit else np.arange(limit)
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.index_to_key[row], float(scores[row])) for row in best if row not in excluded][:topn]

    def _case_folded_vocabulary(self, restrict_vocab: int, case_insensitive: bool) -> dict[str, int]:
        """Word → row for the `restrict_vocab` most frequent words; upper-cased keys keep the most frequent casing."""
        rows = range(min(restrict_vocab, len(self)))
        if not case_insensitive:
            return {self.index_to_key[row]: row for row in rows}
        return {self.index_to_key[row].upper(): row for row in reversed(rows)}

    def evaluate_word_analogies(
        self, path: str | os.PathLike, restrict_vocab: int = 300000, case_insensitive: bool = True
    ) -> AnalogyScores:
        """Accuracy on an analogy file in word2vec's `questions-words.txt` format.

        For `a b c d`, the answer is the first of the 5 nearest words to `b - a + c` (among the
        `restrict_vocab` most frequent words) that is not `a`, `b` or `c`. Questions with a word outside those
        `restrict_vocab` words are skipped, as in gensim.
        """
        vocabulary = self._case_folded_vocabulary(restrict_vocab, case_insensitive)
        sections: list[AnalogySection] = []
        questions = oov = 0
        with open_text(path) as handle:
            for line_number, line in enumerate(handle, start=1):
                if line.startswith(": "):
                    sections.append(AnalogySection(line.lstrip(": ").strip()))
                    continue
                words = line.upper().split() if case_insensitive else line.split()
                if len(words) != 4:
                    continue
                if not sections:
                    raise ValueError(f"{path}:{line_number}: a question before the first ': section' line")
                questions += 1
                if any(word not in vocabulary for word in words):
                    oov += 1
                    continue
                a, b, c = (vocabulary[word] for word in words[:3])
                predicted = None
                for guess, _ in self._most_similar_rows([b, c], [a], 5, restrict_vocab):
                    predicted = guess.upper() if case_insensitive else guess
                    if predicted in vocabulary and predicted not in words[:3]:
                        break
                section = sections[-1]
                (section.correct if predicted == words[3] else section.incorrect).append(tuple(words))
        correct = sum(len(section.correct) for section in sections)
        answered = correct + sum(len(section.incorrect) for section in sections)
        return AnalogyScores(correct / answered if answered else 0.0, sections, questions, oov)

    def evaluate_word_pairs(
        self,
        path: str | os.PathLike,
        delimiter: str = "\t",
        restrict_vocab: int = 300000,
        case_insensitive: bool = True,
    ) -> WordPairScores:
        """Pearson and Spearman correlation between cosine similarity and human scores (`word word score` lines).

        Lines starting with `#` are comments; pairs with a word outside the `restrict_vocab` most frequent
        words are skipped and counted in `oov_ratio` (percent), as in gensim.
        """
        vocabulary = self._case_folded_vocabulary(restrict_vocab, case_insensitive)
        model_scores, human_scores = [], []
        total = oov = 0
        with open_text(path) as handle:
            for line_number, line in enumerate(handle, start=1):
                if line.startswith("#") or not line.strip():
                    continue
                fields = line.rstrip("\n").split(delimiter)
                if len(fields) != 3:
                    raise ValueError(f"{path}:{line_number}: expected 'word{delimiter}word{delimiter}score'")
                first, second, score = fields
                try:
                    human = float(score)
                except ValueError:
                    raise ValueError(f"{path}:{line_number}: score {score!r} is not a number") from None
                total += 1
                if case_insensitive:
                    first, second = first.upper(), second.upper()
                if first not in vocabulary or second not in vocabulary:
                    oov += 1
                    continue
                a, b = self.unit_vectors[vocabulary[first]], self.unit_vectors[vocabulary[second]]
                model_scores.append(float(a @ b))
                human_scores.append(human)
        if not model_scores:
            raise ValueError(f"{path}: no pair has both words in the vocabulary ({total} pairs read)")
        model_array, human_array = np.array(model_scores), np.array(human_scores)
        return WordPairScores(
            pearson=pearson(model_array, human_array),
            spearman=pearson(rank_with_ties(model_array), rank_with_ties(human_array)),
            oov_ratio=100.0 * oov / total,
            pairs=len(model_scores),
        )
