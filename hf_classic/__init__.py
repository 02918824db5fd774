"""hf_classic: word2vec, ELMo and RNN encoder-decoders as first-class Hugging Face transformers models.

Importing the package registers every family with transformers' Auto classes.
"""

from .elmo import (
    ElmoConfig,
    ElmoForPreTraining,
    ElmoForSequenceClassification,
    ElmoForTokenClassification,
    ElmoModel,
    ElmoTokenizer,
)
from .registration import register_all
from .rnn_seq2seq import (
    RnnForSequenceClassification,
    RnnForTokenClassification,
    RnnSeq2SeqConfig,
    RnnSeq2SeqForConditionalGeneration,
    RnnSeq2SeqModel,
    RnnSeq2SeqTokenizer,
)
from .word2vec import (
    Word2VecConfig,
    Word2VecForPreTraining,
    Word2VecForSequenceClassification,
    Word2VecForTokenClassification,
    Word2VecModel,
    Word2VecTokenizer,
    WordVectors,
)

__version__ = "0.1.0"

register_all()

__all__ = [
    "ElmoConfig",
    "ElmoForPreTraining",
    "ElmoForSequenceClassification",
    "ElmoForTokenClassification",
    "ElmoModel",
    "ElmoTokenizer",
    "RnnForSequenceClassification",
    "RnnForTokenClassification",
    "RnnSeq2SeqConfig",
    "RnnSeq2SeqForConditionalGeneration",
    "RnnSeq2SeqModel",
    "RnnSeq2SeqTokenizer",
    "Word2VecConfig",
    "Word2VecForPreTraining",
    "Word2VecForSequenceClassification",
    "Word2VecForTokenClassification",
    "Word2VecModel",
    "Word2VecTokenizer",
    "WordVectors",
    "__version__",
]
