"""`hf-classic` command line: a thin dispatcher over the per-family command modules.

Commands read `hf-classic VERB FAMILY [options]` (for example `hf-classic pretrain word2vec ...`). Each
family's module in `hf_classic.commands` adds its sub-commands to the verbs it supports; this module only
builds the parser, runs the chosen handler and turns errors into a message and an exit status.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from huggingface_hub.errors import StrictDataclassError

VERBS = {
    "pretrain": "pre-train a model from a text corpus",
    "evaluate": "evaluate a saved model",
    "convert": "convert another tool's files into a model directory",
    "export": "write a model directory back in another tool's format",
    "train": "train a model on task data",
    "translate": "translate text with a saved model",
}
COMMAND_MODULES = (
    "hf_classic.commands.word2vec",
    "hf_classic.commands.vectors",
    "hf_classic.commands.elmo",
    "hf_classic.commands.transformers_lm",
    "hf_classic.commands.rnn_seq2seq",
    "hf_classic.commands.tasks",
    "hf_classic.commands.lineage",
    "hf_classic.commands.demo",
    "hf_classic.commands.hub",
    "hf_classic.commands.senses",
    "hf_classic.commands.attention",
)

EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every family's sub-commands registered."""
    parser = argparse.ArgumentParser(prog="hf-classic", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")
    families = {}
    for verb, help_text in VERBS.items():
        verb_parser = verbs.add_parser(verb, help=help_text)
        families[verb] = verb_parser.add_subparsers(dest="family", required=True, metavar="FAMILY")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(verbs, families)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 on success, 2 on bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if not args.verbose:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    try:
        args.handler(args)
    except (ValueError, OSError, KeyError, StrictDataclassError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"hf-classic: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":
    sys.exit(main())
