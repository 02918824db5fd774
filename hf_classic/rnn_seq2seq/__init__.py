"""The RNN encoder-decoder family: configuration, models (seq2seq, token and sequence classification) and
source/target tokenizer."""

from .configuration_rnn_seq2seq import RnnSeq2SeqConfig
from .generation_rnn_seq2seq import shrinking_beam_search
from .modeling_rnn_seq2seq import (
    RnnEncoderOutput,
    RnnForSequenceClassification,
    RnnForTokenClassification,
    RnnSeq2SeqForConditionalGeneration,
    RnnSeq2SeqModel,
    RnnSeq2SeqPreTrainedModel,
)
from .tokenization_rnn_seq2seq import RnnSeq2SeqTokenizer

__all__ = [
    "RnnEncoderOutput",
    "RnnForSequenceClassification",
    "RnnForTokenClassification",
    "RnnSeq2SeqConfig",
    "RnnSeq2SeqForConditionalGeneration",
    "RnnSeq2SeqModel",
    "RnnSeq2SeqPreTrainedModel",
    "RnnSeq2SeqTokenizer",
    "shrinking_beam_search",
]
