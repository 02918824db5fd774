"""Saved folders load with `trust_remote_code=True` in a Python where hf_classic cannot be imported."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import torch
from conftest import tiny_config

from hf_classic import RnnForSequenceClassification, RnnForTokenClassification, RnnSeq2SeqTokenizer
from hf_classic.formats.rnn_seq2seq_onmt import convert_onmt_to_directory

FIXTURES = Path(__file__).parents[1] / "fixtures" / "onmt_rnn"

REMOTE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.modules["hf_classic"] = None  # importing hf_classic now raises ImportError
    import torch
    from transformers import (AutoConfig, AutoModel, AutoModelForSeq2SeqLM, AutoModelForSequenceClassification,
                              AutoModelForTokenClassification, AutoTokenizer, pipeline)
    seq2seq, token_dir, sequence_dir, sources, out = sys.argv[1:6]
    sources = json.loads(sources)
    config = AutoConfig.from_pretrained(seq2seq, trust_remote_code=True)
    tokenizer = AutoTokenizer.from_pretrained(seq2seq, trust_remote_code=True)
    model = AutoModelForSeq2SeqLM.from_pretrained(seq2seq, trust_remote_code=True)
    base = AutoModel.from_pretrained(seq2seq, trust_remote_code=True)
    batch = tokenizer(sources, padding=True, return_tensors="pt")
    beams = model.generate(**batch, num_beams=5, max_new_tokens=50)
    translate = pipeline("translation", model=seq2seq, trust_remote_code=True)
    token_model = AutoModelForTokenClassification.from_pretrained(token_dir, trust_remote_code=True)
    sequence_model = AutoModelForSequenceClassification.from_pretrained(sequence_dir, trust_remote_code=True)
    small = AutoTokenizer.from_pretrained(token_dir, trust_remote_code=True)(["save the file"], return_tensors="pt")
    torch.save({
        "modules": sorted({type(m).__module__.split(".")[0] for m in (config, tokenizer, model, token_model)}),
        "classes": [type(config).__name__, type(tokenizer).__name__, type(model).__name__, type(base).__name__],
        "input_ids": batch["input_ids"],
        "beams": beams,
        "texts": tokenizer.batch_decode(beams, skip_special_tokens=True),
        "pipeline": [result[0]["translation_text"] for result in translate(sources, num_beams=5, max_new_tokens=50)],
        "token_logits": token_model(**small).logits,
        "sequence_logits": sequence_model(**small).logits,
    }, out)
    """
)


def test_saved_folders_load_and_run_without_hf_classic(tmp_path):
    seq2seq = convert_onmt_to_directory(FIXTURES / "brnn_lstm_general.pt", tmp_path / "seq2seq")
    tokenizer = RnnSeq2SeqTokenizer.train(["save the file", "open it"], ["enregistrer le fichier", "ouvrez-le"])
    heads = {}
    for name, head in (("token", RnnForTokenClassification), ("sequence", RnnForSequenceClassification)):
        torch.manual_seed(0)
        model = head(tiny_config(vocab_size=len(tokenizer), num_labels=3)).eval()
        model.save_pretrained(tmp_path / name)
        tokenizer.save_pretrained(tmp_path / name)
        heads[name] = model(**tokenizer(["save the file"], return_tensors="pt")).logits
    sources = (FIXTURES / "src.txt").read_text(encoding="utf-8").splitlines()[:6]
    out = tmp_path / "remote.pt"
    work = tmp_path / "elsewhere"
    work.mkdir()
    subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            REMOTE_SCRIPT,
            str(seq2seq),
            str(tmp_path / "token"),
            str(tmp_path / "sequence"),
            json.dumps(sources),
            str(out),
        ],
        cwd=work,
        check=True,
        capture_output=True,
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
    )
    remote = torch.load(out, weights_only=True)
    assert remote["modules"] == ["transformers_modules"]
    assert remote["classes"] == [
        "RnnSeq2SeqConfig",
        "RnnSeq2SeqTokenizer",
        "RnnSeq2SeqForConditionalGeneration",
        "RnnSeq2SeqModel",
    ]
    expected_lines = (FIXTURES / "brnn_lstm_general.beam5.txt").read_text(encoding="utf-8").splitlines()[:6]
    assert remote["texts"] == expected_lines
    assert remote["pipeline"] == expected_lines
    torch.testing.assert_close(remote["token_logits"], heads["token"], rtol=0, atol=0)
    torch.testing.assert_close(remote["sequence_logits"], heads["sequence"], rtol=0, atol=0)
