"""ELMo model cards and uploads: `pretrain elmo` and `convert elmo` folders, checked at the huggingface_hub boundary."""

import gzip
import json
import subprocess
import textwrap

import pytest
import torch
import yaml
from huggingface_hub import ModelCard
from transformers import AutoModel, AutoTokenizer

from hf_classic.cli import main
from hf_classic.hub import push_folder

SENTENCES = [["In", "the", "beginning"], ["And", "God", "said", ",", "Let", "there", "be", "light"]]


@pytest.fixture(scope="module")
def pretrained_folder(tmp_path_factory, kjv_path):
    """A tiny biLM pre-trained from the command line on the first 400 verses of the King James Bible."""
    root = tmp_path_factory.mktemp("elmo-hub")
    with gzip.open(kjv_path, "rt", encoding="utf-8") as handle:
        verses = [next(handle) for _ in range(400)]
    corpus = root / "genesis.txt"
    corpus.write_text("".join(verses), encoding="utf-8")
    folder = root / "elmo"
    status = main(
        ["pretrain", "elmo", "--corpus", str(corpus), "--output", str(folder), "--char-embedding-dim", "4"]
        + ["--filters", "1x8,2x8,3x16", "--lstm-dim", "24", "--projection-dim", "12", "--heldout-lines", "50"]
        + ["--batch-size", "50", "--no-progress"]
    )
    assert status == 0
    return folder


def front_matter(path) -> dict:
    """The card's YAML metadata, parsed on its own."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_pretrained_card_has_metadata_every_hyper_parameter_and_the_measured_perplexities(pretrained_folder):
    metadata = front_matter(pretrained_folder / "README.md")
    assert metadata["library_name"] == "transformers"
    assert metadata["pipeline_tag"] == "feature-extraction"
    assert {"hf-classic", "elmo", "custom_code"} <= set(metadata["tags"])
    card = ModelCard.load(pretrained_folder / "README.md").content
    summary = json.loads((pretrained_folder / "training_summary.json").read_text())
    heldout = summary["heldout"]
    for expected in (
        "| corpus | genesis.txt |",
        f"| training words | {summary['training_words']:,} in 350 sentences (the first 50 lines held out) |",
        "| filters | 1x8, 2x8, 3x16 |",
        "| lstm_dim | 24 |",
        "| projection_dim | 12 |",
        "| char_embedding_dim | 4 |",
        "| n_negative_samples_batch | 0 |",
        "| learning_rate | 0.2 |",
        "| batch_size | 50 |",
        "| clip_norm | 10 |",
        f"| steps | {summary['steps']} (1 epoch(s) completed) |",
        "| machine | ",
        "| training time | ",
        f"forward perplexity, held-out lines (50 sentences, {heldout['predicted_words']:,} predicted words) | "
        f"{heldout['forward_perplexity']:.2f} |",
        f"| {heldout['backward_perplexity']:.2f} |",
        f"| add-one unigram perplexity, same words (baseline) | {heldout['unigram_perplexity']:.2f} |",
        'AutoModel.from_pretrained("path/to/this/folder", trust_remote_code=True)',
        "import hf_classic",
        "is_split_into_words=True",
    ):
        assert expected in card, expected


def test_converted_card_cites_the_bilm_tf_files_and_claims_no_result(fixture_dir, tmp_path):
    folder = tmp_path / "converted"
    options, weights = fixture_dir / "options.json", fixture_dir / "weights.hdf5"
    assert main(["convert", "elmo", "--options", str(options), "--weights", str(weights), str(folder)]) == 0
    metadata = front_matter(folder / "README.md")
    assert metadata["pipeline_tag"] == "feature-extraction" and "elmo" in metadata["tags"]
    card = ModelCard.load(folder / "README.md").content
    assert "Converted from bilm-tf's format (`options.json` + `weights.hdf5`): `options.json`, `weights.hdf5`." in card
    for expected in ("| lstm_dim | 64 |", "| filters | 1x8, 2x8, 3x16, 4x16 |", "| n_highway | 2 |"):
        assert expected in card, expected
    assert "not included (bilm-tf's weight files leave it out)" in card
    assert "Nothing was measured for this folder; no result is claimed." in card
    assert "perplexity" not in card


def test_push_sends_weights_config_code_tokenizer_summary_and_card(pretrained_folder, hub_upload):
    push_folder(pretrained_folder, "someone/elmo-genesis", token="hf_test")
    assert hub_upload["files"] == [
        "README.md",
        "config.json",
        "configuration_elmo.py",
        "model.safetensors",
        "modeling_elmo.py",
        "pipeline_elmo.py",
        "task_heads.py",
        "tokenization_elmo.py",
        "tokenizer_config.json",
        "training_summary.json",
        "vocab.txt",
    ]
    config = json.loads((pretrained_folder / "config.json").read_text())
    assert {
        "AutoConfig": "configuration_elmo.ElmoConfig",
        "AutoModel": "modeling_elmo.ElmoModel",
        "AutoModelForPreTraining": "modeling_elmo.ElmoForPreTraining",
    }.items() <= config["auto_map"].items()
    tokenizer_config = json.loads((pretrained_folder / "tokenizer_config.json").read_text())
    assert tokenizer_config["auto_map"]["AutoTokenizer"][0] == "tokenization_elmo.ElmoTokenizer"


def test_convert_with_push_to_hub_uploads_the_written_folder(fixture_dir, tmp_path, hub_upload, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    folder = tmp_path / "converted"
    options, weights = fixture_dir / "options.json", fixture_dir / "weights.hdf5"
    argv = ["convert", "elmo", "--options", str(options), "--weights", str(weights), str(folder)]
    assert main([*argv, "--push-to-hub", "someone/elmo-small"]) == 0
    assert hub_upload["repo"] == ("someone/elmo-small", False)
    assert "README.md" in hub_upload["files"] and "modeling_elmo.py" in hub_upload["files"]


REMOTE = textwrap.dedent(
    """
    import json, sys
    import torch
    from transformers import AutoModel, AutoTokenizer
    model = AutoModel.from_pretrained(sys.argv[1], trust_remote_code=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1], trust_remote_code=True)
    batch = tokenizer(json.loads(sys.argv[2]), is_split_into_words=True, return_tensors="pt")
    with torch.no_grad():
        features = model(**batch).last_hidden_state
    print(json.dumps({"module": type(model).__module__, "features": features.tolist()}))
    """
)


def test_the_uploaded_files_alone_load_without_hf_classic(
    pretrained_folder, hub_upload, as_served, tmp_path, python_without_hf_classic
):
    push_folder(pretrained_folder, "someone/elmo-genesis", token="hf_test")
    served = as_served(pretrained_folder, hub_upload["files"])
    result = subprocess.run(
        [python_without_hf_classic, "-c", REMOTE, str(served), json.dumps(SENTENCES)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    remote = json.loads(result.stdout.strip().splitlines()[-1])
    assert remote["module"].startswith("transformers_modules.")
    model = AutoModel.from_pretrained(pretrained_folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(pretrained_folder)
    with torch.no_grad():
        expected = model(**tokenizer(SENTENCES, is_split_into_words=True, return_tensors="pt")).last_hidden_state
    assert expected.shape == (2, 8, 24)
    torch.testing.assert_close(torch.tensor(remote["features"]), expected, rtol=0, atol=1e-6)
