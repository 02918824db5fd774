"""The downstream heads of the word2vec and ELMo families: shapes, losses, masks, freezing, pairs, saving."""

from __future__ import annotations

import json
import subprocess

import pytest
import torch
from torch.nn import functional as F
from transformers import (
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoTokenizer,
    pipeline,
)

from hf_classic import (
    ElmoConfig,
    ElmoForPreTraining,
    ElmoForSequenceClassification,
    ElmoForTokenClassification,
    ElmoTokenizer,
    Word2VecConfig,
    Word2VecForPreTraining,
    Word2VecForSequenceClassification,
    Word2VecForTokenClassification,
    Word2VecTokenizer,
)
from hf_classic.elmo.tokenization_elmo import PAIR_SEPARATOR, word_to_char_ids

WORDS = [("the", 50), ("and", 40), ("of", 30), ("lord", 20), ("god", 15), ("said", 10), ("light", 5), ("day", 4)]
SENTENCES = ["the lord said", "and god said light", "day", "the light of the day and the lord"]


def word2vec_parts(**head_options):
    tokenizer = Word2VecTokenizer.from_word_counts(WORDS)
    config = Word2VecConfig(vocab_size=len(tokenizer), vector_size=12, **head_options)
    return config, tokenizer


def elmo_parts(**head_options):
    config = ElmoConfig(
        char_embedding_dim=4,
        filters=[[1, 8], [2, 8]],
        n_highway=1,
        lstm_dim=16,
        projection_dim=8,
        vocab_size=len(WORDS) + 3,
        **head_options,
    )
    tokenizer = ElmoTokenizer.from_words(["<S>", "</S>", "<UNK>"] + [word for word, _ in WORDS])
    return config, tokenizer


FAMILIES = {
    "word2vec": (word2vec_parts, Word2VecForSequenceClassification, Word2VecForTokenClassification),
    "elmo": (elmo_parts, ElmoForSequenceClassification, ElmoForTokenClassification),
}
HEAD_OPTIONS = [
    {"head_encoder": "bilstm", "head_pooling": "max"},
    {"head_encoder": "none", "head_pooling": "mean"},
]


def build(family: str, kind: str, seed: int = 0, **options):
    parts, sequence_class, token_class = FAMILIES[family]
    config, tokenizer = parts(num_labels=3, classifier_dropout=0.0, **options)
    torch.manual_seed(seed)
    model = (sequence_class if kind == "sequence" else token_class)(config).eval()
    return model, tokenizer


def encode(tokenizer, texts):
    return tokenizer(texts, padding=True, return_tensors="pt")


@pytest.mark.parametrize("options", HEAD_OPTIONS, ids=lambda o: o["head_encoder"])
@pytest.mark.parametrize("family", FAMILIES)
def test_sequence_head_gives_one_row_of_logits_per_sequence_and_ignores_padding(family, options):
    model, tokenizer = build(family, "sequence", **options)
    batch = encode(tokenizer, SENTENCES)
    logits = model(**batch).logits
    assert logits.shape == (len(SENTENCES), 3)
    for row, sentence in enumerate(SENTENCES):
        alone = model(**encode(tokenizer, [sentence])).logits[0]
        torch.testing.assert_close(logits[row], alone, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("options", HEAD_OPTIONS, ids=lambda o: o["head_encoder"])
@pytest.mark.parametrize("family", FAMILIES)
def test_token_head_gives_logits_per_token_and_padding_does_not_change_them(family, options):
    model, tokenizer = build(family, "token", **options)
    batch = encode(tokenizer, SENTENCES)
    logits = model(**batch).logits
    assert logits.shape == (*batch["attention_mask"].shape, 3)
    for row, sentence in enumerate(SENTENCES):
        alone = model(**encode(tokenizer, [sentence])).logits[0]
        length = alone.shape[0]
        torch.testing.assert_close(logits[row, :length], alone, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("family", FAMILIES)
def test_sequence_loss_follows_bert_problem_types(family):
    model, tokenizer = build(family, "sequence")
    batch = encode(tokenizer, SENTENCES)
    labels = torch.tensor([0, 2, 1, 2])
    output = model(**batch, labels=labels)
    torch.testing.assert_close(output.loss, F.cross_entropy(output.logits, labels))
    assert model.config.problem_type == "single_label_classification"

    model.config.problem_type = "multi_label_classification"
    targets = torch.tensor([[1.0, 0, 1], [0, 0, 0], [0, 1, 0], [1, 1, 1]])
    output = model(**batch, labels=targets)
    torch.testing.assert_close(output.loss, F.binary_cross_entropy_with_logits(output.logits, targets))

    parts = FAMILIES[family][0]
    config, _ = parts(num_labels=1)
    regression = FAMILIES[family][1](config).eval()
    values = torch.tensor([0.5, -1.0, 2.0, 0.0])
    output = regression(**batch, labels=values)
    assert regression.config.problem_type == "regression"
    torch.testing.assert_close(output.loss, F.mse_loss(output.logits.squeeze(-1), values))


@pytest.mark.parametrize("family", FAMILIES)
def test_token_loss_skips_ignored_labels_and_padding(family):
    model, tokenizer = build(family, "token")
    batch = encode(tokenizer, SENTENCES)
    mask = batch["attention_mask"].bool()
    labels = torch.randint(0, 3, mask.shape, generator=torch.Generator().manual_seed(0))
    labels[0, 1] = -100
    output = model(**batch, labels=labels)
    keep = mask & (labels != -100)
    expected = F.cross_entropy(output.logits[keep], labels[keep])
    torch.testing.assert_close(output.loss, expected)


def pretrained_parameters(model) -> dict[str, torch.Tensor]:
    bottom = model.get_submodule(model.pretrained_bottom)
    return {name: parameter.detach().clone() for name, parameter in bottom.named_parameters()}


def train_one_step(model, tokenizer, kind):
    model.train()
    batch = encode(tokenizer, SENTENCES)
    shape = (len(SENTENCES),) if kind == "sequence" else batch["attention_mask"].shape
    labels = torch.randint(0, 3, shape, generator=torch.Generator().manual_seed(1))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=0.05)
    model(**batch, labels=labels).loss.backward()
    optimizer.step()


@pytest.mark.parametrize("kind", ["sequence", "token"])
@pytest.mark.parametrize("family", FAMILIES)
def test_frozen_bottom_stays_bit_identical_while_head_learns(family, kind):
    model, tokenizer = build(family, kind, freeze_pretrained=True)
    before = pretrained_parameters(model)
    head_before = model.head.classifier.weight.detach().clone()
    mix_before = model.elmo.scalar_mix.scalar_parameters.detach().clone() if family == "elmo" else None
    train_one_step(model, tokenizer, kind)
    for name, value in pretrained_parameters(model).items():
        assert torch.equal(value, before[name]), name
    assert not torch.equal(model.head.classifier.weight, head_before)
    if family == "elmo":
        assert not torch.equal(model.elmo.scalar_mix.scalar_parameters, mix_before), "the task's scalar mix learns"


@pytest.mark.parametrize("family", FAMILIES)
def test_fine_tuned_bottom_changes(family):
    model, tokenizer = build(family, "sequence", freeze_pretrained=False)
    before = pretrained_parameters(model)
    train_one_step(model, tokenizer, "sequence")
    changed = [name for name, value in pretrained_parameters(model).items() if not torch.equal(value, before[name])]
    assert changed


@pytest.mark.parametrize("family", FAMILIES)
def test_heads_load_from_a_pretraining_folder_with_the_bottom_frozen(family, tmp_path):
    parts = FAMILIES[family][0]
    config, tokenizer = parts()
    pretraining = (Word2VecForPreTraining if family == "word2vec" else ElmoForPreTraining)(config)
    pretraining.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    for auto_class in (AutoModelForSequenceClassification, AutoModelForTokenClassification):
        model = auto_class.from_pretrained(tmp_path, num_labels=4, freeze_pretrained=True)
        assert type(model).__name__.startswith("Word2Vec" if family == "word2vec" else "Elmo")
        source = pretraining.word2vec if family == "word2vec" else pretraining.elmo.bilm
        bottom = model.get_submodule(model.pretrained_bottom)
        for (name, loaded), (_, original) in zip(bottom.named_parameters(), source.named_parameters(), strict=True):
            assert torch.equal(loaded, original), name
            assert not loaded.requires_grad, name
        assert all(p.requires_grad for p in model.head.parameters())


@pytest.mark.parametrize("family", FAMILIES)
def test_fine_tuned_head_round_trips_through_save_and_auto_classes(family, tmp_path):
    model, tokenizer = build(family, "token", id2label={0: "DET", 1: "NOUN", 2: "VERB"})
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert {"AutoModelForSequenceClassification", "AutoModelForTokenClassification"} <= set(config["auto_map"])
    assert (tmp_path / "task_heads.py").is_file() and not (tmp_path / "task_heads.py").is_symlink()
    reloaded = AutoModelForTokenClassification.from_pretrained(tmp_path).eval()
    assert reloaded.config.id2label == {0: "DET", 1: "NOUN", 2: "VERB"}
    batch = encode(tokenizer, SENTENCES)
    torch.testing.assert_close(reloaded(**batch).logits, model(**batch).logits)


def test_word2vec_tokenizer_marks_sentence_pairs():
    tokenizer = Word2VecTokenizer.from_word_counts(WORDS).add_boundary_markers()
    encoded = tokenizer("The Lord said", "Light", return_token_type_ids=True)
    assert tokenizer.convert_ids_to_tokens(encoded["input_ids"]) == [
        "<s>",
        "the",
        "lord",
        "said",
        "<sep>",
        "light",
        "</s>",
    ]
    assert encoded["token_type_ids"] == [0, 0, 0, 0, 0, 1, 1]
    assert tokenizer.convert_ids_to_tokens(tokenizer("day")["input_ids"]) == ["<s>", "day", "</s>"]
    assert len(tokenizer.word_counts) == len(tokenizer) == len(WORDS) + 5
    assert tokenizer.add_boundary_markers() is tokenizer and len(tokenizer) == len(WORDS) + 5


def test_word2vec_markers_survive_saving_and_the_model_grows_to_them(tmp_path):
    config, tokenizer = word2vec_parts(num_labels=2)
    tokenizer.add_boundary_markers()
    model = Word2VecForSequenceClassification(config)
    model.resize_token_embeddings(len(tokenizer))
    tokenizer.save_pretrained(tmp_path)
    model.save_pretrained(tmp_path)
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    assert reloaded("and", "day")["input_ids"] == tokenizer("and", "day")["input_ids"]
    assert AutoModelForSequenceClassification.from_pretrained(tmp_path).config.vocab_size == len(tokenizer)


def test_elmo_tokenizer_puts_a_separator_word_between_pairs():
    tokenizer = ElmoTokenizer()
    encoded = tokenizer(["I play", "a b c"], text_pair=["football", "d"], return_tensors="pt")
    assert encoded["input_ids"].shape == (2, 5, 50)
    assert encoded["attention_mask"].tolist() == [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]
    assert encoded["input_ids"][0, 2].tolist() == word_to_char_ids(PAIR_SEPARATOR)
    assert encoded["input_ids"][0, 3].tolist() == word_to_char_ids("football")
    with pytest.raises(ValueError, match="text_pair"):
        tokenizer(["a", "b"], text_pair=["c"])


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("key, value", [("head_encoder", "gru"), ("head_pooling", "sum"), ("head_hidden_size", 0)])
def test_bad_head_options_are_rejected_naming_the_key(family, key, value):
    with pytest.raises(Exception, match=key):
        FAMILIES[family][0](**{key: value})


@pytest.mark.parametrize("family", FAMILIES)
def test_text_classification_pipeline_runs_on_a_saved_head(family, tmp_path):
    model, tokenizer = build(family, "sequence", id2label={0: "neg", 1: "neu", 2: "pos"})
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    classifier = pipeline("text-classification", model=str(tmp_path))
    results = classifier(["the lord said", "and god said light"])
    with torch.no_grad():
        expected = model(**encode(tokenizer, ["the lord said", "and god said light"])).logits.softmax(-1)
    for result, probabilities in zip(results, expected, strict=True):
        assert result["label"] == model.config.id2label[int(probabilities.argmax())]
        assert result["score"] == pytest.approx(float(probabilities.max()), abs=1e-5)


def test_token_classification_pipeline_runs_on_a_saved_word2vec_head(tmp_path):
    model, tokenizer = build("word2vec", "token", id2label={0: "DET", 1: "NOUN", 2: "VERB"})
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    tagger = pipeline("token-classification", model=str(tmp_path))
    entities = tagger("the lord said")
    with torch.no_grad():
        logits = model(**encode(tokenizer, ["the lord said"])).logits[0]
    assert [entity["word"] for entity in entities] == ["the", "lord", "said"]
    assert [entity["entity"] for entity in entities] == [model.config.id2label[int(i)] for i in logits.argmax(-1)]
    assert [(entity["start"], entity["end"]) for entity in entities] == [(0, 3), (4, 8), (9, 13)]


def test_elmo_token_classification_pipeline_tags_each_word_with_its_span(tmp_path):
    model, tokenizer = build("elmo", "token", id2label={0: "DET", 1: "NOUN", 2: "VERB"})
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["custom_pipelines"]["token-classification"]
    tagger = pipeline("token-classification", model=str(tmp_path), trust_remote_code=True)
    sentence = "The lord said, light."
    entities = tagger(sentence)
    with torch.no_grad():
        logits = model(**tokenizer([sentence], return_tensors="pt")).logits[0]
    assert [entity["word"] for entity in entities] == ["The", "lord", "said", ",", "light", "."]
    assert all(sentence[entity["start"] : entity["end"]] == entity["word"] for entity in entities)
    assert [entity["entity"] for entity in entities] == [model.config.id2label[int(i)] for i in logits.argmax(-1)]


REMOTE_HEADS = """
import sys, torch
from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer, pipeline
for folder, auto_class in ((sys.argv[1], AutoModelForSequenceClassification), (sys.argv[2], AutoModelForTokenClassification)):
    model = auto_class.from_pretrained(folder, trust_remote_code=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=True)
    batch = tokenizer(["the lord said", "and god said light"], padding=True, return_tensors="pt")
    with torch.no_grad():
        torch.save(model(**batch).logits, folder + "/remote_logits.pt")
tagger = pipeline("token-classification", model=sys.argv[2], trust_remote_code=True)
print(" ".join(entity["word"] for entity in tagger("the lord said")))
"""


def test_heads_load_with_remote_code_without_hf_classic(tmp_path, python_without_hf_classic):
    folders = []
    for family, kind in (("word2vec", "sequence"), ("elmo", "token")):
        model, tokenizer = build(family, kind)
        folder = tmp_path / family
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        folders.append((folder, model, tokenizer))
    result = subprocess.run(
        [python_without_hf_classic, "-c", REMOTE_HEADS, *(str(folder) for folder, _, _ in folders)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "the lord said"
    for folder, model, tokenizer in folders:
        remote = torch.load(folder / "remote_logits.pt", weights_only=True)
        with torch.no_grad():
            local = model(**encode(tokenizer, ["the lord said", "and god said light"])).logits
        torch.testing.assert_close(remote, local, rtol=1e-5, atol=1e-7)
