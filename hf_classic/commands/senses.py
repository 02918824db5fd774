"""`hf-classic senses MODEL_DIR WORD`: how well a model's vectors of WORD separate its senses.

Reads the labelled sentences of WORD from a contexts file (default: the shipped `senses.tsv`), takes the
word's vector in each from the model (word2vec, ELMo, or a native transformer such as BERT or GPT-2), prints
the within-sense and across-sense cosines and the leave-one-out nearest-centroid accuracy for every
representation, and optionally writes them as JSON and draws a PNG of the vectors coloured by sense.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from ..utils.atomic import atomic_output_file, check_output_free
from ..utils.files import existing_dir, loading_folder

logger = logging.getLogger(__name__)


def load_any_model(model_dir: str):
    """`(model, tokenizer)` of any folder `AutoModel` loads (hf_classic families and native transformers)."""
    from transformers import AutoModel, AutoTokenizer

    existing_dir(model_dir)
    with loading_folder(model_dir):
        model = AutoModel.from_pretrained(model_dir)
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
    return model.eval(), tokenizer


def family_note(model_type: str, word: str, senses: int) -> str:
    """What the reader should know about how this family's vectors of `word` are made."""
    if model_type == "word2vec":
        return (
            f"word2vec has one vector per word type: every context gets the same vector of {word!r}, so the "
            f"within-sense and across-sense cosines are both 1 and the accuracy is chance (1/{senses})."
        )
    if model_type == "elmo":
        return (
            "ELMo: 'mix' is the scalar mix of the biLM layers; layer 0 is the character CNN (context-free: one "
            "vector per spelling, so 'Bank' and 'bank' differ), layers 1 and 2 are the biLSTM's (contextual)."
        )
    if model_type == "gpt2":
        return f"GPT-2 reads left to right: the vector of {word!r} sees only the words before it."
    return "Layer 0 is the embedding layer (token + position embeddings); the last layer is the main representation."


def format_report(report: dict) -> str:
    """The report as text: one row per representation."""
    lines = [
        f"{report['word']!r} in {report['sentences']} sentences ({report['contexts']}), senses: "
        + ", ".join(f"{sense} {count}" for sense, count in report["senses"].items()),
        f"model {report['model_dir']} (model_type {report['model_type']})",
        report["note"],
    ]
    if report["unknown_word_sentences"]:
        lines.append(f"warning: {report['word']!r} is an unknown token in {report['unknown_word_sentences']} sentences")
    lines.append(f"{'representation':16s} {'within':>7s} {'across':>7s} {'separ.':>7s} {'accuracy':>8s}")
    for name, scores in report["representations"].items():
        lines.append(
            f"{name:16s} {scores['within_sense_cosine']:7.3f} {scores['across_sense_cosine']:7.3f} "
            f"{scores['separation']:7.3f} {scores['nearest_centroid_accuracy']:8.3f}"
        )
    first = next(iter(report["representations"].values()))
    lines.append(
        f"(nearest-centroid accuracy by leave-one-out; chance {first['chance_accuracy']:.3f}, "
        f"majority sense {first['majority_accuracy']:.3f})"
    )
    return "\n".join(lines) + "\n"


def run_senses(args: argparse.Namespace) -> None:
    from ..data import SENSES, data_path
    from ..evaluation.senses import read_sense_contexts, sense_separation, word_representations

    for path in (args.output, args.json):
        if path:
            check_output_free(path, args.overwrite)
    contexts_path = args.contexts or str(data_path(SENSES))
    contexts = read_sense_contexts(contexts_path, args.word)
    model, tokenizer = load_any_model(args.model_dir)
    sentences = [context.sentence for context in contexts]
    labels = [context.sense for context in contexts]
    representations, unknown = word_representations(model, tokenizer, sentences, args.word)
    scores = {name: sense_separation(vectors, labels) for name, vectors in representations.items()}
    main_scores = next(iter(scores.values()))
    report = {
        "model_dir": str(args.model_dir),
        "model_type": model.config.model_type,
        "word": args.word,
        "contexts": str(contexts_path),
        "sentences": len(sentences),
        "senses": main_scores["senses"],
        "contextual": not main_scores["identical_vectors"],
        "main_representation": next(iter(scores)),
        "note": family_note(model.config.model_type, args.word, len(main_scores["senses"])),
        "unknown_word_sentences": unknown,
        "representations": scores,
    }
    sys.stdout.write(format_report(report))
    if args.json:
        with atomic_output_file(args.json, overwrite=args.overwrite) as tmp:
            tmp.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.output:
        from ..plots.senses_map import plot_sense_map

        panels = [
            (
                f"{name}: within {value['within_sense_cosine']:.2f}, across {value['across_sense_cosine']:.2f}, "
                f"acc {value['nearest_centroid_accuracy']:.2f}",
                representations[name],
            )
            for name, value in scores.items()
        ]
        with atomic_output_file(args.output, overwrite=args.overwrite) as tmp:
            plot_sense_map(panels, labels, tmp, title=f"{args.word!r} in context: {args.model_dir}")
        logger.info("wrote %s", args.output)


def register(verbs, families) -> None:
    """Add `hf-classic senses` to the parser."""
    parser = verbs.add_parser("senses", help="how well a model's vectors of a word separate its senses")
    parser.add_argument("model_dir", help="word2vec, ELMo, BERT, GPT-2, ... model directory")
    parser.add_argument("word", help="the ambiguous word, as it appears in the sentences")
    parser.add_argument(
        "--contexts", help="tab-separated file with columns word, sense, sentence (default: the shipped senses.tsv)"
    )
    parser.add_argument("--output", help="PNG to draw: the vectors on two principal components, coloured by sense")
    parser.add_argument("--json", help="file for the report as JSON")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    parser.set_defaults(handler=run_senses)
