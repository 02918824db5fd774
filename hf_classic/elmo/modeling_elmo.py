"""ELMo as transformers models: a character-CNN bidirectional language model (bilm-tf / AllenNLP layout).

A token is its character ids `(50,)` (see `tokenization_elmo`). The model

1. adds the sentence boundaries `<S>` and `</S>` around each sentence (as AllenNLP's character encoder does);
2. maps each distinct token to its representation `e (projection_dim)`: character embedding, convolutions
   of several widths max-pooled over positions and activated, highway layers
   `y = t * relu(x W_T + b_T) + (1 - t) * x` with `t = sigmoid(x W_C + b_C)`, and a linear projection;
3. runs `num_layers` LSTMs with a projected, clipped output per direction (TensorFlow's `LSTMCell`):
   `i, j, f, o = [x, h] W + b`, `c = clip(sigmoid(f + forget_bias) c + sigmoid(i) tanh(j))`,
   `h = clip((sigmoid(o) tanh(c)) W_P)`, the backward direction over each sentence reversed within its length;
   from the second layer on, the layer input is added to its output (skip connection);
4. returns the layers `[e; e]`, `[h_fwd^1; h_bwd^1]`, ... `(batch, seq, 2 * projection_dim)` and their
   scalar mix `gamma * sum_k softmax(w)_k * layer_k` (optionally layer-normalised), boundaries removed.

The computation is exact with respect to AllenNLP's `Elmo` (stateless: every call starts from the zero
state) but organised for speed: the character CNN runs once per distinct token of the batch and only over the
character positions any token uses, the input side of every LSTM gate is one matrix product over all time
steps, the two directions run together in one batched product per step, and sentences are sorted by length
once so that finished sentences drop out of the step as a prefix slice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from transformers import PreTrainedModel
from transformers.modeling_outputs import BaseModelOutput
from transformers.utils import ModelOutput

from .configuration_elmo import ElmoConfig
from .pipeline_elmo import CUSTOM_PIPELINES
from .task_heads import FreezablePretrainedMixin, SequenceClassifierMixin, TokenClassifierMixin

BEGIN_OF_WORD = 259
END_OF_WORD = 260
CHARACTER_PADDING = 261
BEGIN_OF_SENTENCE_BYTE = 257
END_OF_SENTENCE_BYTE = 258


def boundary_character_ids(max_characters_per_token: int) -> torch.LongTensor:
    """`(2, max_characters_per_token)` the character ids of `<S>` and `</S>` (with the +1 offset)."""
    ids = torch.full((2, max_characters_per_token), CHARACTER_PADDING, dtype=torch.long)
    ids[:, 0] = BEGIN_OF_WORD
    ids[:, 1] = torch.tensor([BEGIN_OF_SENTENCE_BYTE, END_OF_SENTENCE_BYTE])
    ids[:, 2] = END_OF_WORD
    return ids


class Highway(nn.Module):
    """`y = t * relu(x W_T + b_T) + (1 - t) * x` with the carry gate `t = sigmoid(x W_C + b_C)` (bilm-tf)."""

    def __init__(self, size: int):
        super().__init__()
        self.transform = nn.Linear(size, size)
        self.carry = nn.Linear(size, size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.carry(x))
        return gate * F.relu(self.transform(x)) + (1 - gate) * x


class ElmoCharacterEncoder(nn.Module):
    """Character CNN, highway layers and projection: `char_ids (tokens, 50)` → `e (tokens, projection_dim)`.

    Each convolution of width `w` is max-pooled over the `50 - w + 1` window positions. Windows lying wholly
    in the in-token padding (id 261) give the same value for every token, so the convolution runs only over the
    positions some token of the batch uses, and that constant window joins the max where such windows exist.
    """

    def __init__(self, config: ElmoConfig):
        super().__init__()
        self.max_characters_per_token = config.max_characters_per_token
        self.activation = torch.tanh if config.activation == "tanh" else F.relu
        self.char_embeddings = nn.Embedding(config.n_characters, config.char_embedding_dim, padding_idx=0)
        self.convolutions = nn.ModuleList(
            nn.Conv1d(config.char_embedding_dim, number, width) for width, number in config.filters
        )
        self.highways = nn.ModuleList(Highway(config.n_filters) for _ in range(config.n_highway))
        self.projection = nn.Linear(config.n_filters, config.projection_dim)

    def convolve(self, char_ids: torch.LongTensor) -> torch.Tensor:
        """`(tokens, n_filters)`: each convolution max-pooled over positions, activated, concatenated."""
        full = self.max_characters_per_token
        used = int((char_ids != CHARACTER_PADDING).any(0).nonzero().max()) + 1 if char_ids.numel() else 1
        padding_window = self.char_embeddings.weight[CHARACTER_PADDING].unsqueeze(1)
        features = []
        for convolution in self.convolutions:
            width = convolution.kernel_size[0]
            span = min(full, used + width - 1)
            embedded = self.char_embeddings(char_ids[:, :span]).transpose(1, 2)
            pooled = convolution(embedded).amax(dim=2)
            if full - width + 1 > span - width + 1:
                constant = convolution(padding_window.expand(-1, width).unsqueeze(0))[0, :, 0]
                pooled = torch.maximum(pooled, constant)
            features.append(self.activation(pooled))
        return torch.cat(features, dim=1)

    def forward(self, char_ids: torch.LongTensor) -> torch.Tensor:
        hidden = self.convolve(char_ids)
        for highway in self.highways:
            hidden = highway(hidden)
        return self.projection(hidden)


def fast_tanh(x: torch.Tensor) -> torch.Tensor:
    """`tanh(x) = 2 * sigmoid(2 x) - 1` (within 2e-7), for large tensors, where it is several times faster than
    `torch.tanh` on CPU; small tensors, where the extra operations cost more than they save, use `torch.tanh`."""
    if x.numel() < 8192:
        return torch.tanh(x)
    return 2 * torch.sigmoid(2 * x) - 1


class ElmoLstmLayer(nn.Module):
    """One layer of both LSTM directions, TensorFlow orientation and gate order (i, j, f, o), directions stacked.

    Parameters: `input_weight (2, input, 4 * lstm_dim)`, `recurrent_weight (2, projection_dim, 4 * lstm_dim)`,
    `bias (2, 4 * lstm_dim)` (without the forget bias), `projection_weight (2, lstm_dim, projection_dim)`;
    index 0 is the forward direction, 1 the backward one. bilm-tf's `W_0` is `[input_weight; recurrent_weight]`.
    """

    def __init__(self, input_size: int, config: ElmoConfig):
        super().__init__()
        gates = 4 * config.lstm_dim
        self.lstm_dim = config.lstm_dim
        self.forget_bias = float(config.forget_bias)
        self.cell_clip = config.cell_clip
        self.proj_clip = config.proj_clip
        self.input_weight = nn.Parameter(torch.empty(2, input_size, gates))
        self.recurrent_weight = nn.Parameter(torch.empty(2, config.projection_dim, gates))
        self.bias = nn.Parameter(torch.empty(2, gates))
        self.projection_weight = nn.Parameter(torch.empty(2, config.lstm_dim, config.projection_dim))

    def project_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """The input side of the gates, `inputs (2, n, input)` → `inputs W + b + forget_bias (2, n, 4 * lstm_dim)`."""
        size = self.lstm_dim
        forget = torch.zeros_like(self.bias)
        forget[:, 2 * size : 3 * size] = self.forget_bias
        return torch.baddbmm((self.bias + forget).unsqueeze(1), inputs, self.input_weight)

    def forward(self, projected_inputs: torch.Tensor, active: list[int]) -> torch.Tensor:
        """Run both directions over packed sequences → `(2, n, projection_dim)` packed the same way.

        `projected_inputs (2, n, 4 * lstm_dim)` (from `project_inputs`) holds the sequences packed time-major:
        the steps one after another, and at step `t` the first `active[t]` sequences (sorted longest first; the
        backward direction's already reversed within their lengths), so that a step reads and writes one slice.
        """
        batch = active[0] if active else 0
        projection = self.projection_weight.shape[2]
        outputs = projected_inputs.new_empty(2, projected_inputs.shape[1], projection)
        hidden = projected_inputs.new_zeros(2, batch, projection)
        cell = projected_inputs.new_zeros(2, batch, self.lstm_dim)
        start = 0
        for running in active:
            end = start + running
            gates = torch.baddbmm(projected_inputs[:, start:end], hidden[:, :running], self.recurrent_weight)
            input_gate, candidate, forget_gate, output_gate = gates.chunk(4, dim=2)
            cell = torch.sigmoid(forget_gate) * cell[:, :running] + torch.sigmoid(input_gate) * fast_tanh(candidate)
            if self.cell_clip is not None:
                cell = cell.clamp(-self.cell_clip, self.cell_clip)
            hidden = torch.bmm(torch.sigmoid(output_gate) * fast_tanh(cell), self.projection_weight)
            if self.proj_clip is not None:
                hidden = hidden.clamp(-self.proj_clip, self.proj_clip)
            outputs[:, start:end] = hidden
            start = end
        return outputs


class ScalarMix(nn.Module):
    """`gamma * sum_k softmax(w)_k * layer_k` over `num_layers + 1` layers (AllenNLP's `ScalarMix`).

    With `do_layer_norm`, each layer is first normalised with one mean and one (population) variance over all
    its unmasked elements in the batch: `(x - mean) / sqrt(var + 1e-13)`.
    """

    def __init__(self, config: ElmoConfig):
        super().__init__()
        self.do_layer_norm = config.do_layer_norm
        self.scalar_parameters = nn.Parameter(torch.tensor(config.scalar_mix_parameters, dtype=torch.float))
        self.gamma = nn.Parameter(torch.tensor(float(config.scalar_mix_gamma)))

    def forward(self, layers: list[torch.Tensor], mask: torch.Tensor | None = None) -> torch.Tensor:
        """`layers`: each `(batch, seq, dim)`; `mask (batch, seq)` is needed only with layer norm."""
        if len(layers) != self.scalar_parameters.numel():
            raise ValueError(f"ScalarMix: expected {self.scalar_parameters.numel()} layers, got {len(layers)}")
        weights = torch.softmax(self.scalar_parameters, dim=0)
        if self.do_layer_norm:
            if mask is None:
                raise ValueError("ScalarMix: do_layer_norm=True needs the mask")
            broadcast_mask = mask.unsqueeze(-1).to(layers[0].dtype)
            count = broadcast_mask.sum() * layers[0].shape[-1]
            layers = [self._layer_norm(layer, broadcast_mask, count) for layer in layers]
        mixed = weights[0] * layers[0]
        for weight, layer in zip(weights[1:], layers[1:], strict=True):
            mixed = mixed + weight * layer
        return self.gamma * mixed

    @staticmethod
    def _layer_norm(layer: torch.Tensor, broadcast_mask: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
        masked = layer * broadcast_mask
        mean = masked.sum() / count
        variance = (((masked - mean) * broadcast_mask) ** 2).sum() / count
        return (layer - mean) / torch.sqrt(variance + 1e-13)


@dataclass
class ElmoBiLmOutput(ModelOutput):
    """The biLM activations with the sentence boundaries, in batch order.

    Args:
        layers: `num_layers + 1` tensors `(batch, seq + 2, 2 * projection_dim)`: position 0 is `<S>`, position
            `length + 1` is `</S>`, padding after it is 0. Layer 0 is `[e; e]`.
        mask: `(batch, seq + 2)` true at `<S>`, the words and `</S>`.
        forward_top: `(batch, seq + 2, projection_dim)` top forward LSTM output (the LM's forward hidden state).
        backward_top: `(batch, seq + 2, projection_dim)` top backward LSTM output, in forward order.
    """

    layers: tuple[torch.FloatTensor, ...] | None = None
    mask: torch.BoolTensor | None = None
    forward_top: torch.FloatTensor | None = None
    backward_top: torch.FloatTensor | None = None


@dataclass
class ElmoForPreTrainingOutput(ModelOutput):
    """Language-model losses of a batch.

    Args:
        loss: `(forward_loss + backward_loss) / 2` (bilm-tf's total loss).
        forward_loss, backward_loss: mean negative log-likelihood per predicted word, each direction.
        forward_perplexity, backward_perplexity: `exp` of the two losses.
        forward_logits, backward_logits: `(batch, seq + 2, vocab_size)` with the full softmax, else None.
    """

    loss: torch.FloatTensor | None = None
    forward_loss: torch.FloatTensor | None = None
    backward_loss: torch.FloatTensor | None = None
    forward_perplexity: torch.FloatTensor | None = None
    backward_perplexity: torch.FloatTensor | None = None
    forward_logits: torch.FloatTensor | None = None
    backward_logits: torch.FloatTensor | None = None


AUTO_MAP = {
    "AutoModel": "modeling_elmo.ElmoModel",
    "AutoModelForPreTraining": "modeling_elmo.ElmoForPreTraining",
    "AutoModelForSequenceClassification": "modeling_elmo.ElmoForSequenceClassification",
    "AutoModelForTokenClassification": "modeling_elmo.ElmoForTokenClassification",
}


class ElmoPreTrainedModel(PreTrainedModel):
    config_class = ElmoConfig
    base_model_prefix = "elmo"
    main_input_name = "input_ids"

    def save_pretrained(self, save_directory, *args, **kwargs):
        """Save as transformers does; a folder saved with remote code lists every Auto class of the family."""
        if self._auto_class is not None:
            self.config.auto_map = {**(getattr(self.config, "auto_map", None) or {}), **AUTO_MAP}
        return super().save_pretrained(save_directory, *args, **kwargs)

    @torch.no_grad()
    def _init_weights(self, module):
        """LSTM weights uniform in `±1/sqrt(lstm_dim)`, biases 0, character row 0 zero, mix from the config."""
        if isinstance(module, ElmoLstmLayer):
            bound = 1.0 / math.sqrt(module.lstm_dim)
            for parameter in (module.input_weight, module.recurrent_weight, module.projection_weight):
                nn.init.uniform_(parameter, -bound, bound)
            nn.init.zeros_(module.bias)
        elif isinstance(module, ScalarMix):
            module.scalar_parameters.copy_(torch.tensor(self.config.scalar_mix_parameters))
            module.gamma.fill_(float(self.config.scalar_mix_gamma))
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=1.0)
            module.weight[0].zero_()
        elif isinstance(module, (nn.Linear, nn.Conv1d)):
            nn.init.xavier_uniform_(module.weight)
            nn.init.zeros_(module.bias)
        else:
            super()._init_weights(module)


class ElmoBiLm(nn.Module):
    """The biLM: `char_ids (batch, seq, 50)` and a mask → `ElmoBiLmOutput` (layers with boundaries)."""

    def __init__(self, config: ElmoConfig):
        super().__init__()
        self.use_skip_connections = config.use_skip_connections
        self.max_characters_per_token = config.max_characters_per_token
        self.character_encoder = ElmoCharacterEncoder(config)
        self.layers = nn.ModuleList(ElmoLstmLayer(config.projection_dim, config) for _ in range(config.num_layers))

    def token_indices(self, char_ids: torch.LongTensor, mask: torch.Tensor):
        """Distinct tokens of the batch and where they go.

        Returns `distinct (n, 50)`, the distinct character-id rows (boundaries included), and
        `index (batch, seq + 2)`: 1 + the row in `distinct` of each position, 0 at padding.
        """
        batch, seq, _ = char_ids.shape
        lengths = mask.sum(1)
        boundaries = boundary_character_ids(self.max_characters_per_token).to(char_ids.device)
        tokens = torch.cat([boundaries, char_ids[mask]])
        distinct, inverse = torch.unique(tokens, dim=0, return_inverse=True)
        index = torch.zeros(batch, seq + 2, dtype=torch.long, device=char_ids.device)
        index[:, 0] = inverse[0] + 1
        index[:, 1 : seq + 1][mask] = inverse[2:] + 1
        index[torch.arange(batch, device=char_ids.device), lengths + 1] = inverse[1] + 1
        return distinct, index

    def forward(self, char_ids: torch.LongTensor, mask: torch.Tensor, lm_dropout: float = 0.0) -> ElmoBiLmOutput:
        """`char_ids (batch, seq, 50)`, `mask (batch, seq)` → the layers with boundaries, in batch order.

        Each distinct token goes once through the character encoder, and (without dropout) once through the first
        layer's input projection. The LSTMs run on the packed layout of `ElmoLstmLayer.forward`.
        """
        distinct, index = self.token_indices(char_ids, mask.bool())
        representations = self.character_encoder(distinct)
        representations = torch.cat([representations.new_zeros(1, representations.shape[1]), representations])
        lengths = (index > 0).sum(1)
        order = torch.argsort(lengths, descending=True, stable=True)
        sorted_lengths = lengths[order]
        running = sorted_lengths.unsqueeze(0) > torch.arange(index.shape[1], device=index.device).unsqueeze(1)
        active = running.sum(1).tolist()
        active = active[: len(active) - active[::-1].index(0)] if 0 in active else active
        packed_time, packed_row = running.nonzero(as_tuple=True)
        rows = order[packed_row]
        times = torch.stack([packed_time, sorted_lengths[packed_row] - 1 - packed_time])
        tokens = index[rows.unsqueeze(0), times]
        embedded = representations[index]
        layers = [torch.cat([embedded, embedded], dim=2)]
        inputs = representations[tokens]
        for number, layer in enumerate(self.layers):
            if number == 0 and lm_dropout == 0:
                table = layer.project_inputs(representations.unsqueeze(0).expand(2, -1, -1))
                projected = torch.stack([table[0, tokens[0]], table[1, tokens[1]]])
            else:
                dropped = F.dropout(inputs, lm_dropout, training=True) if lm_dropout > 0 else inputs
                projected = layer.project_inputs(dropped)
            outputs = layer(projected, active)
            if number > 0 and self.use_skip_connections:
                outputs = outputs + inputs
            inputs = outputs
            padded = outputs.new_zeros(*index.shape, 2 * outputs.shape[2])
            padded[rows, times[0], : outputs.shape[2]] = outputs[0]
            padded[rows, times[1], outputs.shape[2] :] = outputs[1]
            layers.append(padded)
        top = layers[-1]
        half = top.shape[2] // 2
        return ElmoBiLmOutput(
            layers=tuple(layers), mask=index > 0, forward_top=top[..., :half], backward_top=top[..., half:]
        )


def remove_sentence_boundaries(tensor: torch.Tensor, mask_with_boundaries: torch.Tensor) -> torch.Tensor:
    """`(batch, seq + 2, dim)` → `(batch, seq, dim)`: `out[i, :n_i] = tensor[i, 1 : n_i + 1]`, 0 elsewhere."""
    words = mask_with_boundaries[:, 2:]
    return tensor[:, 1:-1] * words.unsqueeze(-1).to(tensor.dtype)


class ElmoModel(ElmoPreTrainedModel):
    """The ELMo biLM and its scalar mix, for feature extraction.

    forward: `input_ids (batch, seq, max_characters_per_token)` character ids (from `ElmoTokenizer`) and
    `attention_mask (batch, seq)` → `last_hidden_state (batch, seq, 2 * projection_dim)`, the scalar mix of the
    layers (dropout `config.dropout` in training); with `output_hidden_states`, `hidden_states` holds the
    `num_layers + 1` layers, each `(batch, seq, 2 * projection_dim)`. Padding positions are 0. Call
    `freeze_bilm()` to train only the mix, as the feature-based use of ELMo does.
    """

    _keys_to_ignore_on_load_unexpected = [r"^lm_head\."]

    def __init__(self, config: ElmoConfig):
        super().__init__(config)
        self.bilm = ElmoBiLm(config)
        self.scalar_mix = ScalarMix(config)
        self.post_init()

    def freeze_bilm(self) -> None:
        """Stop gradients to the biLM; only the scalar mix (`w`, `gamma`) stays trainable."""
        self.bilm.requires_grad_(False)

    def compute_mask(self, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
        """`(batch, seq)` bool: `attention_mask`, or the positions with any character id > 0."""
        if input_ids.dim() != 3 or input_ids.shape[2] != self.config.max_characters_per_token:
            raise ValueError(
                f"input_ids: expected shape (batch, seq, {self.config.max_characters_per_token}), "
                f"got {tuple(input_ids.shape)}"
            )
        if attention_mask is None:
            return (input_ids > 0).any(-1)
        if attention_mask.shape != input_ids.shape[:2]:
            raise ValueError(
                f"attention_mask: expected shape {tuple(input_ids.shape[:2])}, got {tuple(attention_mask.shape)}"
            )
        mask = attention_mask.bool()
        lengths = mask.sum(1, keepdim=True)
        if not torch.equal(mask, torch.arange(mask.shape[1], device=mask.device) < lengths):
            raise ValueError("attention_mask: expected each row to be ones then zeros (right padding)")
        return mask

    def forward(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> BaseModelOutput | tuple:
        mask = self.compute_mask(input_ids, attention_mask)
        bilm = self.bilm(input_ids, mask)
        mixed = self.scalar_mix(list(bilm.layers), bilm.mask)
        mixed = F.dropout(mixed, self.config.dropout, training=self.training)
        last_hidden_state = remove_sentence_boundaries(mixed, bilm.mask)
        output_hidden_states = (
            output_hidden_states if output_hidden_states is not None else self.config.output_hidden_states
        )
        hidden_states = None
        if output_hidden_states:
            hidden_states = tuple(remove_sentence_boundaries(layer, bilm.mask) for layer in bilm.layers)
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        if not return_dict:
            return tuple(value for value in (last_hidden_state, hidden_states) if value is not None)
        return BaseModelOutput(last_hidden_state=last_hidden_state, hidden_states=hidden_states)


class ElmoForPreTraining(ElmoPreTrainedModel):
    """The biLM with its word softmax, trained as two language models (bilm-tf).

    `labels (batch, seq + 2)` are word ids of `<S> w_1 ... w_n </S>` then -100 (`ElmoTokenizer(...,
    return_labels=True)`). The forward LM predicts `labels[p + 1]` from its top output at `p`, the backward LM
    `labels[p - 1]`; one softmax `lm_head (vocab_size, projection_dim)` serves both. In training with
    `n_negative_samples_batch > 0` the loss is a sampled softmax (log-uniform noise, as TensorFlow's
    `sampled_softmax_loss`, so the vocabulary must be sorted by decreasing frequency); otherwise the full softmax.
    """

    def __init__(self, config: ElmoConfig):
        super().__init__(config)
        if config.vocab_size < 1:
            raise ValueError(f"ElmoConfig.vocab_size={config.vocab_size}: ElmoForPreTraining needs a word vocabulary")
        self.elmo = ElmoModel(config)
        self.lm_head = nn.Linear(config.projection_dim, config.vocab_size)
        self.post_init()

    def _log_uniform(self, count: int, device) -> tuple[torch.Tensor, torch.Tensor]:
        """`count` noise words drawn with replacement from `P(k) = log((k + 2) / (k + 1)) / log(V + 1)`."""
        vocab = self.config.vocab_size
        ranks = torch.arange(vocab, device=device, dtype=torch.float)
        probabilities = torch.log((ranks + 2) / (ranks + 1)) / math.log(vocab + 1)
        return torch.multinomial(probabilities, count, replacement=True), probabilities

    def sampled_softmax_loss(self, hidden: torch.Tensor, targets: torch.LongTensor, noise) -> torch.Tensor:
        """Sampled-softmax loss of `targets (n,)` given `hidden (n, projection_dim)`.

        `noise = (samples (k,), probabilities (vocab,))`. Each logit is corrected by `-log(k * P(word))`, the
        log of the expected count of the word among the samples; samples equal to the target are left out.
        """
        samples, probabilities = noise
        expected = torch.log(probabilities * samples.numel())
        true_logits = (hidden * self.lm_head.weight[targets]).sum(1) + self.lm_head.bias[targets] - expected[targets]
        noise_logits = hidden @ self.lm_head.weight[samples].T + self.lm_head.bias[samples] - expected[samples]
        noise_logits = noise_logits.masked_fill(samples.unsqueeze(0) == targets.unsqueeze(1), float("-inf"))
        logits = torch.cat([true_logits.unsqueeze(1), noise_logits], dim=1)
        return F.cross_entropy(logits, torch.zeros_like(targets))

    def forward(
        self,
        input_ids: torch.LongTensor,
        labels: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> ElmoForPreTrainingOutput | tuple:
        mask = self.elmo.compute_mask(input_ids, attention_mask)
        if labels.shape != (input_ids.shape[0], input_ids.shape[1] + 2):
            raise ValueError(
                f"labels: expected shape {(input_ids.shape[0], input_ids.shape[1] + 2)} (with <S> and </S>), "
                f"got {tuple(labels.shape)}"
            )
        dropout = self.config.lm_dropout if self.training else 0.0
        bilm = self.elmo.bilm(input_ids, mask, lm_dropout=dropout)
        forward_targets = labels[:, 1:].masked_fill(~bilm.mask[:, :-1], -100)
        backward_targets = labels[:, :-1].masked_fill(~bilm.mask[:, 1:], -100)
        forward_hidden, backward_hidden = bilm.forward_top[:, :-1], bilm.backward_top[:, 1:]
        forward_logits = backward_logits = None
        if self.training and self.config.n_negative_samples_batch > 0:
            noise = self._log_uniform(self.config.n_negative_samples_batch, input_ids.device)
            forward_keep, backward_keep = forward_targets != -100, backward_targets != -100
            forward_loss = self.sampled_softmax_loss(forward_hidden[forward_keep], forward_targets[forward_keep], noise)
            backward_loss = self.sampled_softmax_loss(
                backward_hidden[backward_keep], backward_targets[backward_keep], noise
            )
        else:
            forward_logits, backward_logits = self.lm_head(bilm.forward_top), self.lm_head(bilm.backward_top)
            forward_loss = F.cross_entropy(forward_logits[:, :-1].flatten(0, 1), forward_targets.flatten())
            backward_loss = F.cross_entropy(backward_logits[:, 1:].flatten(0, 1), backward_targets.flatten())
        output = ElmoForPreTrainingOutput(
            loss=(forward_loss + backward_loss) / 2,
            forward_loss=forward_loss,
            backward_loss=backward_loss,
            forward_perplexity=torch.exp(forward_loss.detach()),
            backward_perplexity=torch.exp(backward_loss.detach()),
            forward_logits=forward_logits,
            backward_logits=backward_logits,
        )
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        return output if return_dict else output.to_tuple()


class ElmoHeadBase(FreezablePretrainedMixin, ElmoPreTrainedModel):
    """ELMo under a task head (`head`, from `task_heads`): the task's own scalar mix of the biLM's layers, then
    the head's BiLSTM or linear classifier. With `config.freeze_pretrained` the biLM stays fixed and only the mix
    and the head learn (ELMo's feature-based use); otherwise the biLM is fine-tuned too."""

    _keys_to_ignore_on_load_unexpected = [r"^lm_head\."]
    head_class: type[nn.Module]
    pretrained_bottom = "elmo.bilm"

    def __init__(self, config: ElmoConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.elmo = ElmoModel(config)
        self.head = self.head_class(config, config.hidden_size)
        self.post_init()
        self.apply_freeze_pretrained()

    def token_vectors(self, input_ids, attention_mask) -> tuple[torch.Tensor, torch.Tensor]:
        """`(batch, seq, 2 * projection_dim)` mixed vectors and the `(batch, seq)` word mask."""
        mask = self.elmo.compute_mask(input_ids, attention_mask)
        return self.elmo(input_ids, attention_mask=mask).last_hidden_state, mask


class ElmoForSequenceClassification(SequenceClassifierMixin, ElmoHeadBase):
    """One label (or regression value, or label set) per sentence or sentence pair (`ElmoTokenizer(text,
    text_pair=...)` puts a separator word between the two).

    forward: `input_ids (batch, seq, max_characters_per_token)`, `attention_mask (batch, seq)` →
    `logits (batch, num_labels)`; with `labels`, the loss of `config.problem_type` (BERT's conventions).
    """


class ElmoForTokenClassification(TokenClassifierMixin, ElmoHeadBase):
    """One label per word (tagging; ELMo's tokens are whole words, so labels align with them one to one).

    forward: `input_ids (batch, seq, max_characters_per_token)`, `attention_mask (batch, seq)` →
    `logits (batch, seq, num_labels)`; with `labels (batch, seq)`, cross entropy over the real words whose label
    is not -100.
    """

    def save_pretrained(self, save_directory, *args, **kwargs):
        """Save as transformers does. A folder saved with remote code also names the ELMo token-classification
        pipeline, whose file is copied with this one (it is imported from here)."""
        if self._auto_class is not None:
            self.config.custom_pipelines = CUSTOM_PIPELINES
        return super().save_pretrained(save_directory, *args, **kwargs)


__all__ = [
    "ElmoBiLm",
    "ElmoCharacterEncoder",
    "ElmoForPreTraining",
    "ElmoForPreTrainingOutput",
    "ElmoForSequenceClassification",
    "ElmoForTokenClassification",
    "ElmoModel",
    "ElmoPreTrainedModel",
    "ScalarMix",
    "remove_sentence_boundaries",
]
