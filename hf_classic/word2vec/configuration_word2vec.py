"""Configuration of the word2vec family (Mikolov et al., 2013): skip-gram and CBOW, negative sampling and
hierarchical softmax, with gensim's names for every hyper-parameter."""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from .task_heads import validate_task_head

ARCHITECTURES = ("skipgram", "cbow")
OBJECTIVES = ("negative", "hierarchical", "both")


@strict
class Word2VecConfig(PreTrainedConfig):
    r"""
    Hyper-parameters of a word2vec model. Names follow gensim's `Word2Vec` where gensim has one.

    Args:
        vocab_size (`int`): number of rows of the embedding matrix (words plus the `<pad>` and `<unk>` tokens).
        vector_size (`int`): dimension of each word vector.
        architecture (`str`): `"skipgram"` (predict each context word from the centre word) or `"cbow"`
            (predict the centre word from its summed or averaged context).
        cbow_mean (`bool`): CBOW only: average the context vectors (True) or sum them (False).
        objective (`str`): `"negative"` (negative sampling), `"hierarchical"` (hierarchical softmax over a
            Huffman tree of the vocabulary) or `"both"` (the sum of the two losses, as gensim's `hs=1,
            negative>0`).
        negative (`int`): noise words drawn per positive example for negative sampling.
        ns_exponent (`float`): the noise distribution is proportional to `count ** ns_exponent`.
        window (`int`): maximum distance between the centre word and a context word.
        shrink_windows (`bool`): draw the effective window uniformly from `1..window` for each centre word
            (word2vec.c's dynamic window), which weights near words more.
        sample (`float`): threshold for down-sampling frequent words; 0 disables it.
        min_count (`int`): words seen fewer times are left out of the vocabulary.
        alpha (`float`): initial learning rate, decayed linearly to `min_alpha` over training.
        min_alpha (`float`): final learning rate.
        epochs (`int`): passes over the corpus.
        max_code_length (`int`): depth of the deepest Huffman code (set when the tree is built; sizes the
            hierarchical-softmax buffers).
        pad_token_id (`int`): id of `<pad>`, whose vector is kept at zero.
        unk_token_id (`int`): id of `<unk>`, the row given to out-of-vocabulary words.
        freeze_pretrained (`bool`): downstream heads only: keep the pre-trained bottom fixed (feature-based,
            the word vectors) instead of fine-tuning it with the head.
        head_encoder (`str`): downstream heads: `"bilstm"` (one BiLSTM layer over the word vectors) or `"none"`.
        head_pooling (`str`): sequence classification: `"max"` or `"mean"` over the real positions.
        head_hidden_size (`int`): units per direction of the head's BiLSTM.
        classifier_dropout (`float`): dropout before the heads' linear classifier.
    """

    model_type = "word2vec"

    vocab_size: int = 10000
    vector_size: int = 100
    architecture: str = "skipgram"
    cbow_mean: bool = True
    objective: str = "negative"
    negative: int = 5
    ns_exponent: float | int = 0.75
    window: int = 5
    shrink_windows: bool = True
    sample: float | int = 1e-3
    min_count: int = 5
    alpha: float | int = 0.025
    min_alpha: float | int = 0.0001
    epochs: int = 5
    max_code_length: int = 40
    pad_token_id: int | None = 0
    unk_token_id: int | None = 1
    tie_word_embeddings: bool = False
    freeze_pretrained: bool = False
    head_encoder: str = "bilstm"
    head_pooling: str = "max"
    head_hidden_size: int = 128
    classifier_dropout: float | int = 0.1

    @property
    def uses_negative_sampling(self) -> bool:
        return self.objective in ("negative", "both")

    @property
    def uses_hierarchical_softmax(self) -> bool:
        return self.objective in ("hierarchical", "both")

    def validate_heads(self):
        """Check the options of the downstream heads."""
        validate_task_head(self)

    def validate_word2vec(self):
        """Check every value; each error names the key, the value found and what is allowed."""

        def fail(key, expected):
            raise ValueError(f"Word2VecConfig.{key}={getattr(self, key)!r}: expected {expected}")

        if self.architecture not in ARCHITECTURES:
            fail("architecture", f"one of {', '.join(ARCHITECTURES)}")
        if self.objective not in OBJECTIVES:
            fail("objective", f"one of {', '.join(OBJECTIVES)}")
        for key in ("vocab_size", "vector_size", "window", "epochs", "max_code_length"):
            if getattr(self, key) < 1:
                fail(key, "an integer >= 1")
        if self.min_count < 1:
            fail("min_count", "an integer >= 1")
        if self.uses_negative_sampling and self.negative < 1:
            fail("negative", f"an integer >= 1 with objective={self.objective!r}")
        if self.negative < 0:
            fail("negative", "an integer >= 0")
        if self.sample < 0:
            fail("sample", "a number >= 0")
        if not self.alpha > 0:
            fail("alpha", "a number > 0")
        if not 0 <= self.min_alpha <= self.alpha:
            fail("min_alpha", f"a number in [0, alpha={self.alpha}]")
        for key in ("pad_token_id", "unk_token_id"):
            value = getattr(self, key)
            if value is not None and not 0 <= value < self.vocab_size:
                fail(key, f"an id in [0, vocab_size={self.vocab_size})")


__all__ = ["Word2VecConfig"]
