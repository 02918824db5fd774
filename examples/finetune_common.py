"""Shared command line of the fine-tuning examples: a pre-trained folder in, a fine-tuned folder and metrics out."""

from __future__ import annotations

import argparse
import json
import logging

from hf_classic.tasks.finetune import FinetuneOptions, finetune


def run_example(task: str, description: str, defaults: dict) -> dict:
    """Parse the example's options, fine-tune with `hf_classic.tasks.finetune` and print the metrics."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model", required=True, help="pre-trained word2vec or ELMo folder (e.g. `hf-classic demo`)")
    parser.add_argument("--output", required=True, help="folder for the fine-tuned model")
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--freeze-pretrained", action="store_true", help="feature-based: keep the bottom fixed")
    parser.add_argument("--random-init", action="store_true", help="same shape and vocabulary, random weights")
    parser.add_argument("--epochs", type=float, default=defaults.get("epochs", 2))
    parser.add_argument("--max-train-examples", type=int, default=defaults.get("max_train_examples"))
    parser.add_argument("--max-eval-examples", type=int, default=defaults.get("max_eval_examples"))
    parser.add_argument("--learning-rate", type=float, default=defaults.get("learning_rate", 2e-3))
    parser.add_argument("--data", help="the task's data file (default location otherwise)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    options = FinetuneOptions(
        task=task,
        model_dir=args.model,
        random_init=args.random_init,
        freeze_pretrained=args.freeze_pretrained,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        max_train_examples=args.max_train_examples,
        max_eval_examples=args.max_eval_examples,
        head_hidden_size=defaults.get("head_hidden_size", 128),
        max_length=defaults.get("max_length", 64),
        data_path=args.data,
        threads=2,
    )
    metrics = finetune(options, args.output, overwrite=args.overwrite)
    print(json.dumps({key: metrics[key] for key in ("test", "majority_baseline", "train_runtime")}, indent=2))
    return metrics
