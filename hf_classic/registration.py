"""Register every family with transformers' Auto classes and for remote-code saving.

After `import hf_classic`, `AutoConfig`, `AutoModel`, `AutoModelFor*` and `AutoTokenizer` resolve our
`model_type`s, and every `save_pretrained` copies the family's code and writes `auto_map`, so that a
machine with only transformers loads the folder with `trust_remote_code=True`.
"""

from __future__ import annotations

import transformers
from transformers import AutoConfig, AutoTokenizer


def register_family(config_class, models: dict[str, type], tokenizer_class=None) -> None:
    """Register `config_class` and its models (`{"AutoModel": cls, ...}`) and tokenizer with the Auto classes.

    Each class is also registered for its Auto class, so saved folders carry `auto_map` and the code.
    """
    AutoConfig.register(config_class.model_type, config_class, exist_ok=True)
    config_class.register_for_auto_class()
    for auto_name, model_class in models.items():
        getattr(transformers, auto_name).register(config_class, model_class, exist_ok=True)
        model_class.register_for_auto_class(auto_name)
    if tokenizer_class is not None:
        AutoTokenizer.register(config_class, tokenizer_class=tokenizer_class, exist_ok=True)
        tokenizer_class.register_for_auto_class("AutoTokenizer")


def register_all() -> None:
    """Register every family shipped with hf_classic."""
    from . import elmo, word2vec

    register_family(
        word2vec.Word2VecConfig,
        {
            "AutoModel": word2vec.Word2VecModel,
            "AutoModelForPreTraining": word2vec.Word2VecForPreTraining,
            "AutoModelForSequenceClassification": word2vec.Word2VecForSequenceClassification,
            "AutoModelForTokenClassification": word2vec.Word2VecForTokenClassification,
        },
        word2vec.Word2VecTokenizer,
    )
    register_family(
        elmo.ElmoConfig,
        {
            "AutoModel": elmo.ElmoModel,
            "AutoModelForPreTraining": elmo.ElmoForPreTraining,
            "AutoModelForSequenceClassification": elmo.ElmoForSequenceClassification,
            "AutoModelForTokenClassification": elmo.ElmoForTokenClassification,
        },
        elmo.ElmoTokenizer,
    )

    from .rnn_seq2seq import (
        RnnForSequenceClassification,
        RnnForTokenClassification,
        RnnSeq2SeqConfig,
        RnnSeq2SeqForConditionalGeneration,
        RnnSeq2SeqModel,
        RnnSeq2SeqTokenizer,
    )

    register_family(
        RnnSeq2SeqConfig,
        {
            "AutoModel": RnnSeq2SeqModel,
            "AutoModelForSeq2SeqLM": RnnSeq2SeqForConditionalGeneration,
            "AutoModelForTokenClassification": RnnForTokenClassification,
            "AutoModelForSequenceClassification": RnnForSequenceClassification,
        },
        RnnSeq2SeqTokenizer,
    )
