"""Configuration of the RNN encoder-decoder family (Sutskever et al. 2014, Cho et al. 2014, Bahdanau et al. 2015,
Luong et al. 2015), laid out so that OpenNMT-py's RNN models (`rnn`/`brnn` encoders, LSTM/GRU, global attention
`dot`/`general`/`mlp`, input feeding, shared embeddings) are special cases with the same weights."""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

CELLS = ("lstm", "gru")
ATTENTIONS = ("none", "bahdanau", "luong", "cosine")
LUONG_SCORES = ("dot", "general", "concat")
OUTPUT_ACTIVATIONS = ("tanh", "none")


@strict
class RnnSeq2SeqConfig(PreTrainedConfig):
    r"""
    Hyper-parameters of an RNN encoder-decoder and of the encoder-only heads of the same family.

    Args:
        cell (`str`): recurrent cell of encoder and decoder, `"lstm"` or `"gru"`.
        num_layers (`int`): stacked layers of the encoder and of the decoder (the decoder starts from the
            encoder's final state layer by layer, so both have the same depth).
        embedding_size (`int`): dimension of the source word embeddings.
        decoder_embedding_size (`int`, *optional*): dimension of the target word embeddings (default
            `embedding_size`).
        hidden_size (`int`): size of each decoder layer's state and of the encoder's outputs. A bidirectional
            encoder has `hidden_size // 2` units per direction and outputs `[forward ; backward]`.
        bidirectional_encoder (`bool`): read the source both ways (OpenNMT-py's `brnn`).
        dropout (`float`): dropout on embeddings, between stacked layers and on the attentional output.
        vocab_size (`int`): source vocabulary size.
        decoder_vocab_size (`int`, *optional*): target vocabulary size (default `vocab_size`).
        shared_vocabulary (`bool`): source and target use one vocabulary (then both sizes are equal).
        share_embeddings (`bool`): the decoder reuses the encoder's embedding matrix (needs `shared_vocabulary`
            and equal embedding sizes).
        tie_word_embeddings (`bool`): the output projection reuses the decoder's embedding matrix (needs
            `decoder_embedding_size == hidden_size`).
        attention (`str`): how the decoder reads the source.
            - `"none"`: fixed context `c = h_last` (the encoder's top-layer final state), fed to every step:
              `s_t = RNN([y_{t-1}; c], s_{t-1})`.
            - `"bahdanau"`: additive attention from the previous state,
              `e_tj = vᵀ tanh(W s_{t-1} + U h_j)`, `c_t = Σ_j a_tj h_j`, `s_t = RNN([y_{t-1}; c_t], s_{t-1})`.
            - `"luong"`: global attention from the current state `s_t = RNN(y_{t-1}, s_{t-1})` with
              `attention_score`: `dot` `s_tᵀh_j`, `general` `(W s_t)ᵀh_j`, `concat` `vᵀ tanh(W s_t + U h_j)`.
            - `"cosine"`: as `luong` with `e_tj = cos(s_t, h_j)`.
            In every case `a_t = softmax_j(e_tj)` over the real (unpadded) source positions and the output
            is the attentional state `h̃_t = f(W_c [c_t; s_t] + b)` with `f = attention_output_activation`.
        attention_score (`str`): Luong's score function, one of `dot`, `general`, `concat`.
        attention_output_activation (`str`): `f` above, `"tanh"` (Luong) or `"none"` (OpenNMT-py's `mlp`).
        attention_output_bias (`bool`): whether `W_c` has a bias `b` (OpenNMT-py's `mlp` has one).
        input_feeding (`bool`): Luong's input feeding, `s_t = RNN([y_{t-1}; h̃_{t-1}], s_{t-1})`, `h̃_0 = 0`
            (only with `luong` and `cosine`).
        classifier_dropout (`float`): dropout before the classification heads.
        pad_token_id, bos_token_id, eos_token_id, unk_token_id, decoder_start_token_id (`int`): special ids,
            by default OpenNMT-py's order `<unk>` 0, `<pad>` 1, `<s>` 2, `</s>` 3.
    """

    model_type = "rnn_seq2seq"
    keys_to_ignore_at_inference = ["cache", "past_key_values"]

    cell: str = "lstm"
    num_layers: int = 1
    embedding_size: int = 256
    decoder_embedding_size: int | None = None
    hidden_size: int = 256
    bidirectional_encoder: bool = True
    dropout: float | int = 0.1
    vocab_size: int = 8000
    decoder_vocab_size: int | None = None
    shared_vocabulary: bool = False
    share_embeddings: bool = False
    tie_word_embeddings: bool = False
    attention: str = "luong"
    attention_score: str = "general"
    attention_output_activation: str = "tanh"
    attention_output_bias: bool = False
    input_feeding: bool = True
    classifier_dropout: float | int = 0.0
    unk_token_id: int | None = 0
    pad_token_id: int | None = 1
    bos_token_id: int | None = 2
    eos_token_id: int | None = 3
    decoder_start_token_id: int | None = 2
    is_encoder_decoder: bool = True

    def __post_init__(self, **kwargs):
        if self.decoder_embedding_size is None:
            self.decoder_embedding_size = self.embedding_size
        if self.decoder_vocab_size is None:
            self.decoder_vocab_size = self.vocab_size
        super().__post_init__(**kwargs)

    @property
    def encoder_direction_size(self) -> int:
        """Units per direction of the encoder RNN."""
        return self.hidden_size // 2 if self.bidirectional_encoder else self.hidden_size

    def validate_rnn_seq2seq(self):
        """Check every value; each error names the key, the value found and what is allowed."""

        def fail(key, expected):
            raise ValueError(f"RnnSeq2SeqConfig.{key}={getattr(self, key)!r}: expected {expected}")

        for key, allowed in (
            ("cell", CELLS),
            ("attention", ATTENTIONS),
            ("attention_score", LUONG_SCORES),
            ("attention_output_activation", OUTPUT_ACTIVATIONS),
        ):
            if getattr(self, key) not in allowed:
                fail(key, f"one of {', '.join(allowed)}")
        for key in ("num_layers", "embedding_size", "decoder_embedding_size", "hidden_size", "vocab_size"):
            if getattr(self, key) < 1:
                fail(key, "an integer >= 1")
        if self.decoder_vocab_size < 1:
            fail("decoder_vocab_size", "an integer >= 1")
        for key in ("dropout", "classifier_dropout"):
            if not 0 <= getattr(self, key) < 1:
                fail(key, "a number in [0, 1)")
        if self.bidirectional_encoder and self.hidden_size % 2:
            fail("hidden_size", "an even number with bidirectional_encoder=True (half per direction)")
        if self.shared_vocabulary and self.decoder_vocab_size != self.vocab_size:
            fail("decoder_vocab_size", f"vocab_size={self.vocab_size} with shared_vocabulary=True")
        if self.share_embeddings and not self.shared_vocabulary:
            fail("share_embeddings", "False unless shared_vocabulary=True")
        if self.share_embeddings and self.decoder_embedding_size != self.embedding_size:
            fail("decoder_embedding_size", f"embedding_size={self.embedding_size} with share_embeddings=True")
        if self.tie_word_embeddings and self.decoder_embedding_size != self.hidden_size:
            fail("decoder_embedding_size", f"hidden_size={self.hidden_size} with tie_word_embeddings=True")
        if self.input_feeding and self.attention not in ("luong", "cosine"):
            fail("input_feeding", f"False with attention={self.attention!r} (input feeding needs luong or cosine)")
        for key in ("unk_token_id", "pad_token_id", "bos_token_id", "eos_token_id", "decoder_start_token_id"):
            value = getattr(self, key)
            if value is not None and not 0 <= value < min(self.vocab_size, self.decoder_vocab_size):
                fail(key, "an id inside both vocabularies")


__all__ = ["RnnSeq2SeqConfig"]
