"""RNN encoder-decoder model cards and uploads: `train seq2seq` and `convert onmt` folders, checked at the
huggingface_hub boundary."""

import contextlib
import io
import json
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml
from huggingface_hub import ModelCard

from hf_classic.cli import main
from hf_classic.hub import push_folder

FIXTURES = Path(__file__).parents[1] / "fixtures"
ONMT = FIXTURES / "onmt_rnn"
CODE_AND_TOKENIZER = [
    "configuration_rnn_seq2seq.py",
    "generation_config.json",
    "modeling_rnn_seq2seq.py",
    "pipeline_rnn_seq2seq.py",
    "task_heads.py",
    "target_tokenizer.json",
    "tokenization_rnn_seq2seq.py",
    "tokenizer.json",
    "tokenizer_config.json",
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`(folder, metrics)` of a tiny model trained from the command line on Django's English→French strings."""
    folder = tmp_path_factory.mktemp("seq2seq-hub") / "model"
    data = FIXTURES / "rnn_seq2seq"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(
            ["train", "seq2seq", str(folder), "--source", str(data / "django.en"), "--target", str(data / "django.fr")]
            + ["--valid-size", "20", "--test-size", "20", "--embedding-size", "16", "--hidden-size", "32"]
            + ["--epochs", "2", "--attention", "luong", "--score", "dot", "--cell", "gru", "--num-beams", "2"]
        )
    assert status == 0
    output = printed.getvalue()  # the Trainer's log lines, then the metrics as indented JSON
    return folder, json.loads(output[output.rindex("{\n") :])


def front_matter(path) -> dict:
    """The card's YAML metadata, parsed on its own."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_trained_card_has_metadata_every_hyper_parameter_and_the_measured_scores(trained):
    folder, metrics = trained
    metadata = front_matter(folder / "README.md")
    assert metadata["library_name"] == "transformers"
    assert metadata["pipeline_tag"] == "translation"
    assert {"hf-classic", "rnn_seq2seq", "custom_code"} <= set(metadata["tags"])
    card = ModelCard.load(folder / "README.md").content
    config = json.loads((folder / "config.json").read_text())
    for expected in (
        "# RNN translation model: 1-layer bidirectional GRU encoder-decoder with luong dot attention",
        "| data | the line-aligned files django.en / django.fr |",
        "| pairs | 560 training, 20 validation, 20 test (shuffled split) |",
        "| training tokens | ",
        "| cell | gru |",
        "| hidden_size | 32 |",
        "| embedding_size | 16 |",
        "| input_feeding | True |",
        f"| vocab_size | {config['vocab_size']} |",
        f"| decoder_vocab_size | {config['decoder_vocab_size']} |",
        "| epochs (training option) | 2 |",
        "| learning_rate (training option) | 0.002 |",
        "| batch_size (training option) | 32 |",
        "| vocab_size (training option) | 8000 |",
        f"| training time | {metrics['train_runtime']:.1f} s |",
        "| machine | ",
        f"| BLEU, test (20 pairs, beam 2) | {metrics['test_bleu']:.2f} |",
        f"| chrF, test (20 pairs, beam 2) | {metrics['test_chrf']:.2f} |",
        f"| test loss (cross-entropy per target token) | {metrics['test_loss']:.4f} |",
        'AutoModelForSeq2SeqLM.from_pretrained("path/to/this/folder", trust_remote_code=True)',
        "import hf_classic",
        'pipeline("translation", model=..., trust_remote_code=True)',
    ):
        assert expected in card, expected


def test_trained_card_names_the_languages_and_the_word2vec_folder(tmp_path):
    from hf_classic.cards.rnn_seq2seq import trained_card
    from hf_classic.rnn_seq2seq import RnnSeq2SeqConfig
    from hf_classic.training.rnn_seq2seq_translation import TranslationTraining

    data = dict(name="catalogues", languages=("en", "fr"), train=5, valid=1, test=2, source_tokens=9, target_tokens=11)
    metrics = dict(
        test_bleu=12.3456, test_chrf=40.0, test_loss=3.0, first_train_loss=6, last_train_loss=4, train_runtime=1
    )
    options = TranslationTraining(init_from_word2vec=str(tmp_path / "kjv-w2v"))
    content = trained_card(RnnSeq2SeqConfig(), options, data, metrics, [(1.0, 5.0), (2.0, 4.5)], "here")
    assert content.made_with["init_from_word2vec (training option)"] == "kjv-w2v"
    assert content.language == ["en", "fr"] and "(en→fr)" in content.title
    assert content.results["BLEU, test (2 pairs, beam 5)"] == "12.35"
    assert content.results["validation loss, epoch 2 (1 pairs)"] == "4.5000"


def test_converted_card_cites_the_checkpoint_and_claims_no_result(tmp_path):
    folder = tmp_path / "converted"
    assert main(["convert", "onmt", str(ONMT / "rnn_gru_mlp_shared.pt"), str(folder)]) == 0
    metadata = front_matter(folder / "README.md")
    assert metadata["pipeline_tag"] == "translation" and "rnn_seq2seq" in metadata["tags"]
    card = ModelCard.load(folder / "README.md").content
    for expected in (
        "Converted from the OpenNMT-py 3.x checkpoint `rnn_gru_mlp_shared.pt`.",
        "| attention_score | concat |",
        "| share_embeddings | True |",
        "| training data (as recorded) | corpus_1: train.en / train.fr, valid: valid.en / valid.fr |",
        "| OpenNMT-py train_steps | 1000 |",
        "Nothing was measured for this folder; no result is claimed.",
    ):
        assert expected in card, expected
    assert "BLEU" not in card and "chrF" not in card


def test_push_sends_weights_config_code_tokenizers_and_card(trained, hub_upload):
    folder, _ = trained
    push_folder(folder, "someone/django-fr", token="hf_test")
    assert hub_upload["files"] == sorted(["README.md", "config.json", "model.safetensors", *CODE_AND_TOKENIZER])
    config = json.loads((folder / "config.json").read_text())
    assert config["auto_map"]["AutoModelForSeq2SeqLM"] == "modeling_rnn_seq2seq.RnnSeq2SeqForConditionalGeneration"
    assert config["auto_map"]["AutoConfig"] == "configuration_rnn_seq2seq.RnnSeq2SeqConfig"
    assert "translation" in config["custom_pipelines"]


REMOTE = textwrap.dedent(
    """
    import json, sys
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, pipeline
    folder, sources = sys.argv[1], json.loads(sys.argv[2])
    model = AutoModelForSeq2SeqLM.from_pretrained(folder, trust_remote_code=True)
    tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=True)
    generated = model.generate(**tokenizer(sources, padding=True, return_tensors="pt"), num_beams=5, max_new_tokens=50)
    translate = pipeline("translation", model=folder, trust_remote_code=True)
    print(json.dumps({
        "module": type(model).__module__,
        "generate": tokenizer.batch_decode(generated, skip_special_tokens=True),
        "pipeline": [result[0]["translation_text"] for result in translate(sources, num_beams=5, max_new_tokens=50)],
    }))
    """
)


def test_convert_with_push_to_hub_uploads_files_that_translate_without_hf_classic(
    tmp_path, hub_upload, as_served, monkeypatch, python_without_hf_classic
):
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    folder = tmp_path / "converted"
    argv = ["convert", "onmt", str(ONMT / "brnn_lstm_general.pt"), str(folder), "--push-to-hub", "someone/onmt"]
    assert main(argv) == 0
    assert hub_upload["repo"] == ("someone/onmt", False)
    assert hub_upload["files"] == sorted(["README.md", "config.json", "model.safetensors", *CODE_AND_TOKENIZER])
    served = as_served(folder, hub_upload["files"])
    sources = (ONMT / "src.txt").read_text(encoding="utf-8").splitlines()[:4]
    result = subprocess.run(
        [python_without_hf_classic, "-c", REMOTE, str(served), json.dumps(sources)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    remote = json.loads(result.stdout.strip().splitlines()[-1])
    expected = (ONMT / "brnn_lstm_general.beam5.txt").read_text(encoding="utf-8").splitlines()[:4]
    assert remote["module"].startswith("transformers_modules.")
    assert remote["generate"] == expected
    assert remote["pipeline"] == expected
