"""Readers and writers of other tools' files (word2vec.c, GloVe, fastText, gensim), and conversion of those
files to and from hf_classic model directories."""
