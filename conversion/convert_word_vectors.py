"""Convert a word2vec .bin/.txt, GloVe, fastText or gensim vector file into a word2vec model directory.

    python conversion/convert_word_vectors.py GoogleNews-vectors-negative300.bin w2v-google-news --limit 500000

The same as `hf-classic convert word2vec ...` (see `hf_classic.formats.word2vec_models.convert_word_vectors`).
"""

import argparse
import sys

from hf_classic.cli import EXIT_BAD_INPUT
from hf_classic.commands.vectors import add_convert_arguments, run_convert
from hf_classic.errors import HfClassicError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_convert_arguments(parser)
    try:
        run_convert(parser.parse_args())
    except (HfClassicError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":
    sys.exit(main())
