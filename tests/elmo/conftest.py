"""Shared fixtures of the ELMo tests: the `elmo_small` bilm-tf files and AllenNLP's outputs for them."""

import json
from pathlib import Path

import numpy as np
import pytest

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "elmo_small"


@pytest.fixture(scope="session")
def fixture_dir() -> Path:
    return FIXTURE


@pytest.fixture(scope="session")
def expected() -> dict[str, np.ndarray]:
    with np.load(FIXTURE / "expected.npz") as arrays:
        return {key: arrays[key] for key in arrays.files}


@pytest.fixture(scope="session")
def sentences() -> list[list[str]]:
    return json.loads((FIXTURE / "sentences.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def converted():
    """`(ElmoModel, ElmoTokenizer)` converted from the fixture's bilm-tf files, in eval mode."""
    from hf_classic.formats.elmo_bilm_tf import convert

    model, tokenizer = convert(FIXTURE / "options.json", FIXTURE / "weights.hdf5")
    return model.eval(), tokenizer
