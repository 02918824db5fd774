"""`hf-classic demo`: word2vec on the King James Bible, end to end, in a few minutes on a laptop.

Trains skip-gram on the shipped corpus, prints analogy and word-pair scores beside random vectors and the
nearest neighbours of a few words, saves the model, reloads it with transformers' `AutoModel`, and draws a
map of a few hundred word vectors.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..data import ANALOGIES, KJV_CORPUS, SIMLEX999, WORDSIM353, data_path
from .word2vec import add_training_options, train_and_save

QUERY_WORDS = ("god", "king", "jerusalem", "gold", "love", "david", "sea", "bread")
MAP_FILE = "word_map.png"


def run_demo(args: argparse.Namespace) -> None:
    from transformers import AutoModel, AutoTokenizer

    from ..evaluation.word_vectors import evaluate_word_vectors, format_scores, random_baseline
    from ..plots.embedding_map import plot_word_map
    from ..utils.atomic import atomic_output_file

    output = Path(args.output)
    print(f"Training word2vec ({args.architecture}, {args.objective}) on the King James Bible ...")
    model, tokenizer, stats = train_and_save(args, [str(data_path(KJV_CORPUS))], output, args.overwrite)
    print(
        f"  {stats.corpus_words:,} words a pass, vocabulary {len(tokenizer) - 2:,}, {len(stats.loss_per_epoch)} epochs "
        f"in {stats.seconds:.1f} s ({stats.effective_words_per_second:,.0f} words/s after subsampling)"
    )
    vectors = model.word2vec.word_vectors(tokenizer)
    baseline = random_baseline(vectors)
    print("\nEvaluation (Google analogies, WordSim-353; random vectors of the same vocabulary for scale):")
    for label, candidate in (("word2vec", vectors), ("random  ", baseline)):
        print(format_scores(evaluate_word_vectors(candidate, data_path(ANALOGIES), data_path(WORDSIM353)), label))
    for label, candidate in (("word2vec", vectors), ("random  ", baseline)):
        simlex = evaluate_word_vectors(candidate, word_pairs=data_path(SIMLEX999))
        print(f"{label}: SimLex-999 Spearman {simlex.word_pairs_spearman:.4f} ({simlex.word_pairs_used} pairs)")

    print("\nNearest neighbours:")
    for word in QUERY_WORDS:
        neighbours = ", ".join(f"{other} {score:.2f}" for other, score in vectors.most_similar(word, topn=6))
        print(f"  {word:10s} {neighbours}")
    print(f"  king - man + woman: {', '.join(w for w, _ in vectors.most_similar(['king', 'woman'], ['man'], topn=5))}")

    reloaded = AutoModel.from_pretrained(output)
    reloaded_tokenizer = AutoTokenizer.from_pretrained(output)
    same = np.array_equal(
        reloaded.embeddings.weight.detach().numpy(), model.word2vec.embeddings.weight.detach().numpy()
    )
    ids = reloaded_tokenizer("And God said, Let there be light", return_tensors="pt")
    features = reloaded(**ids).last_hidden_state
    print(
        f"\nSaved to {output}; reloaded with AutoModel as {type(reloaded).__name__} "
        f"(weights identical: {same}); 'And God said, Let there be light' -> features {tuple(features.shape)}"
    )

    start = min(args.map_skip, len(vectors) - 2)
    rows = list(range(start, min(start + args.map_words, len(vectors))))
    map_path = output / MAP_FILE
    with atomic_output_file(map_path, overwrite=True) as tmp:
        plot_word_map(
            [vectors.index_to_key[row] for row in rows],
            vectors.vectors[rows],
            tmp,
            title=f"word2vec on the King James Bible: words ranked {start + 1}-{start + len(rows)} by frequency",
        )
    print(f"Word map of {len(rows)} words: {map_path}")


def register(verbs, families) -> None:
    demo = verbs.add_parser("demo", help="train word2vec on the shipped King James Bible and show what it learned")
    demo.add_argument("--output", default="hf-classic-demo", help="model directory to write")
    demo.add_argument("--overwrite", action="store_true", help="replace an existing output directory")
    demo.add_argument("--map-words", type=int, default=300, help="words on the PNG map")
    demo.add_argument("--map-skip", type=int, default=100, help="leave the N most frequent words off the map")
    add_training_options(demo)
    demo.set_defaults(handler=run_demo)
