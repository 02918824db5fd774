"""Readers and writers of other tools' files (word2vec.c, GloVe, fastText, gensim, bilm-tf), one module per
family and tool, and conversion of those files to and from hf_classic model directories."""
