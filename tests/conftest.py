"""Shared fixtures: small models trained once per session on the shipped corpus."""

from __future__ import annotations

import pytest

import hf_classic  # noqa: F401  (registers the families)
from hf_classic.data import KJV_CORPUS, data_path


@pytest.fixture(scope="session")
def kjv_path():
    return data_path(KJV_CORPUS)


@pytest.fixture(scope="session")
def trained_skipgram(kjv_path):
    """Skip-gram with negative sampling on the King James Bible (3 epochs, 50 dimensions)."""
    from hf_classic.training.word2vec_trainer import Word2VecTrainingArguments, pretrain_word2vec
    from hf_classic.word2vec import Word2VecConfig

    config = Word2VecConfig(vector_size=50, epochs=3, min_count=5)
    return pretrain_word2vec(config, Word2VecTrainingArguments(corpus=[str(kjv_path)], progress=False))
