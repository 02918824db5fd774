"""Convert a word2vec .bin/.txt, GloVe, fastText or gensim vector file into a word2vec model directory.

    python conversion/convert_word_vectors.py GoogleNews-vectors-negative300.bin w2v-google-news --limit 500000

The same as `hf-classic convert word2vec ...` (see `hf_classic.formats.word2vec_models.convert_word_vectors`).
"""

import sys

from hf_classic.cli import main

if __name__ == "__main__":
    sys.exit(main(["convert", "word2vec", *sys.argv[1:]]))
