"""RNN encoder-decoders as transformers models, and the RNN encoder alone under classification heads.

Notation: source `x_1..x_S`, encoder outputs `h_j (batch, src_len, hidden)`, decoder states `s_t`, target
embeddings `y_t`. The decoder follows `RnnSeq2SeqConfig.attention`:

- `none` (Cho et al. 2014): `c = h_last`, `s_t = RNN([y_{t-1}; c], s_{t-1})`, `h̃_t = f(W_c [c; s_t])`;
- `bahdanau` (2015): `e_tj = vᵀ tanh(W s_{t-1} + U h_j)`, `c_t = Σ_j a_tj h_j`, `s_t = RNN([y_{t-1}; c_t], s_{t-1})`,
  `h̃_t = f(W_c [c_t; s_t])`;
- `luong` / `cosine` (Luong et al. 2015): `s_t = RNN([y_{t-1}; h̃_{t-1}], s_{t-1})` (input feeding; without it
  `RNN(y_{t-1}, s_{t-1})`), `e_tj = score(s_t, h_j)`, `c_t = Σ_j a_tj h_j`, `h̃_t = f(W_c [c_t; s_t])`;

with `a_t = softmax_j(e_tj)` over real source positions only, and `p(y_t | y_<t, x) = softmax(W_o h̃_t + b_o)`.
The decoder starts from the encoder's final state layer by layer (a bidirectional encoder's `[forward ;
backward]`). With `f = tanh`, no bias on `W_c`, and the layout of OpenNMT-py's `GlobalAttention` (context
first), OpenNMT-py's RNN models are exactly these models.

Generation is incremental: the cache is the RNN state `(hidden, cell, input_feed)` after the last token, so
each new token costs one RNN step and one attention over the source, whatever the position.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from transformers import GenerationMixin, PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import (
    Seq2SeqLMOutput,
    Seq2SeqModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from transformers.utils import ModelOutput

from .configuration_rnn_seq2seq import RnnSeq2SeqConfig
from .pipeline_rnn_seq2seq import CUSTOM_PIPELINES
from .task_heads import sequence_classification_loss, token_classification_loss

# transformers 5.24 renamed the output field and forward argument `past_key_values` to `cache`.
CACHE_FIELD = "cache" if "cache" in Seq2SeqLMOutput.__dataclass_fields__ else "past_key_values"

RNN_CLASSES = {"lstm": nn.LSTM, "gru": nn.GRU}

AUTO_MAP = {
    "AutoModel": "modeling_rnn_seq2seq.RnnSeq2SeqModel",
    "AutoModelForSeq2SeqLM": "modeling_rnn_seq2seq.RnnSeq2SeqForConditionalGeneration",
    "AutoModelForTokenClassification": "modeling_rnn_seq2seq.RnnForTokenClassification",
    "AutoModelForSequenceClassification": "modeling_rnn_seq2seq.RnnForSequenceClassification",
}

RnnState = tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]
"""Decoder state and generation cache: `hidden (layers, batch, hidden)`, `cell` (LSTM, same shape; None for
GRU) and `input_feed (batch, hidden)`, the previous attentional state (None without input feeding)."""


@dataclass
class RnnEncoderOutput(ModelOutput):
    """Encoder outputs.

    Args:
        last_hidden_state: `(batch, src_len, hidden)` top-layer outputs `h_j` (`[forward ; backward]` when
            bidirectional; zeros at padding).
        final_hidden_state: `(batch, layers, hidden)` each layer's state after the last real token.
        final_cell_state: `(batch, layers, hidden)` the LSTM cell states likewise (None for GRU).
    """

    last_hidden_state: torch.FloatTensor | None = None
    final_hidden_state: torch.FloatTensor | None = None
    final_cell_state: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None


def source_lengths(attention_mask: torch.Tensor | None, input_ids: torch.Tensor) -> torch.Tensor:
    """Real length of each right-padded source row, `(batch,)`, at least 1."""
    if attention_mask is None:
        return torch.full((input_ids.shape[0],), input_ids.shape[1], dtype=torch.long)
    return attention_mask.sum(-1).clamp(min=1).long().cpu()


class RnnEncoder(nn.Module):
    """Embeddings and a (bidirectional) multi-layer LSTM/GRU over right-padded sources.

    forward: `input_ids (batch, src_len)` → `RnnEncoderOutput`; padded positions are skipped (packed sequences),
    so each row's final state is taken at its own last real token.
    """

    def __init__(self, config: RnnSeq2SeqConfig):
        super().__init__()
        self.config = config
        self.embed_tokens = nn.Embedding(config.vocab_size, config.embedding_size, padding_idx=config.pad_token_id)
        self.dropout = nn.Dropout(config.dropout)
        self.rnn = RNN_CLASSES[config.cell](
            config.embedding_size,
            config.encoder_direction_size,
            num_layers=config.num_layers,
            batch_first=True,
            bidirectional=config.bidirectional_encoder,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )

    def merge_directions(self, state: torch.Tensor) -> torch.Tensor:
        """`(layers * directions, batch, units)` → `(batch, layers, hidden)`, `[forward ; backward]` per layer."""
        if self.config.bidirectional_encoder:
            state = torch.cat([state[0::2], state[1::2]], dim=2)
        return state.transpose(0, 1).contiguous()

    def forward(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> RnnEncoderOutput:
        embeds = self.dropout(self.embed_tokens(input_ids))
        packed = pack_padded_sequence(
            embeds, source_lengths(attention_mask, input_ids), batch_first=True, enforce_sorted=False
        )
        outputs, state = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=input_ids.shape[1])
        hidden, cell = state if isinstance(state, tuple) else (state, None)
        return RnnEncoderOutput(
            last_hidden_state=outputs,
            final_hidden_state=self.merge_directions(hidden),
            final_cell_state=None if cell is None else self.merge_directions(cell),
            hidden_states=(embeds, outputs) if output_hidden_states else None,
        )


@dataclass
class AttentionMemory:
    """What one decoder pass attends over, prepared once for all its steps (`RnnAttention.memory`).

    Args:
        keys: `(batch, src_len, hidden)` encoder outputs `h_j`, averaged into the context.
        scored_keys: `(batch, src_len, hidden)` the form of `h_j` the scores read: `h_j` (dot, general),
            `h_j / |h_j|` (cosine), `W_k h_j` (concat, bahdanau).
        padding: `(batch, 1, src_len)` bool, True at padded source positions.
    """

    keys: torch.Tensor
    scored_keys: torch.Tensor
    padding: torch.Tensor


class RnnAttention(nn.Module):
    """Scores, weights, context and attentional state of one decoder step (or of many at once).

    `score(q, h_j)`: dot `qᵀh_j`; general `(W_q q)ᵀh_j`; concat and bahdanau `vᵀ tanh(W_q q + b_q + W_k h_j)`;
    cosine `qᵀh_j / (|q| |h_j|)`. Weights `a = softmax(score)` with padded positions at -inf, context
    `c = Σ_j a_j h_j`, attentional state `h̃ = f(W_c [c; s] + b_c)`. The parts that depend on the source only
    (`W_k h_j`, `|h_j|`, the padding) are computed once per decoder pass (`memory`), not once per step.
    """

    def __init__(self, config: RnnSeq2SeqConfig):
        super().__init__()
        hidden = config.hidden_size
        self.kind = config.attention
        self.score = {"bahdanau": "concat", "cosine": "cosine", "none": "none"}.get(config.attention)
        self.score = self.score or config.attention_score
        if self.score == "general":
            self.query_proj = nn.Linear(hidden, hidden, bias=False)
        elif self.score == "concat":
            self.query_proj = nn.Linear(hidden, hidden, bias=True)
            self.key_proj = nn.Linear(hidden, hidden, bias=False)
            self.v = nn.Linear(hidden, 1, bias=False)
        self.output_proj = nn.Linear(2 * hidden, hidden, bias=config.attention_output_bias)
        self.activation = torch.tanh if config.attention_output_activation == "tanh" else nn.Identity()

    def memory(self, keys: torch.Tensor, source_mask: torch.Tensor) -> AttentionMemory:
        """`keys (batch, src, hidden)` and `source_mask (batch, src)` (1 = real token) prepared for `forward`."""
        scored_keys = keys
        if self.score == "cosine":
            scored_keys = F.normalize(keys, dim=-1)
        elif self.score == "concat":
            scored_keys = self.key_proj(keys)
        return AttentionMemory(keys, scored_keys, ~source_mask.bool().unsqueeze(1))

    def scores(self, query: torch.Tensor, memory: AttentionMemory) -> torch.Tensor:
        """`query (batch, tgt, hidden)` → `e (batch, tgt, src)`."""
        if self.score == "concat":
            combined = self.query_proj(query).unsqueeze(2) + memory.scored_keys.unsqueeze(1)
            return self.v(torch.tanh(combined)).squeeze(-1)
        if self.score == "general":
            query = self.query_proj(query)
        elif self.score == "cosine":
            query = F.normalize(query, dim=-1)
        return torch.bmm(query, memory.scored_keys.transpose(1, 2))

    def forward(self, query: torch.Tensor, memory: AttentionMemory) -> tuple[torch.Tensor, torch.Tensor]:
        """`query (batch, tgt, hidden)` → `context (batch, tgt, hidden)`, `weights (batch, tgt, src)` (rows sum to
        1, 0 on padding)."""
        weights = torch.softmax(self.scores(query, memory).masked_fill(memory.padding, float("-inf")), dim=-1)
        return torch.bmm(weights, memory.keys), weights

    def attentional_state(self, context: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        """`h̃ = f(W_c [c; s] + b_c)`, shapes `(..., hidden)`."""
        return self.activation(self.output_proj(torch.cat([context, state], dim=-1)))


class RnnDecoder(nn.Module):
    """Multi-layer LSTM/GRU decoder with the attention of `config.attention`.

    forward: target embeddings `(batch, tgt_len, emb)`, the encoder's outputs and a start state → attentional
    states `h̃ (batch, tgt_len, hidden)`, attention weights `(batch, tgt_len, src_len)` (None for `none`) and
    the state after the last position.
    """

    def __init__(self, config: RnnSeq2SeqConfig):
        super().__init__()
        self.config = config
        self.embed_tokens = (
            None
            if config.share_embeddings
            else nn.Embedding(config.decoder_vocab_size, config.decoder_embedding_size, padding_idx=config.pad_token_id)
        )
        self.dropout = nn.Dropout(config.dropout)
        reads_context = config.input_feeding or config.attention in ("none", "bahdanau")
        self.rnn = RNN_CLASSES[config.cell](
            config.decoder_embedding_size + (config.hidden_size if reads_context else 0),
            config.hidden_size,
            num_layers=config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.attention = RnnAttention(config)

    def initial_state(self, encoder_outputs: RnnEncoderOutput) -> RnnState:
        """The encoder's final state and, with input feeding, `h̃_0 = 0`."""
        hidden, cell = encoder_outputs.final_hidden_state, encoder_outputs.final_cell_state
        feed = hidden.new_zeros(hidden.shape[0], hidden.shape[2]) if self.config.input_feeding else None
        cell = None if cell is None else cell.transpose(0, 1).contiguous()
        return hidden.transpose(0, 1).contiguous(), cell, feed

    def run_rnn(self, inputs: torch.Tensor, state: RnnState) -> tuple[torch.Tensor, RnnState]:
        """Run the RNN over `inputs (batch, steps, in)` from `state`; returns `(batch, steps, hidden)` and the new state."""
        if inputs.shape[1] == 1:
            return self.step_rnn(inputs, state)
        hidden, cell, feed = state
        outputs, rnn_state = self.rnn(inputs, hidden if cell is None else (hidden, cell))
        hidden, cell = rnn_state if isinstance(rnn_state, tuple) else (rnn_state, None)
        return outputs, (hidden, cell, feed)

    def step_rnn(self, inputs: torch.Tensor, state: RnnState) -> tuple[torch.Tensor, RnnState]:
        """One time step `inputs (batch, 1, in)` → `(batch, 1, hidden)`, layer by layer with the RNN's own weights.

        The same computation as `run_rnn` on one position (`torch.lstm_cell`/`gru_cell`, as `nn.LSTMCell`
        does), without the per-call overhead of the fused multi-step kernel.
        """
        hidden, cell, feed = state
        layer_input = inputs.squeeze(1)
        hiddens, cells = [], []
        # `_flat_weights` lists weight_ih, weight_hh, bias_ih, bias_hh of layer 0, then of layer 1, ...
        flat_weights = self.rnn._flat_weights
        for layer in range(self.config.num_layers):
            weights = flat_weights[4 * layer : 4 * layer + 4]
            if cell is None:
                layer_hidden = torch.gru_cell(layer_input, hidden[layer], *weights)
            else:
                layer_hidden, layer_cell = torch.lstm_cell(layer_input, (hidden[layer], cell[layer]), *weights)
                cells.append(layer_cell)
            hiddens.append(layer_hidden)
            last = layer == self.config.num_layers - 1
            layer_input = layer_hidden if last else F.dropout(layer_hidden, self.rnn.dropout, self.training)
        new_state = (torch.stack(hiddens), torch.stack(cells) if cells else None, feed)
        return layer_input.unsqueeze(1), new_state

    def forward(
        self,
        inputs_embeds: torch.Tensor,
        encoder_outputs: RnnEncoderOutput,
        source_mask: torch.Tensor,
        state: RnnState,
    ) -> tuple[torch.Tensor, torch.Tensor | None, RnnState]:
        embeds = self.dropout(inputs_embeds)
        kind = self.config.attention
        if kind == "none":
            context = encoder_outputs.final_hidden_state[:, -1:].expand(-1, embeds.shape[1], -1)
            outputs, state = self.run_rnn(torch.cat([embeds, context], dim=-1), state)
            return self.dropout(self.attention.attentional_state(context, outputs)), None, state
        memory = self.attention.memory(encoder_outputs.last_hidden_state, source_mask)
        if kind != "bahdanau" and not self.config.input_feeding:
            outputs, state = self.run_rnn(embeds, state)
            context, weights = self.attention(outputs, memory)
            return self.dropout(self.attention.attentional_state(context, outputs)), weights, state
        attentional, all_weights = [], []
        for step in range(embeds.shape[1]):
            if kind == "bahdanau":
                context, weights = self.attention(state[0][-1].unsqueeze(1), memory)
                output, state = self.step_rnn(torch.cat([embeds[:, step : step + 1], context], dim=-1), state)
            else:
                feed = state[2].unsqueeze(1)
                output, state = self.step_rnn(torch.cat([embeds[:, step : step + 1], feed], dim=-1), state)
                context, weights = self.attention(output, memory)
            h_tilde = self.dropout(self.attention.attentional_state(context, output))
            if self.config.input_feeding:
                state = (state[0], state[1], h_tilde.squeeze(1))
            attentional.append(h_tilde)
            all_weights.append(weights)
        if len(attentional) == 1:
            return attentional[0], all_weights[0], state
        return torch.cat(attentional, dim=1), torch.cat(all_weights, dim=1), state


class RnnSeq2SeqPreTrainedModel(PreTrainedModel):
    config_class = RnnSeq2SeqConfig
    base_model_prefix = "model"
    main_input_name = "input_ids"

    def save_pretrained(self, save_directory, *args, **kwargs):
        """Save as transformers does; a folder saved with remote code lists every Auto class of the family."""
        if self._auto_class is not None:
            self.config.auto_map = {**(getattr(self.config, "auto_map", None) or {}), **AUTO_MAP}
        return super().save_pretrained(save_directory, *args, **kwargs)

    @torch.no_grad()
    def _init_weights(self, module):
        """Every weight uniform in ±0.1 (OpenNMT-py's `param_init`), biases of linear layers zero, `<pad>` row zero."""
        if isinstance(module, nn.Embedding):
            init.uniform_(module.weight, -0.1, 0.1)
            if module.padding_idx is not None and not getattr(module.weight, "_is_hf_initialized", False):
                module.weight[module.padding_idx].zero_()
        elif isinstance(module, nn.Linear):
            init.uniform_(module.weight, -0.1, 0.1)
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, nn.LSTM | nn.GRU):
            for parameter in module.parameters():
                init.uniform_(parameter, -0.1, 0.1)


def shift_tokens_right(labels: torch.Tensor, pad_token_id: int, decoder_start_token_id: int) -> torch.Tensor:
    """Decoder inputs `<s> w_1 … w_{n-1}` from labels `w_1 … w_n` (-100 becomes `<pad>`)."""
    shifted = labels.new_full(labels.shape, pad_token_id)
    shifted[:, 1:] = labels[:, :-1]
    shifted[:, 0] = decoder_start_token_id
    return shifted.masked_fill(shifted == -100, pad_token_id)


class RnnSeq2SeqModel(RnnSeq2SeqPreTrainedModel):
    """Encoder and attentional decoder without the output layer.

    forward: `input_ids (batch, src_len)`, `decoder_input_ids (batch, tgt_len)` → `Seq2SeqModelOutput` with
    `last_hidden_state` = attentional states `h̃ (batch, tgt_len, hidden)`, `encoder_last_hidden_state`, and
    `cross_attentions = (weights (batch, 1, tgt_len, src_len),)` when asked for. Given a cache (the state after
    the previous tokens), only the new tokens are decoded.
    """

    def __init__(self, config: RnnSeq2SeqConfig):
        super().__init__(config)
        self.encoder = RnnEncoder(config)
        self.decoder = RnnDecoder(config)
        self.post_init()

    def get_encoder(self):
        return self.encoder

    def get_input_embeddings(self):
        return self.encoder.embed_tokens

    def set_input_embeddings(self, value):
        self.encoder.embed_tokens = value

    @property
    def decoder_embed_tokens(self) -> nn.Embedding:
        """The target embeddings (the encoder's with `share_embeddings`)."""
        return self.encoder.embed_tokens if self.decoder.embed_tokens is None else self.decoder.embed_tokens

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.LongTensor | None = None,
        encoder_outputs: RnnEncoderOutput | tuple | None = None,
        cache: RnnState | None = None,
        past_key_values: RnnState | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> Seq2SeqModelOutput:
        if encoder_outputs is None:
            encoder_outputs = self.encoder(input_ids, attention_mask=attention_mask)
        elif not isinstance(encoder_outputs, RnnEncoderOutput):
            encoder_outputs = RnnEncoderOutput(*encoder_outputs)
        keys = encoder_outputs.last_hidden_state
        if attention_mask is None:
            attention_mask = torch.ones(keys.shape[:2], dtype=torch.long, device=keys.device)
        state = cache if cache is not None else past_key_values
        if state is None:
            state = self.decoder.initial_state(encoder_outputs)
        attentional, weights, state = self.decoder(
            self.decoder_embed_tokens(decoder_input_ids), encoder_outputs, attention_mask, state
        )
        output = {
            "last_hidden_state": attentional,
            "encoder_last_hidden_state": keys,
            "cross_attentions": (weights.unsqueeze(1),) if output_attentions and weights is not None else None,
        }
        if use_cache:
            output[CACHE_FIELD] = state
        return Seq2SeqModelOutput(**output)


class RnnSeq2SeqForConditionalGeneration(RnnSeq2SeqPreTrainedModel, GenerationMixin):
    """`RnnSeq2SeqModel` plus the output layer `logits = W_o h̃_t + b_o (batch, tgt_len, decoder_vocab_size)`.

    With `labels (batch, tgt_len)` (`w_1 … w_n </s>`, -100 ignored) the decoder reads `<s> w_1 … w_n` and the loss
    is the mean token cross-entropy. `generate()` decodes one token per step from the cached RNN state.
    """

    def __init__(self, config: RnnSeq2SeqConfig):
        super().__init__(config)
        self.model = RnnSeq2SeqModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.decoder_vocab_size, bias=True)
        embeddings = "encoder" if config.share_embeddings else "decoder"
        self._tied_weights_keys = {"lm_head.weight": f"model.{embeddings}.embed_tokens.weight"}
        self.post_init()

    def get_encoder(self):
        return self.model.encoder

    def save_pretrained(self, save_directory, *args, **kwargs):
        """Save as transformers does. A folder saved with remote code also names the translation pipeline, whose
        file is copied with this one (it is imported from here)."""
        if self._auto_class is not None:
            self.config.custom_pipelines = CUSTOM_PIPELINES
        return super().save_pretrained(save_directory, *args, **kwargs)

    def get_output_embeddings(self):
        return self.lm_head

    def set_output_embeddings(self, value):
        self.lm_head = value

    @classmethod
    def _supports_default_dynamic_cache(cls) -> bool:
        """The cache is the RNN state tuple, not a transformers `Cache` of keys and values."""
        return False

    def _reorder_cache(self, cache: RnnState, beam_idx: torch.LongTensor) -> RnnState:
        """Keep the states of the beams that survive (`beam_idx` along the batch dimension)."""
        hidden, cell, feed = cache
        beam_idx = beam_idx.to(hidden.device)
        return (
            hidden.index_select(1, beam_idx),
            None if cell is None else cell.index_select(1, beam_idx),
            None if feed is None else feed.index_select(0, beam_idx),
        )

    def decode_step(
        self,
        decoder_input_ids: torch.LongTensor,
        encoder_outputs: RnnEncoderOutput,
        attention_mask: torch.Tensor,
        state: RnnState | None,
    ) -> tuple[torch.Tensor, RnnState]:
        """`logits (batch, steps, decoder_vocab_size)` of `decoder_input_ids` decoded from `state` (None: the
        encoder's final state), and the state after them: `forward` without its output objects, for decoding
        loops."""
        decoder = self.model.decoder
        if state is None:
            state = decoder.initial_state(encoder_outputs)
        embeds = self.model.decoder_embed_tokens(decoder_input_ids)
        attentional, _, state = decoder(embeds, encoder_outputs, attention_mask, state)
        return self.lm_head(attentional), state

    def prepare_decoder_input_ids_from_labels(self, labels: torch.Tensor) -> torch.Tensor:
        return shift_tokens_right(labels, self.config.pad_token_id, self.config.decoder_start_token_id)

    def prepare_inputs_for_generation(
        self,
        decoder_input_ids: torch.LongTensor,
        cache: RnnState | None = None,
        past_key_values: RnnState | None = None,
        attention_mask: torch.Tensor | None = None,
        encoder_outputs: RnnEncoderOutput | None = None,
        use_cache: bool | None = None,
        **kwargs,
    ) -> dict:
        """With a cache, only the last generated token is fed: the state already holds all earlier ones."""
        state = cache if cache is not None else past_key_values
        return {
            "decoder_input_ids": decoder_input_ids if state is None else decoder_input_ids[:, -1:],
            "encoder_outputs": encoder_outputs,
            "attention_mask": attention_mask,
            CACHE_FIELD: state,
            "use_cache": use_cache,
            "output_attentions": kwargs.get("output_attentions"),
        }

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.LongTensor | None = None,
        encoder_outputs: RnnEncoderOutput | tuple | None = None,
        labels: torch.LongTensor | None = None,
        cache: RnnState | None = None,
        past_key_values: RnnState | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> Seq2SeqLMOutput:
        if labels is not None and decoder_input_ids is None:
            decoder_input_ids = self.prepare_decoder_input_ids_from_labels(labels)
        outputs = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            decoder_input_ids=decoder_input_ids,
            encoder_outputs=encoder_outputs,
            cache=cache if cache is not None else past_key_values,
            use_cache=use_cache,
            output_attentions=output_attentions,
        )
        logits = self.lm_head(outputs.last_hidden_state)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
        result = {
            "loss": loss,
            "logits": logits,
            "encoder_last_hidden_state": outputs.encoder_last_hidden_state,
            "cross_attentions": outputs.cross_attentions,
        }
        if use_cache:
            result[CACHE_FIELD] = outputs[CACHE_FIELD]
        return Seq2SeqLMOutput(**result)


class RnnEncoderClassifierBase(RnnSeq2SeqPreTrainedModel):
    """The encoder, dropout and a linear classifier `hidden_size -> num_labels`; the heads below differ only in
    which encoder states they classify."""

    def __init__(self, config: RnnSeq2SeqConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.encoder = RnnEncoder(config)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def get_input_embeddings(self):
        return self.encoder.embed_tokens


class RnnForTokenClassification(RnnEncoderClassifierBase):
    """The encoder with a label per token ("N v N"): `logits (batch, seq, num_labels) = W h_j + b`."""

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> TokenClassifierOutput:
        encoded = self.encoder(input_ids, attention_mask=attention_mask, output_hidden_states=output_hidden_states)
        logits = self.classifier(self.dropout(encoded.last_hidden_state))
        loss = None
        if labels is not None:
            mask = attention_mask if attention_mask is not None else torch.ones_like(input_ids)
            loss = token_classification_loss(logits, labels, mask)
        return TokenClassifierOutput(loss=loss, logits=logits, hidden_states=encoded.hidden_states)


class RnnForSequenceClassification(RnnEncoderClassifierBase):
    """The encoder with one label per sequence ("N v 1"): `logits (batch, num_labels) = W h_last + b`, where
    `h_last` is the top layer's final state (`[forward ; backward]` when bidirectional).

    The loss follows BERT's `problem_type` conventions (regression, single- or multi-label).
    """

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> SequenceClassifierOutput:
        encoded = self.encoder(input_ids, attention_mask=attention_mask, output_hidden_states=output_hidden_states)
        logits = self.classifier(self.dropout(encoded.final_hidden_state[:, -1]))
        loss = sequence_classification_loss(self.config, logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits, hidden_states=encoded.hidden_states)


__all__ = [
    "RnnEncoderOutput",
    "RnnForSequenceClassification",
    "RnnForTokenClassification",
    "RnnSeq2SeqForConditionalGeneration",
    "RnnSeq2SeqModel",
    "RnnSeq2SeqPreTrainedModel",
]
