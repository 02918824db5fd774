"""`hf-classic convert word2vec` and `hf-classic export word2vec`: word-vector files in and out.

hf-classic convert word2vec SRC OUT_DIR [--format auto|bin|txt|glove|fasttext|gensim] [--limit N]
    [--unicode-errors strict|replace|ignore] [--encoding E] [--vocab-file F] [--allow-pickle]
    [--duplicates error|first] [--overwrite]
hf-classic export word2vec MODEL_DIR DST --format bin|txt|glove [--binary-layout word2vec|gensim] [--overwrite]
"""

from __future__ import annotations

import argparse

from ..formats.word2vec_formats import DUPLICATES, FORMATS, UNICODE_ERRORS, WRITE_FORMATS
from ..formats.word2vec_models import convert_word_vectors, export_word_vectors
from .arguments import positive_int
from .hub import add_push_option, push_if_asked


def add_convert_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `convert word2vec` (shared with `conversion/convert_word_vectors.py`)."""
    parser.add_argument("source", metavar="SRC", help="word-vector file to read")
    parser.add_argument("output_dir", metavar="OUT_DIR", help="model directory to write")
    parser.add_argument(
        "--format",
        choices=("auto", *FORMATS),
        default="auto",
        help="file format (default: detected from the content); fasttext = .vec text or fastText .bin via gensim",
    )
    parser.add_argument("--limit", type=positive_int, help="read only the first N vectors")
    parser.add_argument("--unicode-errors", choices=UNICODE_ERRORS, default="strict", help="undecodable word bytes")
    parser.add_argument("--encoding", default="utf-8", help="encoding of the words (default utf-8)")
    parser.add_argument("--vocab-file", help="word2vec.c -save-vocab file with the word counts")
    parser.add_argument(
        "--allow-pickle",
        action="store_true",
        help="read a gensim save (.model, .kv): it is a Python pickle, and loading it runs any code the file "
        "contains; use it only for a file you trust (without it, such a file is refused unread)",
    )
    parser.add_argument(
        "--duplicates", choices=DUPLICATES, default="error", help="a repeated word: error, or keep its first row"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace OUT_DIR if it exists")
    add_push_option(parser)


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `export word2vec` (shared with `conversion/export_word_vectors.py`)."""
    parser.add_argument("model_dir", metavar="MODEL_DIR", help="word2vec model directory")
    parser.add_argument("destination", metavar="DST", help="vector file to write")
    parser.add_argument("--format", choices=WRITE_FORMATS, required=True, help="file format to write")
    parser.add_argument(
        "--binary-layout",
        choices=("word2vec", "gensim"),
        default="word2vec",
        help="bin only: end each vector with a newline as word2vec.c does (default), or not, as gensim does",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace DST if it exists")


def run_convert(args: argparse.Namespace) -> None:
    convert_word_vectors(
        args.source,
        args.output_dir,
        args.format,
        limit=args.limit,
        unicode_errors=args.unicode_errors,
        encoding=args.encoding,
        vocab_file=args.vocab_file,
        allow_pickle=args.allow_pickle,
        duplicates=args.duplicates,
        overwrite=args.overwrite,
    )
    push_if_asked(args, args.output_dir)


def run_export(args: argparse.Namespace) -> None:
    export_word_vectors(
        args.model_dir,
        args.destination,
        args.format,
        newline_after_vector=args.binary_layout == "word2vec",
        overwrite=args.overwrite,
    )


def register(verbs, families) -> None:
    """Add `convert word2vec` and `export word2vec` to the command line."""
    convert = families["convert"].add_parser(
        "word2vec", help="word2vec .bin/.txt, GloVe, fastText or gensim vectors to a model directory"
    )
    add_convert_arguments(convert)
    convert.set_defaults(handler=run_convert)
    export = families["export"].add_parser("word2vec", help="a word2vec model directory to a .bin/.txt/GloVe file")
    add_export_arguments(export)
    export.set_defaults(handler=run_export)
