"""Fuzzing the files our families save in a model folder (config.json, tokenizer.json, target_tokenizer.json,
word_counts.txt, vocab.txt, tokenizer_config.json), loaded through transformers' `AutoConfig` /
`AutoTokenizer`. Each input loads or raises a `ValueError` / `OSError` / `StrictDataclassError` (the errors
the CLI reports in one line); an unexpected exception raised inside transformers itself is counted as
`upstream` (reported by the bench, not ours to fix), one raised in hf_classic's code fails the test."""

from __future__ import annotations

import fuzz_targets as ft
import pytest
from fuzz_properties import FUZZ_SETTINGS, TARGETS, check_mutation, print_tally
from hypothesis import given, settings
from hypothesis import strategies as st

FOLDER_TARGETS = [
    "word2vec_config",
    "elmo_config",
    "rnn_seq2seq_config",
    "word2vec_tokenizer_json",
    "word2vec_word_counts",
    "elmo_tokenizer_vocab",
    "elmo_tokenizer_config",
    "rnn_seq2seq_target_tokenizer",
]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    folders = {name: tmp_path_factory.mktemp(name) for name in FOLDER_TARGETS}
    yield {name: (folders[name], ft.prepare(TARGETS[name], folders[name])) for name in FOLDER_TARGETS}
    print_tally(FOLDER_TARGETS)


@pytest.mark.parametrize("name", FOLDER_TARGETS)
def test_mutated_folder_files_load_or_raise_a_reported_error(prepared, name):
    folder, seeds = prepared[name]

    @settings(FUZZ_SETTINGS, max_examples=40)
    @given(data=st.data())
    def run(data):
        check_mutation(name, folder, seeds, data)

    run()


def test_malformed_tokenizer_json_names_the_file(prepared):
    folder, seeds = prepared["word2vec_tokenizer_json"]
    damaged = seeds[0].replace(b'"version": "1.0"', b'"version": "x"')
    outcome = ft.execute(TARGETS["word2vec_tokenizer_json"], damaged, folder)
    assert outcome.kind == "error" and outcome.error_type == "ValueError", outcome
    assert f"{folder / 'tokenizer.json'}: not a valid tokenizers file (Unknown tokenizer version" in outcome.message
