"""Model cards of word2vec folders trained by `pretrain_word2vec`, with the scores measured on the shipped test
sets."""

from __future__ import annotations

from pathlib import Path

from ..data import ANALOGIES, WORDSIM353, data_path
from ..evaluation.word_vectors import evaluate_word_vectors
from ..hub import CardContent

CARD_RESTRICT_VOCAB = 30000


def trained_card(model, tokenizer, stats, corpus: list[str], machine: str):
    """The model card of a freshly trained word2vec folder, with the scores measured on the shipped test sets."""
    config = model.config
    vectors = model.word2vec.word_vectors(tokenizer)
    scores = evaluate_word_vectors(vectors, data_path(ANALOGIES), restrict_vocab=CARD_RESTRICT_VOCAB)
    try:
        pairs = evaluate_word_vectors(vectors, word_pairs=data_path(WORDSIM353), restrict_vocab=CARD_RESTRICT_VOCAB)
        word_pairs = (
            f"{pairs.word_pairs_spearman:.4f} on {pairs.word_pairs_used} pairs "
            f"({pairs.word_pairs_oov_percent:.1f}% out of vocabulary)"
        )
    except ValueError:
        word_pairs = "not measured: no pair has both words in the vocabulary"
    made_with = {
        "corpus": ", ".join(Path(path).name for path in corpus),
        "tokens per epoch": f"{stats.corpus_words:,}",
        "vocabulary": f"{len(tokenizer) - 2:,} words (min_count {config.min_count})",
        "lower-cased": str(tokenizer.backend_tokenizer.normalizer.normalize_str("A") == "a"),
    }
    for key in (
        "architecture",
        "objective",
        "vector_size",
        "window",
        "shrink_windows",
        "negative",
        "ns_exponent",
        "cbow_mean",
        "sample",
        "alpha",
        "min_alpha",
        "epochs",
    ):
        made_with[key] = str(getattr(config, key))
    made_with["training time"] = (
        f"{stats.seconds:.1f} s ({stats.effective_words_per_second:,.0f} words/s after subsampling)"
    )
    made_with["machine"] = f"{machine}, {stats.processes} process(es), {stats.kernel} kernel"
    made_with["final training loss"] = f"{stats.loss_per_epoch[-1]:.4f} per prediction" if stats.loss_per_epoch else "-"
    restricted = f"(the {CARD_RESTRICT_VOCAB:,} most frequent words)"
    results = {
        f"Google analogies, accuracy {restricted}": f"{scores.analogy_accuracy:.4f} on "
        f"{scores.analogy_answered:,} of {scores.analogy_questions:,} questions in vocabulary",
        "WordSim-353, Spearman ρ": word_pairs,
    }
    return CardContent(
        family="word2vec",
        title=f"word2vec {config.architecture} ({config.vector_size} dimensions) on {made_with['corpus']}",
        summary=(
            f"Word vectors trained with word2vec ({config.architecture}, {config.objective} objective) by "
            "hf_classic. `AutoModel` gives the input vectors as an embedding layer (`last_hidden_state`, "
            "zero at padding); `AutoModelForPreTraining` adds the output weights and the training loss."
        ),
        made_with=made_with,
        results=results,
        pipeline_tag="feature-extraction",
        usage=(
            'batch = tokenizer(["In the beginning"], return_tensors="pt")\n'
            "features = model(**batch).last_hidden_state  # (batch, seq, vector_size)\n"
            'model.word_vectors(tokenizer).most_similar("god", topn=5)\n'
        ),
    )
