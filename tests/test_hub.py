"""Model cards, and what an upload sends, checked at the huggingface_hub call boundary."""

import subprocess
import textwrap

import pytest
from huggingface_hub import ModelCard

from hf_classic.cli import main
from hf_classic.errors import HfClassicError
from hf_classic.hub import push_folder


@pytest.fixture(scope="module")
def trained_folder(tmp_path_factory, kjv_path):
    folder = tmp_path_factory.mktemp("hub") / "w2v"
    status = main(
        [
            "pretrain",
            "word2vec",
            "--corpus",
            str(kjv_path),
            "--output",
            str(folder),
            "--epochs",
            "1",
            "--vector-size",
            "24",
            "--no-progress",
        ]
    )
    assert status == 0
    return folder


def test_trained_folder_has_a_card_with_metadata_method_and_results(trained_folder):
    card = ModelCard.load(trained_folder / "README.md")
    assert card.data.library_name == "transformers"
    assert {"hf-classic", "word2vec"} <= set(card.data.tags)
    assert card.data.pipeline_tag == "feature-extraction"
    for expected in (
        "| corpus | kjv.txt.gz |",
        "| vector_size | 24 |",
        "| epochs | 1 |",
        "tokens per epoch",
        "Google analogies, accuracy",
        "WordSim-353, Spearman",
        "trust_remote_code=True",
        "import hf_classic",
    ):
        assert expected in card.content, expected


def test_push_sends_weights_config_code_tokenizer_and_card(trained_folder, hub_upload):
    sent = hub_upload
    url = push_folder(trained_folder, "someone/kjv-w2v", private=True, revision="v1", token="hf_test")
    assert url.endswith("/commit/0")
    assert sent["repo"] == ("someone/kjv-w2v", True) and sent["branch"] == "v1" and sent["revision"] == "v1"
    assert sent["files"] == sorted(
        [
            "README.md",
            "config.json",
            "configuration_word2vec.py",
            "keyed_vectors.py",
            "model.safetensors",
            "modeling_word2vec.py",
            "task_heads.py",
            "tokenization_word2vec.py",
            "tokenizer.json",
            "tokenizer_config.json",
            "training_summary.json",
            "word_counts.txt",
        ]
    )


LOAD = textwrap.dedent(
    """
    import sys
    from transformers import AutoModel, AutoTokenizer
    model = AutoModel.from_pretrained(sys.argv[1], trust_remote_code=True)
    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1], trust_remote_code=True)
    print(model(**tokenizer(["and god said"], return_tensors="pt")).last_hidden_state.shape)
    """
)


def test_the_uploaded_files_alone_load_without_hf_classic(
    trained_folder, hub_upload, as_served, tmp_path, python_without_hf_classic
):
    push_folder(trained_folder, "someone/kjv-w2v", token="hf_test")
    served = as_served(trained_folder, hub_upload["files"])
    result = subprocess.run(
        [python_without_hf_classic, "-c", LOAD, str(served)], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "torch.Size([1, 3, 24])" in result.stdout


def test_push_without_token_names_what_is_missing_and_keeps_the_folder(trained_folder, monkeypatch, tmp_path):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf-home"))
    before = sorted(path.name for path in trained_folder.iterdir())
    with pytest.raises(HfClassicError, match="no Hugging Face token; run `hf auth login` or set HF_TOKEN"):
        push_folder(trained_folder, "someone/kjv-w2v")
    assert sorted(path.name for path in trained_folder.iterdir()) == before


def test_push_offline_is_a_clear_error(trained_folder, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    status = main(["push", str(trained_folder), "someone/kjv-w2v"])
    assert status == 2
    assert "could not be reached or refused the upload" in capsys.readouterr().err


def test_push_refuses_a_folder_without_card(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(HfClassicError, match="no README.md"):
        push_folder(tmp_path, "someone/x", token="hf_test")


def test_converted_folder_card_cites_its_source_and_claims_no_result(tmp_path):
    gensim_data = pytest.importorskip("gensim.test.utils")
    from hf_classic.formats.word2vec_models import convert_word_vectors

    folder = convert_word_vectors(gensim_data.datapath("test_glove.txt"), tmp_path / "glove", "glove")
    card = ModelCard.load(folder / "README.md")
    assert {"hf-classic", "word2vec"} <= set(card.data.tags)
    assert "Converted from the glove file `test_glove.txt`" in card.content
    assert "Nothing was measured for this folder; no result is claimed." in card.content


def test_convert_word2vec_pushes_the_converted_folder(tmp_path, hub_upload, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    gensim_data = pytest.importorskip("gensim.test.utils")
    source = gensim_data.datapath("test_glove.txt")
    argv = ["convert", "word2vec", source, str(tmp_path / "glove"), "--format", "glove"]
    assert main([*argv, "--push-to-hub", "someone/glove-test"]) == 0
    assert hub_upload["repo"] == ("someone/glove-test", False)
    assert {"README.md", "model.safetensors", "modeling_word2vec.py", "tokenizer.json"} <= set(hub_upload["files"])
