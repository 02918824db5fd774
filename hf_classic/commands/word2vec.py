"""`hf-classic pretrain word2vec` and `hf-classic evaluate word2vec`."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
from dataclasses import asdict
from pathlib import Path

from ..cards.word2vec import trained_card
from ..data import ANALOGIES, WORDSIM353, data_path
from ..evaluation.word_vectors import evaluate_word_vectors, format_scores
from ..hub import write_model_card
from ..training.word2vec_devices import BACKENDS, DEVICES
from ..utils.atomic import atomic_output_dir, check_output_free
from ..utils.files import existing_dir
from ..word2vec.configuration_word2vec import ARCHITECTURES, OBJECTIVES
from .arguments import non_negative_int
from .hub import add_push_option, push_if_asked

TRAINING_SUMMARY_FILE = "training_summary.json"


def add_training_options(parser: argparse.ArgumentParser) -> None:
    """The word2vec hyper-parameters, with gensim's names and defaults."""
    group = parser.add_argument_group("word2vec hyper-parameters")
    group.add_argument("--architecture", choices=ARCHITECTURES, default="skipgram")
    group.add_argument("--objective", choices=OBJECTIVES, default="negative")
    group.add_argument("--vector-size", type=int, default=100)
    group.add_argument("--window", type=int, default=5)
    group.add_argument(
        "--no-shrink-windows",
        dest="shrink_windows",
        action="store_false",
        help="use the full window for every word instead of word2vec.c's dynamic window",
    )
    group.add_argument("--negative", type=int, default=5, help="noise words per example (negative sampling)")
    group.add_argument("--ns-exponent", type=float, default=0.75)
    group.add_argument("--cbow-sum", dest="cbow_mean", action="store_false", help="CBOW: sum the context vectors")
    group.add_argument("--min-count", type=int, default=5)
    group.add_argument("--max-vocab-size", type=int, default=None)
    group.add_argument("--sample", type=float, default=1e-3, help="frequent-word subsampling threshold (0: off)")
    group.add_argument("--alpha", type=float, default=0.025, help="initial learning rate")
    group.add_argument("--min-alpha", type=float, default=0.0001, help="final learning rate")
    group.add_argument("--epochs", type=int, default=5)
    group.add_argument("--no-lowercase", dest="lowercase", action="store_false", help="keep the corpus's case")
    run = parser.add_argument_group("run")
    run.add_argument("--seed", type=int, default=1)
    run.add_argument("--workers", type=int, default=None, help="kernel threads (default: all cores)")
    run.add_argument(
        "--device",
        choices=DEVICES,
        default="auto",
        help="where to train: auto (the device Accelerate picks, a GPU when there is one), cpu, or a GPU type",
    )
    run.add_argument(
        "--backend",
        choices=BACKENDS,
        default="auto",
        help="training kernel: numba (Hogwild, CPU), torch (batched, any device) or auto (numba on CPU, torch elsewhere)",
    )
    run.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="torch kernel: context windows (a centre word with its context) per batch (default: 4096)",
    )
    run.add_argument(
        "--no-torch-compile",
        dest="torch_compile",
        action="store_false",
        help="torch kernel on CUDA: run each batch's ops one by one instead of fused by torch.compile",
    )
    run.add_argument(
        "--no-cuda-graphs",
        dest="cuda_graphs",
        action="store_false",
        help="torch kernel on CUDA: launch each batch's ops one by one instead of replaying a captured CUDA graph",
    )
    run.add_argument("--no-progress", dest="progress", action="store_false", help="hide progress bars")
    run.add_argument("--block-lines", type=int, default=8192, help="lines per block handed to the kernel")
    run.add_argument(
        "--merge-lines",
        type=int,
        default=1024,
        help="several processes: lines of the corpus between two merges of the processes' updates",
    )
    run.add_argument(
        "--token-cache-mb",
        type=non_negative_int,
        default=4096,
        help="keep the encoded corpus between epochs in a temporary file up to this size, 2 bytes a word "
        "(0: read and encode the corpus again each epoch)",
    )
    run.add_argument(
        "--token-cache-dir", help="where the encoded corpus is kept (default: the system's temporary directory)"
    )
    run.add_argument("--checkpoint-dir", help="where to keep the latest checkpoint (default: OUTPUT.checkpoint)")
    run.add_argument(
        "--checkpoint-every",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="seconds between checkpoints (0: after every block of lines)",
    )
    run.add_argument(
        "--resume-from",
        metavar="CHECKPOINT",
        help="continue an interrupted run from its checkpoint (its hyper-parameters win)",
    )


def config_from_args(args: argparse.Namespace):
    """A `Word2VecConfig` from the parsed options (validated: bad values raise naming the option)."""
    from ..word2vec.configuration_word2vec import Word2VecConfig

    return Word2VecConfig(
        vector_size=args.vector_size,
        architecture=args.architecture,
        cbow_mean=args.cbow_mean,
        objective=args.objective,
        negative=args.negative,
        ns_exponent=args.ns_exponent,
        window=args.window,
        shrink_windows=args.shrink_windows,
        sample=args.sample,
        min_count=args.min_count,
        alpha=args.alpha,
        min_alpha=args.min_alpha,
        epochs=args.epochs,
    )


def train_and_save(args: argparse.Namespace, corpus: list[str], output: Path, overwrite: bool):
    """Train on `corpus` with the options in `args` (or continue `args.resume_from`) and save model, tokenizer
    and summary to `output`. The latest checkpoint lives in `<output>.checkpoint` until the run succeeds.

    The main process holds the output and the checkpoint folder for the whole run (`claim_outputs`): a second run
    writing either fails at once with `OutputBusyError`."""
    from ..training.checkpoints import claim_run_outputs

    check_output_free(output, overwrite)
    checkpoint_dir = Path(args.checkpoint_dir) if args.checkpoint_dir else output.with_name(output.name + ".checkpoint")
    with claim_run_outputs(output, checkpoint_dir):
        return _train_and_save(args, corpus, output, overwrite, checkpoint_dir)


def _train_and_save(args: argparse.Namespace, corpus: list[str], output: Path, overwrite: bool, checkpoint_dir: Path):
    from ..training.word2vec_trainer import Word2VecTrainer, Word2VecTrainingArguments

    training_args = Word2VecTrainingArguments(
        corpus=corpus,
        lowercase=args.lowercase,
        max_vocab_size=args.max_vocab_size,
        seed=args.seed,
        workers=args.workers,
        progress=args.progress,
        checkpoint_dir=str(checkpoint_dir),
        checkpoint_every_seconds=args.checkpoint_every,
        block_lines=args.block_lines,
        merge_lines=args.merge_lines,
        token_cache_bytes=args.token_cache_mb * 2**20,
        token_cache_dir=args.token_cache_dir,
        device=args.device,
        backend=args.backend,
        batch_size=args.batch_size,
        torch_compile=args.torch_compile,
        cuda_graphs=args.cuda_graphs,
    )
    if args.resume_from:
        trainer = Word2VecTrainer.from_checkpoint(args.resume_from, training_args)
    else:
        trainer = Word2VecTrainer.from_corpus(config_from_args(args), training_args)
    model, stats = trainer.train()
    tokenizer = trainer.tokenizer
    if trainer.accelerator.is_main_process:
        with atomic_output_dir(output, overwrite) as tmp:
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            summary = {
                "corpus": [str(path) for path in corpus],
                "vocabulary": len(tokenizer) - 2,
                **asdict(stats),
                "effective_words_per_second": stats.effective_words_per_second,
                "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {training_args.workers or 'all'} kernel threads",
                "device": str(trainer.device),
            }
            (tmp / TRAINING_SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
            write_model_card(tmp, trained_card(model, tokenizer, stats, corpus, summary["machine"]))
        shutil.rmtree(checkpoint_dir, ignore_errors=True)
        push_if_asked(args, output)
    return model, tokenizer, stats


def run_pretrain(args: argparse.Namespace) -> None:
    from accelerate import PartialState

    _, tokenizer, stats = train_and_save(args, args.corpus, Path(args.output), args.overwrite)
    if PartialState().is_main_process:
        print(
            f"trained {len(stats.loss_per_epoch)} epochs over {stats.corpus_words} words "
            f"({stats.effective_words} after subsampling) in {stats.seconds:.1f} s "
            f"({stats.effective_words_per_second:,.0f} words/s); vocabulary {len(tokenizer) - 2}; saved to {args.output}"
        )


def run_evaluate(args: argparse.Namespace) -> None:
    from ..word2vec.keyed_vectors import WordVectors

    existing_dir(args.model_dir)
    analogies, word_pairs = args.analogies, args.word_pairs
    if analogies is None and word_pairs is None:
        analogies, word_pairs = data_path(ANALOGIES), data_path(WORDSIM353)
    vectors = WordVectors.from_pretrained(args.model_dir)
    scores = evaluate_word_vectors(vectors, analogies, word_pairs, args.restrict_vocab)
    if args.json:
        print(json.dumps(scores.to_dict(), indent=2))
    else:
        print(format_scores(scores))


def register(verbs, families) -> None:
    pretrain = families["pretrain"].add_parser("word2vec", help="train word2vec (skip-gram or CBOW) on a corpus")
    pretrain.add_argument("--corpus", nargs="+", required=True, help="text files, one sentence a line")
    pretrain.add_argument("--output", required=True, help="model directory to write")
    pretrain.add_argument("--overwrite", action="store_true", help="replace an existing output directory")
    add_push_option(pretrain)
    add_training_options(pretrain)
    pretrain.set_defaults(handler=run_pretrain)

    evaluate = families["evaluate"].add_parser("word2vec", help="analogy and word-pair scores of a word2vec model")
    evaluate.add_argument("model_dir")
    evaluate.add_argument("--analogies", help="questions-words format file (default: the shipped Google set)")
    evaluate.add_argument("--word-pairs", help="'word<TAB>word<TAB>score' file (default: the shipped WordSim-353)")
    evaluate.add_argument("--restrict-vocab", type=int, default=300000, help="only the N most frequent words")
    evaluate.add_argument("--json", action="store_true", help="print the scores as JSON")
    evaluate.set_defaults(handler=run_evaluate)
