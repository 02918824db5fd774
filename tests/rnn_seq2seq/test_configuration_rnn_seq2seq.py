"""Bad configurations are rejected with messages naming the key, the value and what is allowed."""

import pytest
from huggingface_hub.errors import StrictDataclassError

from hf_classic import RnnSeq2SeqConfig


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cell": "rnn"}, "cell='rnn': expected one of lstm, gru"),
        ({"attention": "dotproduct"}, "attention='dotproduct': expected one of none, bahdanau, luong, cosine"),
        ({"attention_score": "mlp"}, "attention_score='mlp': expected one of dot, general, concat"),
        ({"attention_output_activation": "relu"}, "expected one of tanh, none"),
        ({"attention": "bahdanau"}, "input_feeding=True: expected False with attention='bahdanau'"),
        ({"hidden_size": 15}, "hidden_size=15: expected an even number"),
        ({"dropout": 1.0}, "dropout=1.0: expected a number in [0, 1)"),
        ({"share_embeddings": True}, "share_embeddings=True: expected False unless shared_vocabulary=True"),
        ({"shared_vocabulary": True, "decoder_vocab_size": 10}, "decoder_vocab_size=10: expected vocab_size=8000"),
        ({"tie_word_embeddings": True, "hidden_size": 64}, "decoder_embedding_size=256: expected hidden_size=64"),
        ({"num_layers": 0}, "num_layers=0: expected an integer >= 1"),
        ({"pad_token_id": 50, "vocab_size": 40}, "pad_token_id=50: expected an id inside both vocabularies"),
    ],
)
def test_bad_values_are_rejected_naming_key_value_and_allowed_values(overrides, message):
    with pytest.raises(StrictDataclassError, match="validate_rnn_seq2seq") as caught:
        RnnSeq2SeqConfig(**overrides)
    assert message in str(caught.value)


def test_wrong_types_are_rejected():
    with pytest.raises(StrictDataclassError, match="num_layers"):
        RnnSeq2SeqConfig(num_layers="2")


def test_defaults_fill_the_decoder_side_from_the_encoder_side():
    config = RnnSeq2SeqConfig(vocab_size=100, embedding_size=32)
    assert (config.decoder_vocab_size, config.decoder_embedding_size) == (100, 32)
    assert config.encoder_direction_size == config.hidden_size // 2
    assert config.is_encoder_decoder


def test_config_round_trips_through_json(tmp_path):
    config = RnnSeq2SeqConfig(cell="gru", attention="cosine", decoder_vocab_size=77, num_layers=3)
    config.save_pretrained(tmp_path)
    loaded = RnnSeq2SeqConfig.from_pretrained(tmp_path)
    assert (loaded.cell, loaded.attention, loaded.decoder_vocab_size, loaded.num_layers) == ("gru", "cosine", 77, 3)
