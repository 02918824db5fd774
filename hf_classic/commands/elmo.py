"""`hf-classic pretrain elmo`, `convert elmo` and `export elmo`."""

from __future__ import annotations

import argparse
import json
import logging
import shutil

from .hub import add_push_option, push_if_asked

logger = logging.getLogger(__name__)


def convert(args: argparse.Namespace) -> None:
    from ..formats.elmo_bilm_tf import convert_to_directory

    path = convert_to_directory(args.options, args.weights, args.output_dir, vocab=args.vocab, overwrite=args.overwrite)
    logger.info("wrote %s", path)
    push_if_asked(args, path)


def export(args: argparse.Namespace) -> None:
    from ..formats.elmo_bilm_tf import export_directory

    path = export_directory(args.model_dir, args.output_dir, overwrite=args.overwrite)
    logger.info("wrote %s (options.json, weights.hdf5)", path)


def parse_filters(text: str) -> list[list[int]]:
    """`"1x32,2x32,3x64"` → `[[1, 32], [2, 32], [3, 64]]` (width x number of each convolution)."""
    try:
        return [[int(part) for part in item.split("x")] for item in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--filters {text!r}: expected WIDTHxNUMBER pairs such as 1x32,2x64") from None


def pretrain(args: argparse.Namespace) -> None:
    """`pretrain elmo`, holding the output and the checkpoint folder for the whole run (a second run fails)."""
    from ..training.checkpoints import claim_run_outputs

    with claim_run_outputs(args.output, args.checkpoint_dir or f"{args.output}.checkpoint"):
        _pretrain(args)


def _pretrain(args: argparse.Namespace) -> None:
    from ..cards.elmo import trained_card
    from ..elmo import ElmoConfig
    from ..training.elmo_trainer import ElmoTrainingArguments, pretrain_elmo
    from ..training.lm_trainer import save_pretrained_run
    from ..utils.atomic import check_output_free

    check_output_free(args.output, args.overwrite)
    if args.corpus is None:
        from ..data import KJV_CORPUS, data_path

        args.corpus = [str(data_path(KJV_CORPUS))]
    config = ElmoConfig(
        char_embedding_dim=args.char_embedding_dim,
        filters=args.filters,
        n_highway=args.n_highway,
        lstm_dim=args.lstm_dim,
        projection_dim=args.projection_dim,
        num_layers=args.num_layers,
        cell_clip=args.cell_clip,
        proj_clip=args.proj_clip,
        n_negative_samples_batch=args.n_negative_samples_batch,
        lm_dropout=args.lm_dropout,
    )
    training = ElmoTrainingArguments(
        corpus=args.corpus,
        max_vocab_size=args.max_vocab_size,
        min_count=args.min_count,
        batch_size=args.batch_size,
        max_words=args.max_words,
        epochs=args.epochs,
        max_steps=args.max_steps,
        learning_rate=args.learning_rate,
        clip_norm=args.clip_norm,
        heldout_lines=args.heldout_lines,
        seed=args.seed,
        progress=args.progress,
        checkpoint_dir=args.checkpoint_dir or f"{args.output}.checkpoint",
        checkpoint_every_seconds=args.checkpoint_every,
    )
    model, tokenizer, summary = pretrain_elmo(config, training, resume_from=args.resume_from)
    from accelerate import PartialState

    if PartialState().is_main_process:
        save_pretrained_run(
            model, tokenizer, summary, args.output, overwrite=args.overwrite, card=trained_card(model.config, summary)
        )
        shutil.rmtree(training.checkpoint_dir, ignore_errors=True)  # the run is done: its checkpoint is of no use
        logger.info("wrote %s: %s", args.output, json.dumps(summary.get("heldout", {})))
        push_if_asked(args, args.output)


def register(verbs, families) -> None:
    """Add `pretrain elmo`, `convert elmo` and `export elmo` to the `hf-classic` parser."""
    parser = families["pretrain"].add_parser("elmo", help="pre-train an ELMo biLM on a text corpus")
    parser.add_argument("--corpus", nargs="+", help="text files, one sentence a line (default: the shipped KJV)")
    parser.add_argument("--output", required=True, help="directory to write the model, tokenizer and summary")
    parser.add_argument("--overwrite", action="store_true", help="replace --output if it exists")
    add_push_option(parser)
    model = parser.add_argument_group("model (bilm-tf options)")
    model.add_argument("--char-embedding-dim", type=int, default=16)
    model.add_argument("--filters", type=parse_filters, default=[[1, 32], [2, 32], [3, 64], [4, 128]], help="WxN,...")
    model.add_argument("--n-highway", type=int, default=1)
    model.add_argument("--lstm-dim", type=int, default=512)
    model.add_argument("--projection-dim", type=int, default=64)
    model.add_argument("--num-layers", type=int, default=2)
    model.add_argument("--cell-clip", type=float, default=3.0)
    model.add_argument("--proj-clip", type=float, default=3.0)
    model.add_argument("--n-negative-samples-batch", type=int, default=0, help="sampled softmax noise words (0: full)")
    model.add_argument("--lm-dropout", type=float, default=0.1)
    run = parser.add_argument_group("run")
    run.add_argument("--max-vocab-size", type=int, default=20000)
    run.add_argument("--min-count", type=int, default=1)
    run.add_argument("--batch-size", type=int, default=32, help="sentences per step and process")
    run.add_argument("--max-words", type=int, default=50, help="longer sentences are cut")
    run.add_argument("--epochs", type=int, default=1)
    run.add_argument("--max-steps", type=int, default=None)
    run.add_argument("--learning-rate", type=float, default=0.2, help="Adagrad learning rate")
    run.add_argument("--clip-norm", type=float, default=10.0)
    run.add_argument("--heldout-lines", type=int, default=500, help="first lines kept for the closing evaluation")
    run.add_argument("--seed", type=int, default=1)
    run.add_argument("--no-progress", dest="progress", action="store_false", help="hide progress bars")
    run.add_argument("--checkpoint-dir", help="where to keep the latest checkpoint (default: OUTPUT.checkpoint)")
    run.add_argument("--checkpoint-every", type=float, default=600.0, metavar="SECONDS")
    run.add_argument("--resume-from", metavar="CHECKPOINT", help="continue an interrupted run from its checkpoint")
    parser.set_defaults(handler=pretrain)

    parser = families["convert"].add_parser(
        "elmo", help="bilm-tf options.json + weights.hdf5 (+ vocab.txt) to a model directory"
    )
    parser.add_argument("--options", required=True, help="bilm-tf options.json")
    parser.add_argument("--weights", required=True, help="bilm-tf weights.hdf5")
    parser.add_argument("--vocab", help="bilm-tf vocab.txt (one word per line), for the language-model targets")
    parser.add_argument("output_dir", help="directory to write (config.json, model.safetensors, tokenizer)")
    parser.add_argument("--overwrite", action="store_true", help="replace output_dir if it exists")
    add_push_option(parser)
    parser.set_defaults(handler=convert)

    parser = families["export"].add_parser("elmo", help="a model directory to bilm-tf options.json + weights.hdf5")
    parser.add_argument("model_dir", help="directory saved by save_pretrained or `convert elmo`")
    parser.add_argument("output_dir", help="directory to write options.json, weights.hdf5 (and vocab.txt)")
    parser.add_argument("--overwrite", action="store_true", help="replace output_dir if it exists")
    parser.set_defaults(handler=export)
