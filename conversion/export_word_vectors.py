"""Write the word vectors of a word2vec model directory as a word2vec .bin/.txt or GloVe file.

    python conversion/export_word_vectors.py w2v-google-news vectors.bin --format bin

The same as `hf-classic export word2vec ...` (see `hf_classic.formats.word2vec_models.export_word_vectors`).
"""

import argparse
import sys

from hf_classic.cli import EXIT_BAD_INPUT
from hf_classic.commands.vectors import add_export_arguments, run_export
from hf_classic.errors import HfClassicError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_export_arguments(parser)
    try:
        run_export(parser.parse_args())
    except (HfClassicError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":
    sys.exit(main())
