"""Train RNN encoder-decoders on English→French UI strings and compare attention types by test BLEU.

The data are the human translations in the French gettext catalogues of six PyPI wheels, fetched with

    pip download --no-deps -d .data/wheels django==5.2.19 sphinx==9.0.4 wagtail==8.0.1 \\
        django-allauth==65.21.1 django-oscar==4.2.1 django-cms==5.1.3

Run: `python examples/train_translation.py .data/wheels/*.whl --output runs/translation --epochs 12`.
Each attention type is trained on the same split with `Seq2SeqTrainer` (the code behind
`hf-classic train seq2seq`) and scored by beam-5 BLEU and chrF on 300 held-out pairs; the results go to
`OUTPUT/results.json` and a Markdown table is logged; each model folder gets a model card (`README.md`).
`--evaluate-only` re-scores models already trained. Each run keeps checkpoints in `OUTPUT/NAME.checkpoint`;
after a crash, `--resume` continues the interrupted runs from them.
`--init-from-word2vec DIR` starts the English (source) embeddings from a word2vec model, e.g. the one
`hf-classic demo` trains on the King James Bible (`--freeze-pretrained` keeps them fixed).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from transformers import AutoConfig, AutoModelForSeq2SeqLM, AutoTokenizer

from hf_classic.training.rnn_seq2seq_translation import (
    TranslationTraining,
    bleu_and_chrf,
    read_po_pairs,
    split_pairs,
    train_translation,
    translate,
)

ATTENTIONS = {
    "none": {"attention": "none", "input_feeding": False},
    "bahdanau": {"attention": "bahdanau", "input_feeding": False},
    "luong-general": {"attention": "luong", "attention_score": "general", "input_feeding": True},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalogues", nargs="+", help=".po files or wheels holding them")
    parser.add_argument("--output", required=True)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--embedding-size", type=int, default=96)
    parser.add_argument("--hidden-size", type=int, default=192)
    parser.add_argument("--attentions", nargs="+", default=list(ATTENTIONS), choices=list(ATTENTIONS))
    parser.add_argument("--evaluate-only", action="store_true", help="re-score models already trained in OUTPUT")
    parser.add_argument("--resume", action="store_true", help="continue interrupted runs from their checkpoints")
    parser.add_argument(
        "--init-from-word2vec",
        metavar="DIR",
        help="start the source embeddings from this word2vec model (its vector size becomes the embedding size)",
    )
    parser.add_argument("--freeze-pretrained", action="store_true", help="keep the word2vec embeddings fixed")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    train, valid, test = split_pairs(read_po_pairs(args.catalogues), valid=200, test=300)
    names = ", ".join(Path(path).name for path in args.catalogues)
    data_name = f"the English→French translations in the gettext catalogues of {names}"
    options = TranslationTraining(
        epochs=args.epochs,
        batch_size=32,
        learning_rate=2e-3,
        num_beams=5,
        init_from_word2vec=args.init_from_word2vec,
        freeze_pretrained=args.freeze_pretrained,
    )
    embedding_size = args.embedding_size
    if args.init_from_word2vec is not None:
        embedding_size = AutoConfig.from_pretrained(args.init_from_word2vec).vector_size
    results_file = Path(args.output) / "results.json"
    results = json.loads(results_file.read_text()) if args.evaluate_only and results_file.exists() else {}
    for name in args.attentions:
        if args.evaluate_only:
            kept = {key: value for key, value in results.get(name, {}).items() if key not in ("test_bleu", "test_chrf")}
            results[name] = {**kept, **evaluate(Path(args.output) / name, test)}
            continue
        model_options = dict(
            cell="lstm",
            num_layers=1,
            embedding_size=embedding_size,
            hidden_size=args.hidden_size,
            bidirectional_encoder=True,
            dropout=0.3,
            **ATTENTIONS[name],
        )
        checkpoint = Path(args.output) / f"{name}.checkpoint"
        start = time.perf_counter()
        metrics = train_translation(
            train,
            valid,
            test,
            model_options,
            options,
            Path(args.output) / name,
            overwrite=True,
            data_name=data_name,
            languages=("en", "fr"),
            resume_from=checkpoint if args.resume and checkpoint.is_dir() else None,
        )
        results[name] = {**metrics, "seconds": time.perf_counter() - start, **evaluate(Path(args.output) / name, test)}
        results_file.write_text(json.dumps(results, indent=2))
    results_file.write_text(json.dumps(results, indent=2))
    logging.info("| attention | test BLEU | test chrF | test loss |\n|---|---|---|---|")
    for name, metrics in results.items():
        logging.info(f"| {name} | {metrics['bleu']:.2f} | {metrics['chrf']:.2f} | {metrics['test_loss']:.3f} |")


def evaluate(model_dir: Path, test) -> dict:
    """Beam-5 BLEU and chrF of a saved model on the test pairs."""
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    translations = translate(model, tokenizer, [source for source, _ in test], num_beams=5, max_new_tokens=50)
    return bleu_and_chrf(translations, [target for _, target in test])


if __name__ == "__main__":
    main()
