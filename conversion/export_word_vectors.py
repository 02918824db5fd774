"""Write the word vectors of a word2vec model directory as a word2vec .bin/.txt or GloVe file.

    python conversion/export_word_vectors.py w2v-google-news vectors.bin --format bin

The same as `hf-classic export word2vec ...` (see `hf_classic.formats.word2vec_models.export_word_vectors`).
"""

import sys

from hf_classic.cli import main

if __name__ == "__main__":
    sys.exit(main(["export", "word2vec", *sys.argv[1:]]))
