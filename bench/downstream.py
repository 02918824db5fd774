"""What pre-training buys downstream: random init vs word2vec (frozen / fine-tuned) vs ELMo (frozen / fine-tuned)
on the three task families, with the same data split, head and budget for every bottom.

    python bench/downstream.py [--word2vec DIR] [--elmo DIR] [--train-examples 1000] [--epochs 2]

Without `--word2vec` / `--elmo` the bench first pre-trains both on the shipped King James Bible (word2vec:
skip-gram, 100 dimensions, 5 epochs; ELMo: a small biLM for `--elmo-steps` steps) into `--work`. The random
bottom has word2vec's shape and vocabulary. Every run uses `hf_classic.tasks.finetune` (Trainer, BiLSTM head)
and is scored on the test split; results go to bench/results/downstream.{json,md,png}.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import time
from pathlib import Path

import torch

import hf_classic
from hf_classic.data import KJV_CORPUS, data_path
from hf_classic.tasks.data import load_task_data
from hf_classic.tasks.finetune import FinetuneOptions, finetune

RESULTS = Path(__file__).parent / "results"
SETTINGS = {
    "random init": {"bottom": "word2vec", "random_init": True, "freeze_pretrained": False},
    "word2vec frozen": {"bottom": "word2vec", "random_init": False, "freeze_pretrained": True},
    "word2vec fine-tuned": {"bottom": "word2vec", "random_init": False, "freeze_pretrained": False},
    "ELMo frozen": {"bottom": "elmo", "random_init": False, "freeze_pretrained": True},
    "ELMo fine-tuned": {"bottom": "elmo", "random_init": False, "freeze_pretrained": False},
}
SCORE = {"classification": "accuracy", "tagging": "seqeval_f1", "pairs": "accuracy"}


def pretrain_word2vec_kjv(output: Path) -> Path:
    from hf_classic import Word2VecConfig
    from hf_classic.training.word2vec_trainer import Word2VecTrainingArguments, pretrain_word2vec

    config = Word2VecConfig(vector_size=100, epochs=5, min_count=3, seed=1)
    model, tokenizer, _ = pretrain_word2vec(
        config, Word2VecTrainingArguments(corpus=[str(data_path(KJV_CORPUS))], progress=False)
    )
    model.save_pretrained(output)
    tokenizer.save_pretrained(output)
    return output


def pretrain_elmo_kjv(output: Path, steps: int) -> Path:
    from hf_classic import ElmoConfig
    from hf_classic.cards.elmo import trained_card
    from hf_classic.training.elmo_trainer import ElmoTrainingArguments, pretrain_elmo
    from hf_classic.training.lm_trainer import save_pretrained_run

    config = ElmoConfig(
        char_embedding_dim=8,
        filters=[[1, 16], [2, 16], [3, 32], [4, 32]],
        lstm_dim=128,
        projection_dim=32,
        n_negative_samples_batch=512,
    )
    arguments = ElmoTrainingArguments(
        corpus=[str(data_path(KJV_CORPUS))],
        max_vocab_size=8000,
        batch_size=32,
        max_words=30,
        max_steps=steps,
        heldout_lines=200,
        progress=False,
        checkpoint_dir=None,
    )
    model, tokenizer, summary = pretrain_elmo(config, arguments)
    save_pretrained_run(model, tokenizer, summary, output, overwrite=True, card=trained_card(model.config, summary))
    return output


def bar_chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(results)
    figure, axes = plt.subplots(1, len(tasks), figsize=(4.2 * len(tasks), 3.6))
    for axis, task in zip(axes, tasks, strict=True):
        names = list(results[task]["runs"])
        scores = [results[task]["runs"][name]["test"][SCORE[task]] for name in names]
        axis.bar(range(len(names)), scores, color=["#999999", "#8fb3de", "#2f6db3", "#f2b279", "#d9661f"])
        axis.axhline(results[task]["majority_baseline"][SCORE[task]], color="black", linestyle="--", linewidth=1)
        axis.set_xticks(range(len(names)), names, rotation=35, ha="right", fontsize=8)
        axis.set_title(f"{task} (test {SCORE[task]})", fontsize=10)
        axis.set_ylim(0, 1)
    figure.suptitle("Downstream: random vs word2vec vs ELMo bottoms (dashed: majority class)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def markdown(results: dict, setup: dict) -> str:
    lines = [
        "# Downstream tasks: what pre-training buys",
        "",
        f"Run: `{setup['command']}` on {setup['machine']} ({setup['threads']} threads), "
        f"{setup['elapsed_minutes']:.1f} minutes in all, torch {setup['torch']}, hf_classic from {setup['hf_classic']}.",
        "",
        f"Budget for every run: {setup['train_examples']} training examples, {setup['epochs']} epochs, batch "
        f"{setup['batch_size']}, AdamW lr {setup['learning_rate']}, BiLSTM head ({setup['head_hidden_size']} units "
        f"per direction, max pooling for sequences); {setup['eval_examples']} validation and test examples.",
        f"Bottoms: word2vec {setup['word2vec']}; ELMo {setup['elmo']}.",
        "",
        "| task (test metric) | majority class | " + " | ".join(SETTINGS) + " |",
        "|---|---:|" + "---:|" * len(SETTINGS),
    ]
    for task, result in results.items():
        metric = SCORE[task]
        cells = [f"{result['runs'][name]['test'][metric]:.3f}" for name in SETTINGS]
        lines.append(f"| {task} ({metric}) | {result['majority_baseline'][metric]:.3f} | " + " | ".join(cells) + " |")
    lines += ["", "Training time (seconds) per run:", ""]
    lines += ["| task | " + " | ".join(SETTINGS) + " |", "|---|" + "---:|" * len(SETTINGS)]
    for task, result in results.items():
        lines.append(
            f"| {task} | " + " | ".join(f"{result['runs'][name]['train_runtime']:.0f}" for name in SETTINGS) + " |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--word2vec", help="pre-trained word2vec folder (default: train one on the KJV)")
    parser.add_argument("--elmo", help="pre-trained ELMo folder (default: train a small one on the KJV)")
    parser.add_argument("--elmo-steps", type=int, default=150, help="ELMo pre-training steps when --elmo is not given")
    parser.add_argument("--work", default="runs/downstream", help="folder for the pre-trained bottoms")
    parser.add_argument("--tasks", nargs="+", default=["classification", "tagging", "pairs"])
    parser.add_argument("--train-examples", type=int, default=1000)
    parser.add_argument("--eval-examples", type=int, default=500)
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--head-hidden-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", default=str(RESULTS / "downstream"), help="results path without suffix")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    bottoms = {
        "word2vec": Path(args.word2vec) if args.word2vec else pretrain_word2vec_kjv(work / "word2vec-kjv"),
        "elmo": Path(args.elmo) if args.elmo else pretrain_elmo_kjv(work / "elmo-kjv", args.elmo_steps),
    }
    pretraining_minutes = (time.perf_counter() - started) / 60
    results = {}
    for task in args.tasks:
        dataset = load_task_data(task, seed=1)
        results[task] = {"runs": {}}
        for name, setting in SETTINGS.items():
            options = FinetuneOptions(
                task=task,
                model_dir=str(bottoms[setting["bottom"]]),
                random_init=setting["random_init"],
                freeze_pretrained=setting["freeze_pretrained"],
                head_hidden_size=args.head_hidden_size,
                epochs=args.epochs,
                batch_size=args.batch_size,
                learning_rate=args.learning_rate,
                max_length=48,
                max_train_examples=args.train_examples,
                max_eval_examples=args.eval_examples,
                threads=args.threads,
            )
            metrics = finetune(options, None, dataset=dataset)
            logging.info("%s / %s: test %s", task, name, metrics["test"])
            results[task]["runs"][name] = {
                key: metrics[key] for key in ("test", "validation", "train_runtime", "steps")
            }
            results[task]["runs"][name]["trainable_parameters"] = metrics["trainable_parameters"]
            results[task]["majority_baseline"] = metrics["majority_baseline"]
    setup = {
        "command": "python " + " ".join(sys.argv),
        "machine": f"{platform.machine()} CPU, shared",
        "threads": args.threads,
        "torch": torch.__version__,
        "hf_classic": str(Path(hf_classic.__file__).parent),
        "train_examples": args.train_examples,
        "eval_examples": args.eval_examples,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "head_hidden_size": args.head_hidden_size,
        "word2vec": str(bottoms["word2vec"]) if args.word2vec else "skip-gram 100-d, 5 epochs on the KJV",
        "elmo": str(bottoms["elmo"])
        if args.elmo
        else f"biLM 2x128 LSTM / 32 projection, {args.elmo_steps} steps of 32 KJV verses",
        "pretraining_minutes": pretraining_minutes,
        "elapsed_minutes": (time.perf_counter() - started) / 60,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(json.dumps({"setup": setup, "results": results}, indent=2) + "\n")
    output.with_suffix(".md").write_text(markdown(results, setup))
    bar_chart(results, output.with_suffix(".png"))
    print(markdown(results, setup))


if __name__ == "__main__":
    main()
