"""Training on real parallel text (Django's English→French UI strings, tests/fixtures/rnn_seq2seq/)."""

from pathlib import Path

import pytest
import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from hf_classic.errors import InputFileError
from hf_classic.training.rnn_seq2seq_translation import (
    TranslationTraining,
    bleu_and_chrf,
    normalise,
    read_parallel,
    read_po_pairs,
    split_pairs,
    train_translation,
    translate,
)

DATA = Path(__file__).parents[1] / "fixtures" / "rnn_seq2seq"


def test_a_short_run_learns_the_training_sentences(tmp_path):
    pairs = [pair for pair in read_parallel(DATA / "django.en", DATA / "django.fr") if 3 <= len(pair[0].split()) <= 8]
    train, valid, test = split_pairs(pairs, valid=10, test=10)
    model_options = dict(embedding_size=32, hidden_size=64, dropout=0.0, attention="luong", input_feeding=False)
    options = TranslationTraining(epochs=20, batch_size=16, learning_rate=0.01, num_beams=1, keep_best=False)
    metrics = train_translation(train, valid, test, model_options, options, tmp_path / "model")
    assert metrics["last_train_loss"] < 0.3 * metrics["first_train_loss"]
    model = AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "model")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "model")
    sources, references = [s for s, _ in train], [t for _, t in train]
    learnt = bleu_and_chrf(translate(model, tokenizer, sources, num_beams=1, max_new_tokens=20), references)
    # The floor: copying the English source already scores on shared words, names and punctuation; a model
    # that learnt its training pairs must score far above that.
    copied = bleu_and_chrf(sources, references)
    assert learnt["bleu"] > copied["bleu"] + 20
    assert learnt["chrf"] > copied["chrf"] + 20
    held_out = translate(model, tokenizer, [s for s, _ in test], num_beams=1, max_new_tokens=50)
    expected = bleu_and_chrf(held_out, [t for _, t in test])
    assert metrics["test_bleu"] == pytest.approx(expected["bleu"], abs=1e-6)
    assert metrics["test_chrf"] == pytest.approx(expected["chrf"], abs=1e-6)


def test_bleu_and_chrf_are_100_for_identical_text_and_low_for_unrelated_text():
    same = bleu_and_chrf(["le chat est noir ."], ["Le chat est noir."])
    other = bleu_and_chrf(["un deux trois quatre"], ["le chat est noir ."])
    assert same == {"bleu": pytest.approx(100.0), "chrf": pytest.approx(100.0)}
    assert other["bleu"] < 1 and other["chrf"] < 20


def test_normalise_matches_the_fixture_tokenisation():
    assert normalise("Don’t save “Pages”!") == "don ' t save “ pages ” !"


def test_split_is_reproducible_and_disjoint():
    pairs = [(str(index), str(index)) for index in range(50)]
    train, valid, test = split_pairs(pairs, valid=5, test=7)
    assert (len(train), len(valid), len(test)) == (38, 5, 7)
    assert split_pairs(pairs, valid=5, test=7) == (train, valid, test)
    assert not {p[0] for p in train} & {p[0] for p in valid + test}
    with pytest.raises(ValueError, match="50 pairs cannot give 30 validation and 20 test pairs"):
        split_pairs(pairs, valid=30, test=20)


def test_po_catalogues_give_translated_single_line_entries(tmp_path):
    catalogue = tmp_path / "django.po"
    catalogue.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Save"\nmsgstr "Enregistrer"\n\n'
        '#, fuzzy\nmsgid "Delete"\nmsgstr "Supprimer"\n\n'
        'msgid "%(count)s items"\nmsgstr "%(count)s éléments"\n\n'
        'msgid "Untranslated"\nmsgstr ""\n\n'
        'msgid "Save"\nmsgstr "Sauver"\n',
        encoding="utf-8",
    )
    assert read_po_pairs([catalogue]) == [("save", "enregistrer")]


def test_misaligned_parallel_files_are_refused(tmp_path):
    (tmp_path / "a.en").write_text("one\ntwo\n")
    (tmp_path / "a.fr").write_text("un\n")
    with pytest.raises(InputFileError, match="a.en has 2 lines but .*a.fr has 1"):
        read_parallel(tmp_path / "a.en", tmp_path / "a.fr")


def test_translate_batches_give_the_same_as_one_by_one():
    from hf_classic.formats.rnn_seq2seq_onmt import convert_onmt_checkpoint

    model, tokenizer = convert_onmt_checkpoint(DATA.parent / "onmt_rnn" / "brnn_lstm_general.pt")
    sentences = (DATA.parent / "onmt_rnn" / "src.txt").read_text(encoding="utf-8").splitlines()[:7]
    batched = translate(model, tokenizer, sentences, batch_size=3, num_beams=5, max_new_tokens=50)
    single = [translate(model, tokenizer, [sentence], num_beams=5, max_new_tokens=50)[0] for sentence in sentences]
    assert batched == single
    assert torch.get_num_threads() == 1


def test_length_grouped_batches_still_score_the_test_set_in_order(tmp_path):
    pairs = [pair for pair in read_parallel(DATA / "django.en", DATA / "django.fr") if 3 <= len(pair[0].split()) <= 8]
    train, valid, _ = split_pairs(pairs, valid=10, test=10)
    # Scored on learnt pairs, whose translations differ from sentence to sentence: any reordering shows.
    test = train[:60]
    model_options = dict(embedding_size=32, hidden_size=64, dropout=0.0, attention="luong", input_feeding=False)
    options = TranslationTraining(
        epochs=20, batch_size=16, learning_rate=0.01, num_beams=1, keep_best=False, group_by_length=True
    )
    metrics = train_translation(train, valid, test, model_options, options, tmp_path / "model")
    model = AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "model")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "model")
    held_out = translate(model, tokenizer, [s for s, _ in test], num_beams=1, max_new_tokens=50)
    expected = bleu_and_chrf(held_out, [t for _, t in test])
    assert expected["bleu"] > 30
    assert metrics["test_bleu"] == pytest.approx(expected["bleu"], abs=1e-6)
