"""word2vec as transformers models.

`Word2VecModel` is the pre-trained first layer: a table of input vectors whose forward returns
`last_hidden_state (batch, seq, vector_size)`, usable frozen or fine-tuned under any downstream head.
`Word2VecForPreTraining` adds the output side of the two word2vec objectives and their loss:

- negative sampling: `-log σ(h·u_w) - Σ_k log σ(-h·u_{n_k})`, noise words `n_k` drawn from `count^ns_exponent`;
- hierarchical softmax: `-Σ_j log σ((1 - 2 c_j) h·v_{p_j})` over the Huffman path (`p_j` inner nodes,
  `c_j` code bits) of the predicted word `w`.

`h` is one input vector (skip-gram) or the sum or mean of the context vectors (CBOW).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from transformers import PreTrainedModel
from transformers.modeling_outputs import BaseModelOutput
from transformers.utils import ModelOutput

from .configuration_word2vec import Word2VecConfig
from .keyed_vectors import WordVectors
from .task_heads import FreezablePretrainedMixin, SequenceClassifierMixin, TokenClassifierMixin


@dataclass
class Word2VecForPreTrainingOutput(ModelOutput):
    """Loss of a batch of word2vec training examples.

    Args:
        loss: the mean over the batch of the per-example loss (sum of the objectives in use).
        negative_sampling_loss: the negative-sampling part, or None.
        hierarchical_softmax_loss: the hierarchical-softmax part, or None.
        hidden_states: `(batch, vector_size)` the projection `h` of each example.
    """

    loss: torch.FloatTensor | None = None
    negative_sampling_loss: torch.FloatTensor | None = None
    hierarchical_softmax_loss: torch.FloatTensor | None = None
    hidden_states: torch.FloatTensor | None = None


AUTO_MAP = {
    "AutoModel": "modeling_word2vec.Word2VecModel",
    "AutoModelForPreTraining": "modeling_word2vec.Word2VecForPreTraining",
    "AutoModelForSequenceClassification": "modeling_word2vec.Word2VecForSequenceClassification",
    "AutoModelForTokenClassification": "modeling_word2vec.Word2VecForTokenClassification",
}
PRETRAINING_ONLY_KEYS = [r"^output_vectors", r"^node_vectors", r"^noise_distribution", r"^huffman_"]


class Word2VecPreTrainedModel(PreTrainedModel):
    config_class = Word2VecConfig
    base_model_prefix = "word2vec"
    main_input_name = "input_ids"

    def save_pretrained(self, save_directory, *args, **kwargs):
        """Save as transformers does; a folder saved with remote code lists every Auto class of the family."""
        if self._auto_class is not None:
            self.config.auto_map = {**(getattr(self.config, "auto_map", None) or {}), **AUTO_MAP}
        return super().save_pretrained(save_directory, *args, **kwargs)

    @torch.no_grad()
    def _init_weights(self, module):
        """Input vectors uniform in ±1/vector_size (gensim 4; word2vec.c draws ±0.5/vector_size, which left
        CBOW's analogy accuracy ~0.3 points below gensim's), output weights zero, `<pad>` row zero; the layers of
        task heads as transformers initialises them."""
        if isinstance(module, nn.Embedding):
            bound = 1.0 / module.embedding_dim
            nn.init.uniform_(module.weight, -bound, bound)
            if module.padding_idx is not None:
                module.weight[module.padding_idx].zero_()
        elif isinstance(module, Word2VecForPreTraining):
            for parameter in (module.output_vectors, module.node_vectors):
                if parameter is not None:
                    nn.init.zeros_(parameter)
        else:
            super()._init_weights(module)


class Word2VecModel(Word2VecPreTrainedModel):
    """The input vectors of word2vec as an embedding layer.

    forward: `input_ids (batch, seq)` → `last_hidden_state (batch, seq, vector_size)`; positions where
    `attention_mask` is 0 are zero vectors.
    """

    _keys_to_ignore_on_load_unexpected = PRETRAINING_ONLY_KEYS

    def __init__(self, config: Word2VecConfig):
        super().__init__(config)
        self.embeddings = nn.Embedding(config.vocab_size, config.vector_size, padding_idx=config.pad_token_id)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings

    def set_input_embeddings(self, value: nn.Embedding):
        self.embeddings = value

    def forward(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> BaseModelOutput | tuple:
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids: expected shape (batch, seq), got {tuple(input_ids.shape)}")
        hidden = self.embeddings(input_ids)
        if attention_mask is not None:
            if attention_mask.shape != input_ids.shape:
                raise ValueError(
                    f"attention_mask: expected shape {tuple(input_ids.shape)} like input_ids, "
                    f"got {tuple(attention_mask.shape)}"
                )
            hidden = hidden * attention_mask.unsqueeze(-1).to(hidden.dtype)
        output_hidden_states = (
            output_hidden_states if output_hidden_states is not None else self.config.output_hidden_states
        )
        hidden_states = (hidden,) if output_hidden_states else None
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        if not return_dict:
            return tuple(value for value in (hidden, hidden_states) if value is not None)
        return BaseModelOutput(last_hidden_state=hidden, hidden_states=hidden_states)

    def word_vectors(self, tokenizer) -> WordVectors:
        """The input vectors of every word of `tokenizer` (special tokens left out), for gensim-style queries."""
        special = set(tokenizer.all_special_ids)
        ids = [index for index in range(len(tokenizer)) if index not in special]
        words = tokenizer.convert_ids_to_tokens(ids)
        vectors = self.embeddings.weight.detach().float().cpu().numpy()[ids]
        counts = np.asarray(tokenizer.word_counts, dtype=np.int64)[ids]
        return WordVectors(words, vectors, counts)


class Word2VecForPreTraining(Word2VecPreTrainedModel):
    """word2vec with the output weights of its objectives and their loss.

    Parameters: `word2vec.embeddings.weight (vocab, dim)` input vectors (gensim `wv.vectors`);
    `output_vectors (vocab, dim)` for negative sampling (gensim `syn1neg`); `node_vectors (vocab, dim)`, one
    row per inner node of the Huffman tree, for hierarchical softmax (gensim `syn1`). Buffers:
    `noise_distribution (vocab,)`, and the tree as `huffman_codes`, `huffman_points (vocab, max_code_length)`
    and `huffman_code_lengths (vocab,)`.
    """

    def __init__(self, config: Word2VecConfig):
        super().__init__(config)
        self.word2vec = Word2VecModel(config)
        shape = (config.vocab_size, config.vector_size)
        self.output_vectors = nn.Parameter(torch.zeros(shape)) if config.uses_negative_sampling else None
        self.node_vectors = nn.Parameter(torch.zeros(shape)) if config.uses_hierarchical_softmax else None
        self.register_buffer("noise_distribution", torch.zeros(config.vocab_size))
        depth = (config.vocab_size, config.max_code_length)
        self.register_buffer("huffman_codes", torch.zeros(depth, dtype=torch.uint8))
        self.register_buffer("huffman_points", torch.zeros(depth, dtype=torch.int32))
        self.register_buffer("huffman_code_lengths", torch.zeros(config.vocab_size, dtype=torch.int32))
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.word2vec.embeddings

    def set_vocabulary_statistics(
        self,
        noise_distribution: torch.Tensor,
        huffman_codes: torch.Tensor,
        huffman_points: torch.Tensor,
        huffman_code_lengths: torch.Tensor,
    ):
        """Install the noise distribution `(vocab,)` and the Huffman tree `(vocab, depth)`, `(vocab,)`."""
        vocab, depth = self.config.vocab_size, self.config.max_code_length
        expected = {
            "noise_distribution": (noise_distribution, (vocab,)),
            "huffman_codes": (huffman_codes, (vocab, depth)),
            "huffman_points": (huffman_points, (vocab, depth)),
            "huffman_code_lengths": (huffman_code_lengths, (vocab,)),
        }
        for name, (value, shape) in expected.items():
            if tuple(value.shape) != shape:
                raise ValueError(f"{name}: expected shape {shape}, got {tuple(value.shape)}")
            getattr(self, name).copy_(value)

    def project(self, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """`h (batch, dim)`: the input vector (one input word) or the sum or mean of the masked context vectors."""
        vectors = self.word2vec.embeddings(input_ids)
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        mask = attention_mask.unsqueeze(-1).to(vectors.dtype)
        hidden = (vectors * mask).sum(dim=1)
        if self.config.cbow_mean:
            hidden = hidden / mask.sum(dim=1).clamp(min=1)
        return hidden

    def sample_negatives(self, labels: torch.LongTensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """`(batch, negative)` noise words drawn from `noise_distribution`."""
        if not bool(self.noise_distribution.sum() > 0):
            raise ValueError("noise_distribution is all zero: call set_vocabulary_statistics() before training")
        draws = torch.multinomial(
            self.noise_distribution,
            labels.numel() * self.config.negative,
            replacement=True,
            generator=generator,
        )
        return draws.view(labels.numel(), self.config.negative)

    def negative_sampling_loss(self, hidden, labels, negative_ids) -> torch.Tensor:
        """`(batch,)`: `-log σ(h·u_w) - Σ_k log σ(-h·u_{n_k})`, noise words equal to `w` skipped (word2vec.c)."""
        positive = (hidden * self.output_vectors[labels]).sum(-1)
        negative = torch.einsum("bd,bkd->bk", hidden, self.output_vectors[negative_ids])
        keep = (negative_ids != labels.unsqueeze(1)).to(hidden.dtype)
        return -F.logsigmoid(positive) - (F.logsigmoid(-negative) * keep).sum(-1)

    def hierarchical_softmax_loss(self, hidden, labels) -> torch.Tensor:
        """`(batch,)`: `-Σ_j log σ((1 - 2 c_j) h·v_{p_j})` along the Huffman path of each label."""
        points = self.huffman_points[labels].long()
        signs = 1.0 - 2.0 * self.huffman_codes[labels].to(hidden.dtype)
        lengths = self.huffman_code_lengths[labels].long()
        on_path = torch.arange(points.shape[1], device=points.device) < lengths.unsqueeze(1)
        scores = torch.einsum("bd,bjd->bj", hidden, self.node_vectors[points])
        return -(F.logsigmoid(signs * scores) * on_path.to(hidden.dtype)).sum(-1)

    def forward(
        self,
        input_ids: torch.LongTensor,
        labels: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        negative_ids: torch.LongTensor | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> Word2VecForPreTrainingOutput | tuple:
        """Loss of a batch of examples.

        Args:
            input_ids: `(batch, n)` the words that form `h`: one word of each pair for skip-gram (`n = 1`), the
                context window for CBOW, with `attention_mask (batch, n)` marking real positions.
            labels: `(batch,)` the word to predict.
            negative_ids: `(batch, negative)` noise words; drawn from `noise_distribution` when None.
        """
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids: expected shape (batch, n), got {tuple(input_ids.shape)}")
        if labels.shape != input_ids.shape[:1]:
            raise ValueError(f"labels: expected shape ({input_ids.shape[0]},), got {tuple(labels.shape)}")
        hidden = self.project(input_ids, attention_mask)
        ns_loss = hs_loss = None
        total = torch.zeros((), device=hidden.device, dtype=hidden.dtype)
        if self.config.uses_negative_sampling:
            if negative_ids is None:
                negative_ids = self.sample_negatives(labels)
            ns_loss = self.negative_sampling_loss(hidden, labels, negative_ids).mean()
            total = total + ns_loss
        if self.config.uses_hierarchical_softmax:
            hs_loss = self.hierarchical_softmax_loss(hidden, labels).mean()
            total = total + hs_loss
        output = Word2VecForPreTrainingOutput(
            loss=total,
            negative_sampling_loss=ns_loss,
            hierarchical_softmax_loss=hs_loss,
            hidden_states=hidden,
        )
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        return output if return_dict else output.to_tuple()


class Word2VecHeadBase(FreezablePretrainedMixin, Word2VecPreTrainedModel):
    """word2vec's input vectors under a task head (`head`, from `task_heads`): the vectors of `input_ids (batch,
    seq)` feed the head's BiLSTM or pooling encoder. With `config.freeze_pretrained` the vectors stay fixed
    (feature-based); otherwise they are fine-tuned with the head."""

    _keys_to_ignore_on_load_unexpected = PRETRAINING_ONLY_KEYS
    head_class: type[nn.Module]
    pretrained_bottom = "word2vec"

    def __init__(self, config: Word2VecConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.word2vec = Word2VecModel(config)
        self.head = self.head_class(config, config.vector_size)
        self.post_init()
        self.apply_freeze_pretrained()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.word2vec.embeddings

    def set_input_embeddings(self, value: nn.Embedding):
        self.word2vec.embeddings = value
        value.requires_grad_(not self.config.freeze_pretrained)

    def token_vectors(self, input_ids, attention_mask) -> tuple[torch.Tensor, torch.Tensor]:
        """`(batch, seq, vector_size)` vectors and the `(batch, seq)` mask (all ones when none is given)."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        return self.word2vec(input_ids, attention_mask=attention_mask).last_hidden_state, attention_mask


class Word2VecForSequenceClassification(SequenceClassifierMixin, Word2VecHeadBase):
    """One label (or regression value, or label set) per sequence, or per sentence pair when the tokenizer
    marks pairs (`Word2VecTokenizer.add_boundary_markers`).

    forward: `input_ids (batch, seq)`, `attention_mask (batch, seq)` → `logits (batch, num_labels)`; with
    `labels`, the loss of `config.problem_type` (BERT's conventions).
    """


class Word2VecForTokenClassification(TokenClassifierMixin, Word2VecHeadBase):
    """One label per token (tagging).

    forward: `input_ids (batch, seq)`, `attention_mask (batch, seq)` → `logits (batch, seq, num_labels)`; with
    `labels (batch, seq)`, cross entropy over the real positions whose label is not -100.
    """


__all__ = [
    "Word2VecPreTrainedModel",
    "Word2VecModel",
    "Word2VecForPreTraining",
    "Word2VecForPreTrainingOutput",
    "Word2VecForSequenceClassification",
    "Word2VecForTokenClassification",
]
