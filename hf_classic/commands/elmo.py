"""`hf-classic convert elmo` and `hf-classic export elmo`: bilm-tf files ↔ a transformers model directory."""

from __future__ import annotations

import argparse
import logging

logger = logging.getLogger(__name__)


def convert(args: argparse.Namespace) -> None:
    from ..formats.elmo_bilm_tf import convert_to_directory

    path = convert_to_directory(args.options, args.weights, args.output_dir, vocab=args.vocab, overwrite=args.overwrite)
    logger.info("wrote %s", path)


def export(args: argparse.Namespace) -> None:
    from ..formats.elmo_bilm_tf import export_directory

    path = export_directory(args.model_dir, args.output_dir, overwrite=args.overwrite)
    logger.info("wrote %s (options.json, weights.hdf5)", path)


def register(verbs, families) -> None:
    """Add `convert elmo` and `export elmo` to the `hf-classic` parser."""
    parser = families["convert"].add_parser(
        "elmo", help="bilm-tf options.json + weights.hdf5 (+ vocab.txt) to a model directory"
    )
    parser.add_argument("--options", required=True, help="bilm-tf options.json")
    parser.add_argument("--weights", required=True, help="bilm-tf weights.hdf5")
    parser.add_argument("--vocab", help="bilm-tf vocab.txt (one word per line), for the language-model targets")
    parser.add_argument("output_dir", help="directory to write (config.json, model.safetensors, tokenizer)")
    parser.add_argument("--overwrite", action="store_true", help="replace output_dir if it exists")
    parser.set_defaults(handler=convert)

    parser = families["export"].add_parser("elmo", help="a model directory to bilm-tf options.json + weights.hdf5")
    parser.add_argument("model_dir", help="directory saved by save_pretrained or `convert elmo`")
    parser.add_argument("output_dir", help="directory to write options.json, weights.hdf5 (and vocab.txt)")
    parser.add_argument("--overwrite", action="store_true", help="replace output_dir if it exists")
    parser.set_defaults(handler=export)
