import pytest
from huggingface_hub.errors import StrictDataclassError
from transformers import AutoConfig

from hf_classic.word2vec import Word2VecConfig


def test_defaults_follow_gensim():
    config = Word2VecConfig()
    assert (config.vector_size, config.window, config.negative, config.min_count) == (100, 5, 5, 5)
    assert (config.sample, config.alpha, config.min_alpha, config.ns_exponent) == (1e-3, 0.025, 0.0001, 0.75)
    assert config.uses_negative_sampling and not config.uses_hierarchical_softmax


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"architecture": "glove"}, "architecture='glove': expected one of skipgram, cbow"),
        ({"objective": "softmax"}, "objective='softmax': expected one of negative, hierarchical, both"),
        ({"window": 0}, "window=0"),
        ({"vector_size": 0}, "vector_size=0"),
        ({"negative": 0}, "negative=0: expected an integer >= 1 with objective='negative'"),
        ({"objective": "hierarchical", "negative": -1}, "negative=-1"),
        ({"sample": -0.1}, "sample=-0.1"),
        ({"min_alpha": 0.5}, "min_alpha=0.5"),
        ({"min_count": 0}, "min_count=0"),
        ({"pad_token_id": 99, "vocab_size": 10}, "pad_token_id=99"),
    ],
)
def test_invalid_values_are_rejected_naming_the_key(overrides, message):
    with pytest.raises(StrictDataclassError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Word2VecConfig(**overrides)


def test_wrong_type_is_rejected():
    with pytest.raises(StrictDataclassError, match="vector_size"):
        Word2VecConfig(vector_size="100")


def test_hierarchical_softmax_alone_allows_zero_negative():
    config = Word2VecConfig(objective="hierarchical", negative=0)
    assert config.uses_hierarchical_softmax and not config.uses_negative_sampling


def test_round_trip_through_auto_config(tmp_path):
    config = Word2VecConfig(vector_size=32, architecture="cbow", cbow_mean=False, objective="both", window=7)
    config.save_pretrained(tmp_path)
    loaded = AutoConfig.from_pretrained(tmp_path)
    assert isinstance(loaded, Word2VecConfig)

    def without_path(values):
        return {key: value for key, value in values.items() if key != "_name_or_path"}

    assert without_path(loaded.to_dict()) == without_path(config.to_dict())
