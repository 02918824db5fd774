"""Downstream task heads on top of a pre-trained bottom: one file serving every family.

Each family's modeling file imports this module as `from .task_heads import ...`, and each family folder
holds it as a symbolic link to `hf_classic/heads/task_heads.py`: transformers copies the file (not the
link) into every saved model folder, so remote code finds it beside the model file, while the source
exists once. It may therefore import only torch, transformers and the standard library.

A bottom (word2vec's input vectors, ELMo's mixed layers, an RNN encoder) turns `(batch, seq)` tokens into
`token_vectors (batch, seq, input_size)` and a `mask (batch, seq)`. A head then runs

- a task encoder (`config.head_encoder`): `"bilstm"`, one bidirectional LSTM layer of
  `config.head_hidden_size` units per direction over the real positions (the classic recipe: vectors feed a
  small BiLSTM), or `"none"`, the token vectors themselves;
- for sequence classification, a pooling over the real positions (`config.head_pooling`: `"max"` or
  `"mean"`), so `"none"` + `"mean"` is the bag-of-vectors classifier;
- dropout (`config.classifier_dropout`) and a linear layer to `config.num_labels` logits.

Losses follow BERT's conventions: for sequences, `config.problem_type` (inferred from `num_labels` and
the labels' dtype when unset, as `BertForSequenceClassification` does) picks mean squared error, cross
entropy or binary cross entropy with logits; for tokens, cross entropy over the positions whose label is
not -100 and whose mask is 1.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from transformers.modeling_outputs import SequenceClassifierOutput, TokenClassifierOutput

HEAD_ENCODERS = ("bilstm", "none")
HEAD_POOLINGS = ("max", "mean")
PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")
IGNORE_INDEX = -100


def validate_task_head(config, error: type[Exception] = ValueError) -> None:
    """Check the head options of `config` (a model config, or any object with the same attributes); each `error`
    names the key, the value found and what is allowed."""
    name = type(config).__name__

    def fail(key, expected):
        raise error(f"{name}.{key}={getattr(config, key)!r}: expected {expected}")

    if config.head_encoder not in HEAD_ENCODERS:
        fail("head_encoder", f"one of {', '.join(HEAD_ENCODERS)}")
    if config.head_pooling not in HEAD_POOLINGS:
        fail("head_pooling", f"one of {', '.join(HEAD_POOLINGS)}")
    if config.head_hidden_size < 1:
        fail("head_hidden_size", "an integer >= 1")
    if not 0 <= config.classifier_dropout < 1:
        fail("classifier_dropout", "a number in [0, 1)")
    if getattr(config, "problem_type", None) not in (None, *PROBLEM_TYPES):
        fail("problem_type", f"one of {', '.join(PROBLEM_TYPES)} or None")


class TaskEncoder(nn.Module):
    """`token_vectors (batch, seq, input_size)`, `mask (batch, seq)` → `(batch, seq, output_size)`.

    With `head_encoder="bilstm"`, a one-layer BiLSTM reads each sequence's real positions only (packed), and
    outputs `[forward ; backward]` (`output_size = 2 * head_hidden_size`), zero at padding; with `"none"` the
    vectors pass through (`output_size = input_size`).
    """

    def __init__(self, config, input_size: int):
        super().__init__()
        self.lstm = None
        self.output_size = input_size
        if config.head_encoder == "bilstm":
            self.lstm = nn.LSTM(input_size, config.head_hidden_size, batch_first=True, bidirectional=True)
            self.output_size = 2 * config.head_hidden_size

    def forward(self, token_vectors: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.lstm is None:
            return token_vectors
        lengths = mask.sum(1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(token_vectors, lengths, batch_first=True, enforce_sorted=False)
        outputs, _ = self.lstm(packed)
        outputs, _ = nn.utils.rnn.pad_packed_sequence(outputs, batch_first=True, total_length=token_vectors.shape[1])
        return outputs * mask.unsqueeze(-1).to(outputs.dtype)


def masked_pool(states: torch.Tensor, mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """`(batch, seq, dim)` → `(batch, dim)`: the max or the mean over the positions where `mask` is 1."""
    mask = mask.unsqueeze(-1).bool()
    if pooling == "max":
        pooled = states.masked_fill(~mask, torch.finfo(states.dtype).min).max(dim=1).values
        return pooled.masked_fill(~mask.any(dim=1), 0.0)
    return (states * mask.to(states.dtype)).sum(1) / mask.sum(1).clamp(min=1).to(states.dtype)


class SequenceClassificationHead(nn.Module):
    """`token_vectors (batch, seq, input_size)`, `mask (batch, seq)` → `logits (batch, num_labels)`:
    task encoder, pooling over the real positions, dropout, linear."""

    def __init__(self, config, input_size: int):
        super().__init__()
        self.pooling = config.head_pooling
        self.encoder = TaskEncoder(config, input_size)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.classifier = nn.Linear(self.encoder.output_size, config.num_labels)

    def forward(self, token_vectors: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        pooled = masked_pool(self.encoder(token_vectors, mask), mask, self.pooling)
        return self.classifier(self.dropout(pooled))


class TokenClassificationHead(nn.Module):
    """`token_vectors (batch, seq, input_size)`, `mask (batch, seq)` → `logits (batch, seq, num_labels)`:
    task encoder, dropout, linear at every position."""

    def __init__(self, config, input_size: int):
        super().__init__()
        self.encoder = TaskEncoder(config, input_size)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.classifier = nn.Linear(self.encoder.output_size, config.num_labels)

    def forward(self, token_vectors: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.encoder(token_vectors, mask)))


class FreezablePretrainedMixin:
    """For a family's head classes (listed before its `PreTrainedModel` base): `config.freeze_pretrained` decides
    whether the submodule named `pretrained_bottom` trains. It is applied when the model is built (call
    `apply_freeze_pretrained()` at the end of `__init__`) and again after `from_pretrained`, whose loading replaces
    the parameters that `__init__` froze."""

    pretrained_bottom: str

    def apply_freeze_pretrained(self) -> None:
        """Make the pre-trained bottom trainable or not, as `config.freeze_pretrained` says."""
        self.get_submodule(self.pretrained_bottom).requires_grad_(not self.config.freeze_pretrained)

    @classmethod
    def from_pretrained(cls, *args, **kwargs):
        loaded = super().from_pretrained(*args, **kwargs)
        model = loaded[0] if isinstance(loaded, tuple) else loaded
        model.apply_freeze_pretrained()
        return loaded


def sequence_classification_loss(config, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """BERT's sequence loss for `logits (batch, num_labels)`.

    `labels` are `(batch,)` floats for regression, `(batch,)` class ids for single-label classification or
    `(batch, num_labels)` 0/1 for multi-label classification. An unset `config.problem_type` is inferred once
    (regression when `num_labels == 1`, single-label for integer labels, multi-label otherwise) and stored.
    """
    if config.problem_type is None:
        if config.num_labels == 1:
            config.problem_type = "regression"
        elif labels.dtype in (torch.long, torch.int):
            config.problem_type = "single_label_classification"
        else:
            config.problem_type = "multi_label_classification"
    if config.problem_type == "regression":
        return F.mse_loss(logits.squeeze(-1), labels.squeeze(-1).to(logits.dtype))
    if config.problem_type == "single_label_classification":
        if labels.shape != logits.shape[:1]:
            raise ValueError(f"labels: expected shape ({logits.shape[0]},) of class ids, got {tuple(labels.shape)}")
        return F.cross_entropy(logits, labels.long(), ignore_index=IGNORE_INDEX)
    if labels.shape != logits.shape:
        raise ValueError(f"labels: expected shape {tuple(logits.shape)} for multi-label, got {tuple(labels.shape)}")
    return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))


def token_classification_loss(logits: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Cross entropy of `logits (batch, seq, num_labels)` against `labels (batch, seq)` over the positions whose
    label is not -100 and whose `mask` is 1."""
    if labels.shape != logits.shape[:2]:
        raise ValueError(f"labels: expected shape {tuple(logits.shape[:2])}, one per token, got {tuple(labels.shape)}")
    if mask is not None:
        labels = labels.masked_fill(~mask.bool(), IGNORE_INDEX)
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten().long(), ignore_index=IGNORE_INDEX)


class SequenceClassifierMixin:
    """The forward of a family's sequence-classification head class (listed before the family's head base, which
    provides `token_vectors(input_ids, attention_mask) -> (vectors, mask)` and builds `head` from `head_class`).

    forward: `input_ids`, `attention_mask (batch, seq)` → `logits (batch, num_labels)`; with `labels`, the loss of
    `config.problem_type` (BERT's conventions).
    """

    head_class = SequenceClassificationHead

    def forward(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> SequenceClassifierOutput | tuple:
        vectors, mask = self.token_vectors(input_ids, attention_mask)
        logits = self.head(vectors, mask)
        loss = sequence_classification_loss(self.config, logits, labels) if labels is not None else None
        output = SequenceClassifierOutput(loss=loss, logits=logits)
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        return output if return_dict else output.to_tuple()


class TokenClassifierMixin:
    """The forward of a family's token-classification head class (see `SequenceClassifierMixin`).

    forward: `input_ids`, `attention_mask (batch, seq)` → `logits (batch, seq, num_labels)`; with `labels (batch,
    seq)`, cross entropy over the real positions whose label is not -100.
    """

    head_class = TokenClassificationHead

    def forward(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> TokenClassifierOutput | tuple:
        vectors, mask = self.token_vectors(input_ids, attention_mask)
        logits = self.head(vectors, mask)
        loss = token_classification_loss(logits, labels, mask) if labels is not None else None
        output = TokenClassifierOutput(loss=loss, logits=logits)
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        return output if return_dict else output.to_tuple()


__all__ = [
    "FreezablePretrainedMixin",
    "HEAD_ENCODERS",
    "HEAD_POOLINGS",
    "SequenceClassificationHead",
    "SequenceClassifierMixin",
    "TaskEncoder",
    "TokenClassificationHead",
    "TokenClassifierMixin",
    "masked_pool",
    "sequence_classification_loss",
    "token_classification_loss",
    "validate_task_head",
]
