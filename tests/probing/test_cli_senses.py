"""`hf-classic senses` as a user runs it: report, JSON, PNG, and clear refusals of bad input."""

import json

import pytest

from hf_classic.cli import main


@pytest.fixture
def contexts(tmp_path):
    path = tmp_path / "contexts.tsv"
    rows = [
        ("play", "music", "she can play the harp"),
        ("play", "music", "he will play a tune on the piano"),
        ("play", "game", "the children play in the meadow"),
        ("play", "game", "let the boys play with the ball"),
    ]
    path.write_text("word\tsense\tsentence\n" + "".join("\t".join(row) + "\n" for row in rows), encoding="utf-8")
    return path


def leftovers(folder):
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


def test_word2vec_report_says_every_context_has_the_same_vector(skipgram_dir, tmp_path, capsys):
    picture, report = tmp_path / "out" / "play.png", tmp_path / "out" / "play.json"
    status = main(["senses", str(skipgram_dir), "play", "--output", str(picture), "--json", str(report)])
    assert status == 0
    printed = capsys.readouterr().out
    assert "one vector per word type" in printed and "chance (1/3)" in printed
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["model_type"] == "word2vec" and data["contextual"] is False
    assert data["senses"] == {"game": 10, "music": 10, "theatre": 9}
    scores = data["representations"]["word2vec"]
    assert scores["within_sense_cosine"] == pytest.approx(1.0) == scores["across_sense_cosine"]
    assert scores["nearest_centroid_accuracy"] == pytest.approx(1 / 3)
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert leftovers(picture.parent) == []


def test_elmo_report_has_the_mix_and_every_layer(tiny_elmo_dir, contexts, tmp_path):
    report = tmp_path / "elmo.json"
    assert main(["senses", str(tiny_elmo_dir), "play", "--contexts", str(contexts), "--json", str(report)]) == 0
    data = json.loads(report.read_text(encoding="utf-8"))
    assert list(data["representations"]) == ["mix", "layer 0", "layer 1", "layer 2"]
    assert data["representations"]["layer 0"]["identical_vectors"] is True
    assert data["representations"]["layer 1"]["identical_vectors"] is False
    assert data["contextual"] is True and data["main_representation"] == "mix"


def test_bert_and_gpt2_folders_draw_a_png(tiny_bert_dir, tiny_gpt2_dir, contexts, tmp_path):
    for name, folder in (("bert", tiny_bert_dir), ("gpt2", tiny_gpt2_dir)):
        picture = tmp_path / f"{name}.png"
        assert main(["senses", str(folder), "play", "--contexts", str(contexts), "--output", str(picture)]) == 0
        assert picture.stat().st_size > 1000


def test_existing_outputs_are_kept_without_overwrite(tiny_bert_dir, contexts, tmp_path, capsys):
    report = tmp_path / "report.json"
    report.write_text("keep", encoding="utf-8")
    assert main(["senses", str(tiny_bert_dir), "play", "--contexts", str(contexts), "--json", str(report)]) == 2
    assert "already exists" in capsys.readouterr().err and report.read_text(encoding="utf-8") == "keep"
    assert (
        main(["senses", str(tiny_bert_dir), "play", "--contexts", str(contexts), "--json", str(report), "--overwrite"])
        == 0
    )
    assert json.loads(report.read_text(encoding="utf-8"))["word"] == "play"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["{model}", "play", "--contexts", "{tmp}/missing.tsv"], "missing.tsv: contexts file does not exist"),
        (["{tmp}/no-model", "play", "--contexts", "{contexts}"], "no-model: model directory does not exist"),
        (["{model}", "bat", "--contexts", "{contexts}"], "no sentence for the word 'bat' (words in the file: play)"),
        (["{model}", "play", "--contexts", "{bad}"], "bad.tsv:3: the sentence does not contain the word 'play'"),
    ],
)
def test_bad_input_exits_2_with_a_message_naming_it(tiny_bert_dir, contexts, tmp_path, capsys, arguments, message):
    bad = tmp_path / "bad.tsv"
    bad.write_text("word\tsense\tsentence\nplay\ta\twe play\nplay\ta\tthey displayed it\n", encoding="utf-8")
    values = {"model": tiny_bert_dir, "tmp": tmp_path, "contexts": contexts, "bad": bad}
    picture = tmp_path / "never.png"
    argv = ["senses", *(argument.format(**values) for argument in arguments), "--output", str(picture)]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not picture.exists()
