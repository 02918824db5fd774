"""Configuration of the ELMo family (Peters et al., 2018): a character-CNN bidirectional language model whose
layers are mixed into contextual word vectors. The fields hold everything in bilm-tf's `options.json`."""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from .task_heads import validate_task_head
from .tokenization_elmo import MAX_CHARACTERS_PER_TOKEN

ACTIVATIONS = ("relu", "tanh")
# More biLSTM (or highway) layers than this is a damaged or crafted config, refused before anything is sized by it.
MAX_NUM_LAYERS = 1024


@strict
class ElmoConfig(PreTrainedConfig):
    r"""
    Hyper-parameters of an ELMo biLM and of its scalar mix. The `options.json` key of each field is given in
    brackets; `from_bilm_options` and `to_bilm_options` convert between the two.

    Args:
        char_embedding_dim (`int`): size of each character vector [`char_cnn.embedding.dim`].
        filters (`list[list[int]]`): the convolutions of the character CNN as `[width, number]` pairs; their
            max-pooled outputs are concatenated into `sum(number)` features [`char_cnn.filters`].
        n_highway (`int`): highway layers after the CNN [`char_cnn.n_highway`].
        activation (`str`): `"relu"` or `"tanh"`, applied after max-pooling each convolution
            [`char_cnn.activation`]. The highway layers always use relu.
        max_characters_per_token (`int`): character ids per token, begin/end-of-word marks included; a
            token's UTF-8 bytes are cut to `max_characters_per_token - 2` [`char_cnn.max_characters_per_token`].
        n_characters (`int`): rows of the character embedding: 256 bytes, 5 marks and the padding id 0
            (262 in every released model) [`char_cnn.n_characters`].
        lstm_dim (`int`): memory cell size of each LSTM [`lstm.dim`].
        projection_dim (`int`): each LSTM's output is projected to this size, which is also the size of the
            token representation [`lstm.projection_dim`].
        num_layers (`int`): LSTM layers per direction [`lstm.n_layers`].
        cell_clip (`float` or None): the memory cell is clipped to `±cell_clip` after every step [`lstm.cell_clip`].
        proj_clip (`float` or None): the projected output is clipped to `±proj_clip` [`lstm.proj_clip`].
        use_skip_connections (`bool`): add each layer's input to its output, from the second layer on
            [`lstm.use_skip_connections`].
        forget_bias (`float`): added to the forget-gate pre-activation at every step (TensorFlow's
            `LSTMCell(forget_bias=1.0)`; bilm-tf's files do not hold it in `B`).
        vocab_size (`int`): words of the language-model softmax, 0 for a biLM without one [`n_tokens_vocab`].
        n_negative_samples_batch (`int`): sampled-softmax noise words per batch in training, 0 for the full
            softmax [`n_negative_samples_batch`].
        dropout (`float`): dropout on the mixed representation (AllenNLP's `Elmo(dropout=...)`); bilm-tf's
            training dropout is kept in `lm_dropout` [`dropout`].
        lm_dropout (`float`): dropout on the LSTM outputs while pre-training [`dropout`].
        scalar_mix_parameters (`list[float]`): the mix weights `w` before the softmax, one per layer
            (`num_layers + 1` values).
        scalar_mix_gamma (`float`): the scale `gamma` of the mix.
        do_layer_norm (`bool`): normalise each layer over its unmasked elements before mixing.
        freeze_pretrained (`bool`): downstream heads only: keep the pre-trained bottom fixed (feature-based,
            the biLM; the heads' own scalar mix still learns) instead of fine-tuning it with the head.
        head_encoder (`str`): downstream heads: `"bilstm"` (one BiLSTM layer over the mixed ELMo vectors) or `"none"`.
        head_pooling (`str`): sequence classification: `"max"` or `"mean"` over the real positions.
        head_hidden_size (`int`): units per direction of the head's BiLSTM.
        classifier_dropout (`float`): dropout before the heads' linear classifier.
    """

    model_type = "elmo"

    char_embedding_dim: int = 16
    filters: list[list[int]] | list[tuple[int, int]] | None = None
    n_highway: int = 2
    activation: str = "relu"
    max_characters_per_token: int = 50
    n_characters: int = 262
    lstm_dim: int = 4096
    projection_dim: int = 512
    num_layers: int = 2
    cell_clip: float | int | None = 3.0
    proj_clip: float | int | None = 3.0
    use_skip_connections: bool = True
    forget_bias: float | int = 1.0
    vocab_size: int = 0
    n_negative_samples_batch: int = 0
    dropout: float | int = 0.0
    lm_dropout: float | int = 0.1
    scalar_mix_parameters: list[float | int] | None = None
    scalar_mix_gamma: float | int = 1.0
    do_layer_norm: bool = False
    tie_word_embeddings: bool = False
    freeze_pretrained: bool = False
    head_encoder: str = "bilstm"
    head_pooling: str = "max"
    head_hidden_size: int = 128
    classifier_dropout: float | int = 0.1

    def __post_init__(self, **kwargs):
        if self.filters is None:
            self.filters = [[1, 32], [2, 32], [3, 64], [4, 128], [5, 256], [6, 512], [7, 1024]]
        self.filters = [list(pair) for pair in self.filters]
        if self.scalar_mix_parameters is None:
            sane = isinstance(self.num_layers, int) and 1 <= self.num_layers <= MAX_NUM_LAYERS
            self.scalar_mix_parameters = [0.0] * ((self.num_layers if sane else 0) + 1)
        super().__post_init__(**kwargs)

    @property
    def n_filters(self) -> int:
        """Features out of the character CNN: the sum of the filter numbers."""
        return sum(number for _, number in self.filters)

    @property
    def hidden_size(self) -> int:
        """Size of every output layer: `2 * projection_dim` (forward and backward)."""
        return 2 * self.projection_dim

    def validate_heads(self):
        """Check the options of the downstream heads."""
        validate_task_head(self)

    def validate_elmo(self):
        """Check every value; each error names the key, the value found and what is allowed."""

        def fail(key, expected):
            raise ValueError(f"ElmoConfig.{key}={getattr(self, key)!r}: expected {expected}")

        for key in ("char_embedding_dim", "lstm_dim", "projection_dim", "num_layers"):
            if getattr(self, key) < 1:
                fail(key, "an integer >= 1")
        if self.num_layers > MAX_NUM_LAYERS:
            fail("num_layers", f"an integer in [1, {MAX_NUM_LAYERS}]")
        if not 0 <= self.n_highway <= MAX_NUM_LAYERS:
            fail("n_highway", f"an integer in [0, {MAX_NUM_LAYERS}]")
        if self.activation not in ACTIVATIONS:
            fail("activation", f"one of {', '.join(ACTIVATIONS)}")
        if not self.filters or any(len(pair) != 2 or min(pair) < 1 for pair in self.filters):
            fail("filters", "a non-empty list of [width, number] pairs of positive integers")
        if not 3 <= self.max_characters_per_token <= MAX_CHARACTERS_PER_TOKEN:
            fail(
                "max_characters_per_token",
                f"an integer in [3, {MAX_CHARACTERS_PER_TOKEN}] (begin and end of word marks plus a byte)",
            )
        widest = max(width for width, _ in self.filters)
        if widest > self.max_characters_per_token:
            fail("filters", f"widths <= max_characters_per_token={self.max_characters_per_token}")
        if self.n_characters < 262:
            fail("n_characters", "an integer >= 262 (id 0, 256 bytes and 5 marks)")
        for key in ("cell_clip", "proj_clip"):
            value = getattr(self, key)
            if value is not None and not value > 0:
                fail(key, "a number > 0 or None")
        if self.vocab_size < 0:
            fail("vocab_size", "an integer >= 0")
        if self.n_negative_samples_batch < 0:
            fail("n_negative_samples_batch", "an integer >= 0")
        for key in ("dropout", "lm_dropout"):
            if not 0 <= getattr(self, key) < 1:
                fail(key, "a number in [0, 1)")
        if len(self.scalar_mix_parameters) != self.num_layers + 1:
            fail("scalar_mix_parameters", f"{self.num_layers + 1} numbers (num_layers + 1)")

    @classmethod
    def from_bilm_options(cls, options: dict, **kwargs) -> "ElmoConfig":
        """Build a config from the dict of a bilm-tf `options.json`; `kwargs` set the fields it lacks.

        Raises `KeyError` naming the first missing key (as `"lstm.dim"`).
        """

        def get(path):
            node = options
            for part in path.split("."):
                if not isinstance(node, dict) or part not in node:
                    raise KeyError(f"missing key {path!r}")
                node = node[part]
            return node

        char_cnn = {
            "char_embedding_dim": get("char_cnn.embedding.dim"),
            "filters": get("char_cnn.filters"),
            "n_highway": get("char_cnn.n_highway"),
            "activation": get("char_cnn.activation"),
            "max_characters_per_token": get("char_cnn.max_characters_per_token"),
            "n_characters": get("char_cnn.n_characters"),
        }
        lstm = {
            "lstm_dim": get("lstm.dim"),
            "projection_dim": get("lstm.projection_dim"),
            "num_layers": get("lstm.n_layers"),
            "cell_clip": get("lstm.cell_clip"),
            "proj_clip": get("lstm.proj_clip"),
            "use_skip_connections": get("lstm.use_skip_connections"),
        }
        training = {
            "vocab_size": options.get("n_tokens_vocab", 0),
            "n_negative_samples_batch": options.get("n_negative_samples_batch", 0),
            "lm_dropout": options.get("dropout", 0.1),
        }
        return cls(**char_cnn, **lstm, **training, **kwargs)

    def to_bilm_options(self) -> dict:
        """The bilm-tf `options.json` dict of this config (the inverse of `from_bilm_options`)."""
        options = {
            "lstm": {
                "use_skip_connections": self.use_skip_connections,
                "projection_dim": self.projection_dim,
                "cell_clip": self.cell_clip,
                "proj_clip": self.proj_clip,
                "dim": self.lstm_dim,
                "n_layers": self.num_layers,
            },
            "char_cnn": {
                "activation": self.activation,
                "filters": [list(pair) for pair in self.filters],
                "n_highway": self.n_highway,
                "embedding": {"dim": self.char_embedding_dim},
                "n_characters": self.n_characters,
                "max_characters_per_token": self.max_characters_per_token,
            },
            "dropout": self.lm_dropout,
            "bidirectional": True,
        }
        if self.vocab_size:
            options["n_tokens_vocab"] = self.vocab_size
        if self.n_negative_samples_batch:
            options["n_negative_samples_batch"] = self.n_negative_samples_batch
        return options


__all__ = ["ElmoConfig"]
