"""Auto classes resolve the family, and transformers' classification pipelines run on the encoder heads."""

import torch
from conftest import tiny_config
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    pipeline,
)

from hf_classic import (
    RnnForSequenceClassification,
    RnnForTokenClassification,
    RnnSeq2SeqConfig,
    RnnSeq2SeqForConditionalGeneration,
    RnnSeq2SeqModel,
    RnnSeq2SeqTokenizer,
)

SOURCES = ["save the file", "delete the page", "open the file"]


def test_auto_classes_build_each_model_of_the_family():
    config = tiny_config(num_labels=4)
    assert isinstance(AutoConfig.for_model("rnn_seq2seq"), RnnSeq2SeqConfig)
    assert type(AutoModel.from_config(config)) is RnnSeq2SeqModel
    assert type(AutoModelForSeq2SeqLM.from_config(config)) is RnnSeq2SeqForConditionalGeneration
    assert type(AutoModelForTokenClassification.from_config(config)) is RnnForTokenClassification
    assert type(AutoModelForSequenceClassification.from_config(config)) is RnnForSequenceClassification


def test_text_and_token_classification_pipelines_run_on_the_encoder_heads():
    tokenizer = RnnSeq2SeqTokenizer.train(SOURCES, SOURCES)
    labels = {0: "KEEP", 1: "DROP"}
    config = tiny_config(
        vocab_size=len(tokenizer), num_labels=2, id2label=labels, label2id={v: k for k, v in labels.items()}
    )
    torch.manual_seed(0)
    sequence_model = RnnForSequenceClassification(config).eval()
    token_model = RnnForTokenClassification(config).eval()
    sentence = pipeline("text-classification", model=sequence_model, tokenizer=tokenizer)("save the page")
    tokens = pipeline("token-classification", model=token_model, tokenizer=tokenizer)("save the page")
    expected = sequence_model(**tokenizer(["save the page"], return_tensors="pt")).logits.softmax(-1)[0]
    assert sentence[0]["label"] == labels[int(expected.argmax())]
    assert abs(sentence[0]["score"] - expected.max().item()) < 1e-6
    assert [token["word"] for token in tokens] == ["save", "the", "page"]
    assert [(token["start"], token["end"]) for token in tokens] == [(0, 4), (5, 8), (9, 13)]
