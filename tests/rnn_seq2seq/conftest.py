"""Small models and batches shared by the RNN encoder-decoder tests."""

import pytest
import torch

from hf_classic import RnnSeq2SeqConfig, RnnSeq2SeqForConditionalGeneration

# Every decoder variant the family implements: (attention, attention_score, input_feeding).
VARIANTS = [
    ("none", "general", False),
    ("bahdanau", "general", False),
    ("luong", "dot", True),
    ("luong", "general", True),
    ("luong", "concat", True),
    ("luong", "general", False),
    ("cosine", "general", True),
]
VARIANT_IDS = [f"{a}-{s}-{'feed' if f else 'nofeed'}" for a, s, f in VARIANTS]


def tiny_config(**overrides) -> RnnSeq2SeqConfig:
    values = dict(vocab_size=23, decoder_vocab_size=29, embedding_size=8, hidden_size=12, num_layers=2, dropout=0.0)
    values.update(overrides)
    return RnnSeq2SeqConfig(**values)


def tiny_model(seed: int = 0, **overrides) -> RnnSeq2SeqForConditionalGeneration:
    torch.manual_seed(seed)
    return RnnSeq2SeqForConditionalGeneration(tiny_config(**overrides)).eval()


@pytest.fixture(autouse=True)
def one_thread():
    """Small RNNs run fastest on one thread (and the test timings do not depend on the machine's load)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def padded_batch():
    """Three sources, right-padded with `<pad>` (id 1): lengths 7, 4 and 6."""
    generator = torch.Generator().manual_seed(1)
    input_ids = torch.randint(4, 23, (3, 7), generator=generator)
    attention_mask = torch.ones_like(input_ids)
    for row, length in ((1, 4), (2, 6)):
        attention_mask[row, length:] = 0
        input_ids[row, length:] = 1
    decoder_input_ids = torch.randint(4, 29, (3, 5), generator=generator)
    decoder_input_ids[:, 0] = 2
    return input_ids, attention_mask, decoder_input_ids
