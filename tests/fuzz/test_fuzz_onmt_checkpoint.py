"""Fuzzing the OpenNMT-py checkpoint reader and converter: byte damage to the zip archive and structural
changes to the checkpoint dict (options, vocabularies, tensors). Each input converts or raises our error naming
the file; options declaring a huge model are refused before it is allocated."""

from __future__ import annotations

import fuzz_targets as ft
import pytest
import torch
from fuzz_properties import FUZZ_SETTINGS, TARGETS, check_mutation, peak_bytes, print_tally
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_classic.errors import InputFileError
from hf_classic.formats.rnn_seq2seq_onmt import convert_onmt_checkpoint

NAME = "onmt_checkpoint"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    folder = tmp_path_factory.mktemp(NAME)
    yield folder, ft.prepare(TARGETS[NAME], folder)
    print_tally([NAME])


def test_mutated_checkpoints_convert_or_raise_our_error(prepared):
    folder, seeds = prepared

    @settings(FUZZ_SETTINGS, max_examples=80)
    @given(data=st.data())
    def run(data):
        check_mutation(NAME, folder, seeds, data)

    run()


def _checkpoint() -> dict:
    return ft.load_pt(ft.small_onmt_checkpoint())


def test_options_declaring_a_huge_model_fail_without_allocating(tmp_path):
    checkpoint = _checkpoint()
    checkpoint["opt"].enc_hid_size = checkpoint["opt"].dec_hid_size = 10**6
    path = tmp_path / "huge.pt"
    torch.save(checkpoint, path)
    result, peak = peak_bytes(lambda: convert_onmt_checkpoint(path))
    assert isinstance(result, InputFileError), result
    assert str(path) in str(result) and "but the options and vocabularies" in str(result)
    assert peak < 64 << 20, f"{peak} bytes allocated"


def _repeat_a_token(checkpoint: dict) -> None:
    for side in ("src", "tgt"):
        checkpoint["vocab"][side][6] = checkpoint["vocab"][side][5]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.__setitem__("model", [1, 2]), r"checkpoint\['model'\] is not a dict of named tensors"),
        (lambda c: c["vocab"].__setitem__("src", "abc"), r"checkpoint\['vocab'\]\['src'\] is not a list of tokens"),
        (lambda c: delattr(c["opt"], "src_word_vec_size"), r"checkpoint\['opt'\] has no option 'src_word_vec_size'"),
        (lambda c: setattr(c["opt"], "src_word_vec_size", "x"), r"checkpoint\['opt'\] does not give a valid model"),
        (_repeat_a_token, r"checkpoint\['vocab'\]: source vocabulary: token '.*' at ids 5 and 6"),
    ],
)
def test_damaged_structure_names_the_part(tmp_path, change, message):
    checkpoint = _checkpoint()
    change(checkpoint)
    path = tmp_path / "damaged.pt"
    torch.save(checkpoint, path)
    with pytest.raises(InputFileError, match=message):
        convert_onmt_checkpoint(path)


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.99])
def test_truncated_archive_is_our_error(tmp_path, cut):
    data = ft.small_onmt_checkpoint()
    path = tmp_path / "cut.pt"
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(InputFileError, match="cut.pt: not a readable OpenNMT-py checkpoint"):
        convert_onmt_checkpoint(path)
