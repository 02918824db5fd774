"""How well a model's vectors of one word separate the word's senses (the "play" example).

Sentences that use one word in different senses, each labelled with its sense, go through a model; the
word's vector in each sentence is read out, and `sense_separation` measures whether sentences of the same
sense give closer vectors than sentences of different senses. word2vec gives one vector per word type, so
every context gets the same vector; ELMo, BERT and GPT-2 give one per occurrence.

How the word's vector is read, per family (`model.config.model_type`):

- `word2vec`: the word's input vector (the tokenizer's offsets locate it; `<unk>` if it is not in the vocabulary);
- `elmo`: the word's position among `split_words(sentence)`; the scalar mix, then each biLM layer
  (layer 0 is the character CNN: context-free; layers 1 and 2 are the biLSTM's);
- any other model with a fast tokenizer (BERT, GPT-2, ...): the mean of the vectors of the sub-word tokens
  whose character offsets overlap the word, from the last hidden layer, then from each layer
  (`hidden_states[0]` is the embedding layer).

The first occurrence of the word (a whole word, case-insensitive) in each sentence is the one used.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import HfClassicError, InputFileError
from ..utils.files import existing_file

TIE_TOLERANCE = 1e-6
REQUIRED_COLUMNS = ("word", "sense", "sentence")


@dataclass(frozen=True)
class SenseContext:
    """One labelled sentence of a contexts file; `line` is its 1-based line number there."""

    sense: str
    sentence: str
    line: int
    source: str = ""


def word_span(sentence: str, word: str) -> tuple[int, int] | None:
    """`(start, end)` character offsets of the first whole-word, case-insensitive occurrence of `word`, or None."""
    match = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", sentence, flags=re.IGNORECASE)
    return match.span() if match else None


def read_sense_contexts(path: str | os.PathLike, word: str) -> list[SenseContext]:
    """The labelled sentences of `word` in a tab-separated contexts file.

    The file starts with a header naming at least the columns `word`, `sense` and `sentence` (others, such as
    `source`, are kept or ignored); one sentence a line; lines of other words are skipped; words match
    case-insensitively. Raises `InputFileError` naming the file and line for a malformed line, a sentence
    without the word, no sentence of `word`, fewer than two senses, or a sense with fewer than two sentences
    (leave-one-out needs two).
    """
    path = existing_file(path, "contexts file")
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    header = [name.strip().lower() for name in rows[0]] if rows else []
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise InputFileError(
            f"{path}:1: expected a tab-separated header with the columns {', '.join(REQUIRED_COLUMNS)}; "
            f"missing {', '.join(missing)} in {rows[0] if rows else []}"
        )
    column = {name: header.index(name) for name in header}
    contexts, words = [], Counter()
    for line, row in enumerate(rows[1:], start=2):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != len(header):
            raise InputFileError(f"{path}:{line}: expected {len(header)} tab-separated fields, found {len(row)}")
        row_word = row[column["word"]].strip()
        words[row_word.lower()] += 1
        if row_word.lower() != word.lower():
            continue
        sense, sentence = row[column["sense"]].strip(), row[column["sentence"]].strip()
        if not sense or not sentence:
            raise InputFileError(f"{path}:{line}: empty sense or sentence")
        if word_span(sentence, word) is None:
            raise InputFileError(f"{path}:{line}: the sentence does not contain the word {word!r}: {sentence!r}")
        source = row[column["source"]].strip() if "source" in column else ""
        contexts.append(SenseContext(sense=sense, sentence=sentence, line=line, source=source))
    if not contexts:
        known = ", ".join(sorted(words)) or "none"
        raise InputFileError(f"{path}: no sentence for the word {word!r} (words in the file: {known})")
    counts = Counter(context.sense for context in contexts)
    if len(counts) < 2:
        raise InputFileError(f"{path}: the word {word!r} has only one sense ({next(iter(counts))!r}); need two or more")
    few = {sense: count for sense, count in counts.items() if count < 2}
    if few:
        raise InputFileError(f"{path}: every sense of {word!r} needs at least two sentences; found {few}")
    return contexts


def _locate(sentences: Sequence[str], word: str) -> list[tuple[int, int]]:
    spans = []
    for index, sentence in enumerate(sentences):
        span = word_span(sentence, word)
        if span is None:
            raise HfClassicError(f"sentence {index}: the word {word!r} does not occur in {sentence!r}")
        spans.append(span)
    return spans


def _elmo_representations(model, tokenizer, sentences, spans) -> dict[str, list[np.ndarray]]:
    from ..elmo.tokenization_elmo import split_words, word_spans

    found: dict[str, list[np.ndarray]] = {}
    for sentence, (start, end) in zip(sentences, spans, strict=True):
        position = next(i for i, (s, e) in enumerate(word_spans(sentence)) if s < end and e > start)
        encoded = tokenizer([split_words(sentence)], is_split_into_words=True, return_tensors="pt")
        out = model(**encoded, output_hidden_states=True)
        found.setdefault("mix", []).append(out.last_hidden_state[0, position].float().numpy())
        for layer, hidden in enumerate(out.hidden_states):
            found.setdefault(f"layer {layer}", []).append(hidden[0, position].float().numpy())
    return found


def _subword_representations(model, tokenizer, sentences, spans) -> tuple[dict[str, list[np.ndarray]], int]:
    if not getattr(tokenizer, "is_fast", False):
        raise HfClassicError(
            f"{type(tokenizer).__name__} gives no character offsets; a fast (`tokenizers`) tokenizer is needed "
            "to find the word's sub-words"
        )
    word2vec = model.config.model_type == "word2vec"
    found: dict[str, list[np.ndarray]] = {}
    unknown = 0
    for index, (sentence, (start, end)) in enumerate(zip(sentences, spans, strict=True)):
        encoded = tokenizer(sentence, return_offsets_mapping=True, truncation=True, return_tensors="pt")
        offsets = encoded.pop("offset_mapping")[0].tolist()
        positions = [i for i, (s, e) in enumerate(offsets) if e > s and s < end and e > start]
        if not positions:
            raise HfClassicError(f"sentence {index}: no token of {sentence!r} covers characters {start}-{end}")
        ids = encoded["input_ids"][0, positions].tolist()
        unknown += tokenizer.unk_token_id is not None and all(i == tokenizer.unk_token_id for i in ids)
        out = model(**encoded, output_hidden_states=not word2vec)
        layers = [] if word2vec or out.hidden_states is None else list(out.hidden_states)
        name = "word2vec" if word2vec else f"layer {len(layers) - 1}" if layers else "last layer"
        found.setdefault(name, []).append(out.last_hidden_state[0, positions].mean(0).float().numpy())
        for layer, hidden in enumerate(layers[:-1]):
            found.setdefault(f"layer {layer}", []).append(hidden[0, positions].mean(0).float().numpy())
    return found, unknown


@torch.no_grad()
def word_representations(model, tokenizer, sentences: Sequence[str], word: str) -> tuple[dict[str, np.ndarray], int]:
    """The vectors of `word` in each sentence, for every representation the model has, and the unknown count.

    Returns `({name: (len(sentences), dim)}, unknown)`: the main representation first (`word2vec`; ELMo's
    `mix`; a transformer's last layer, named `layer L`), then the layers (`layer 0`, ...); `unknown` counts
    the sentences where every token of the word is the tokenizer's unknown token. Raises `HfClassicError`
    if a sentence lacks the word.
    """
    spans = _locate(sentences, word)
    model.eval()
    if model.config.model_type == "elmo":
        found, unknown = _elmo_representations(model, tokenizer, sentences, spans), 0
    else:
        found, unknown = _subword_representations(model, tokenizer, sentences, spans)
    return {name: np.stack(vectors) for name, vectors in found.items()}, unknown


def word_vectors_in_context(model, tokenizer, sentences: Sequence[str], word: str) -> np.ndarray:
    """`(len(sentences), dim)`: the vector of `word` in each sentence, from the model's main representation."""
    representations, _ = word_representations(model, tokenizer, sentences, word)
    return next(iter(representations.values()))


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def sense_separation(vectors: np.ndarray, labels: Sequence[str]) -> dict:
    """How well `vectors (n, dim)` separate the senses `labels (n,)`.

    - `within_sense_cosine`: mean cosine over all pairs `i < j` of the same sense;
    - `across_sense_cosine`: mean cosine over all pairs of different senses; `separation` = within - across;
    - `nearest_centroid_accuracy`: leave-one-out: vector `i` gets the sense whose centroid (mean of that
      sense's unit vectors, `i` left out) has the highest cosine with it; a tie of `k` senses within 1e-6
      that includes the right one counts `1/k`, so identical vectors score exactly `chance_accuracy` = 1 /
      number of senses. `majority_accuracy` is the share of the most frequent sense.

    Needs two senses or more, each with two vectors or more.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    labels = np.asarray(list(labels))
    if vectors.ndim != 2 or len(vectors) != len(labels):
        raise HfClassicError(
            f"sense_separation: expected (n, dim) vectors and n labels, got {vectors.shape}, {len(labels)}"
        )
    counts = Counter(labels.tolist())
    if len(counts) < 2 or min(counts.values()) < 2:
        raise HfClassicError(
            f"sense_separation: need two senses or more, each with two vectors or more; got {dict(counts)}"
        )
    unit = _unit(vectors)
    cosine = unit @ unit.T
    pairs = np.triu(np.ones_like(cosine, dtype=bool), k=1)
    same = labels[:, None] == labels[None, :]
    senses = sorted(counts)
    credit = 0.0
    for i in range(len(unit)):
        keep = np.arange(len(unit)) != i
        centroids = np.stack([unit[keep & (labels == sense)].mean(0) for sense in senses])
        scores = _unit(centroids) @ unit[i]
        tied = np.flatnonzero(scores >= scores.max() - TIE_TOLERANCE)
        credit += (senses.index(labels[i]) in tied) / len(tied)
    within = float(cosine[pairs & same].mean())
    across = float(cosine[pairs & ~same].mean())
    return {
        "vectors": len(unit),
        "senses": {sense: counts[sense] for sense in senses},
        "within_sense_cosine": within,
        "across_sense_cosine": across,
        "separation": round(within - across, 12) + 0.0,  # no -0.0 from rounding noise
        "nearest_centroid_accuracy": credit / len(unit),
        "chance_accuracy": 1.0 / len(senses),
        "majority_accuracy": max(counts.values()) / len(unit),
        "identical_vectors": bool(np.allclose(vectors, vectors[0], rtol=0.0, atol=1e-6)),
    }


__all__ = [
    "SenseContext",
    "read_sense_contexts",
    "sense_separation",
    "word_representations",
    "word_span",
    "word_vectors_in_context",
]
