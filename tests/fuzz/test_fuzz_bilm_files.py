"""Fuzzing the bilm-tf readers: `options.json`, `weights.hdf5` and `vocab.txt`, each mutated beside valid
companions. Each input converts to a model or raises `InputFileError` naming the file (and the key, dataset or
line at fault); declared sizes never allocate beyond the file."""

from __future__ import annotations

import json
import shutil

import fuzz_targets as ft
import h5py
import numpy as np
import pytest
from fuzz_properties import FUZZ_SETTINGS, TARGETS, check_mutation, peak_bytes, print_tally
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_classic.errors import InputFileError
from hf_classic.formats.elmo_bilm_tf import convert, read_vocabulary_file

BILM_TARGETS = ["bilm_options", "bilm_weights", "bilm_vocab"]
EXAMPLES = {"bilm_options": 60, "bilm_weights": 40, "bilm_vocab": 100}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    folders = {name: tmp_path_factory.mktemp(name) for name in BILM_TARGETS}
    yield {name: (folders[name], ft.prepare(TARGETS[name], folders[name])) for name in BILM_TARGETS}
    print_tally(BILM_TARGETS)


@pytest.mark.parametrize("name", BILM_TARGETS)
def test_mutated_files_convert_or_raise_our_error(prepared, name):
    folder, seeds = prepared[name]

    @settings(FUZZ_SETTINGS, max_examples=EXAMPLES[name])
    @given(data=st.data())
    def run(data):
        check_mutation(name, folder, seeds, data)

    run()


@pytest.fixture
def bilm_copy(tmp_path):
    for name in ("options.json", "weights.hdf5"):
        shutil.copy(ft.ELMO_FIXTURE / name, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize("shape", [(10**12,), (10**6, 10**6)])
def test_dataset_declaring_a_huge_shape_is_refused_before_reading(bilm_copy, shape):
    """A dataset declared (chunked, no storage) far larger than the file fails without allocating it."""
    options = json.loads((bilm_copy / "options.json").read_text())
    options["char_cnn"]["n_characters"] = shape[0] + 1 if len(shape) == 1 else 262
    (bilm_copy / "options.json").write_text(json.dumps(options))
    with h5py.File(bilm_copy / "weights.hdf5", "a") as handle:
        del handle["char_embed"]
        handle.create_dataset("char_embed", shape=(shape[0], 8) if len(shape) == 1 else shape, dtype="f4", chunks=True)
    result, peak = peak_bytes(lambda: convert(bilm_copy / "options.json", bilm_copy / "weights.hdf5"))
    assert isinstance(result, InputFileError), result
    assert "weights.hdf5: dataset 'char_embed'" in str(result)
    assert peak < 64 << 20, f"{peak} bytes allocated"


def test_options_declaring_huge_layers_fail_before_building_the_model(bilm_copy):
    options = json.loads((bilm_copy / "options.json").read_text())
    options["lstm"]["dim"] = 10**9
    (bilm_copy / "options.json").write_text(json.dumps(options))
    result, peak = peak_bytes(lambda: convert(bilm_copy / "options.json", bilm_copy / "weights.hdf5"))
    assert isinstance(result, InputFileError), result
    assert "expected shape (32, 4000000000), found (32, 256); the expected shape comes from" in str(result)
    assert str(bilm_copy / "options.json") in str(result)
    assert peak < 64 << 20, f"{peak} bytes allocated"


def test_text_dataset_is_our_error(bilm_copy):
    with h5py.File(bilm_copy / "weights.hdf5", "a") as handle:
        data = handle["CNN/b_cnn_0"][...]
        del handle["CNN/b_cnn_0"]
        handle.create_dataset("CNN/b_cnn_0", data=np.array([b"x"] * len(data)))
    with pytest.raises(InputFileError, match=r"dataset 'CNN/b_cnn_0': expected float32 numbers, found dtype"):
        convert(bilm_copy / "options.json", bilm_copy / "weights.hdf5")


def test_vocabulary_with_bad_utf8_names_line_and_byte(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_bytes(b"<S>\n</S>\n<UNK>\nb\xffd\n")
    with pytest.raises(InputFileError, match=r"vocab\.txt: line 4 \(byte 16\): not valid UTF-8"):
        read_vocabulary_file(path)
