"""The word2vec family: configuration, models, tokenizer and gensim-style word-vector queries."""

from .configuration_word2vec import Word2VecConfig
from .keyed_vectors import WordNotInVocabularyError, WordVectors
from .modeling_word2vec import (
    Word2VecForPreTraining,
    Word2VecForPreTrainingOutput,
    Word2VecForSequenceClassification,
    Word2VecForTokenClassification,
    Word2VecModel,
    Word2VecPreTrainedModel,
)
from .tokenization_word2vec import Word2VecTokenizer

__all__ = [
    "Word2VecConfig",
    "Word2VecForPreTraining",
    "Word2VecForPreTrainingOutput",
    "Word2VecForSequenceClassification",
    "Word2VecForTokenClassification",
    "Word2VecModel",
    "Word2VecPreTrainedModel",
    "Word2VecTokenizer",
    "WordNotInVocabularyError",
    "WordVectors",
]
