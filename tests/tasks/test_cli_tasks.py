"""`hf-classic train classification|tagging|pairs` on bad input: a clear message and exit status 2."""

import pytest

from hf_classic.cli import main


def test_missing_model_folder_exits_2_naming_it(tmp_path, capsys):
    status = main(["train", "pairs", "--model", str(tmp_path / "nothing"), "--output", str(tmp_path / "out")])
    assert status == 2
    error = capsys.readouterr().err
    assert "nothing: pre-trained model directory does not exist" in error
    assert not (tmp_path / "out").exists()


def test_unknown_task_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "ner", "--model", str(tmp_path), "--output", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert "invalid choice: 'ner'" in capsys.readouterr().err


def test_folder_of_another_family_exits_2(tmp_path, capsys):
    (tmp_path / "config.json").write_text('{"model_type": "rnn_seq2seq"}', encoding="utf-8")
    status = main(["train", "classification", "--model", str(tmp_path), "--output", str(tmp_path / "out")])
    assert status == 2
    assert "model_type is 'rnn_seq2seq'; expected one of word2vec, elmo, bert, gpt2" in capsys.readouterr().err


def test_existing_output_exits_2_without_overwrite(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    status = main(["train", "tagging", "--model", str(tmp_path), "--output", str(tmp_path / "out")])
    assert status == 2
    assert "pass --overwrite" in capsys.readouterr().err


def test_bad_head_option_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "pairs", "--model", str(tmp_path), "--output", str(tmp_path / "o"), "--head-encoder", "gru"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'gru'" in capsys.readouterr().err
