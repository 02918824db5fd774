"""`hf-classic lineage --quick`: the four generations pre-trained on a slice of the KJV and run on every task."""

import json
import logging
from pathlib import Path

from hf_classic.cli import main

FIXTURES = Path(__file__).parent.parent / "fixtures" / "tasks"


def test_quick_lineage_runs_every_generation_on_every_task(tmp_path, capsys):
    output = tmp_path / "lineage"
    argv = [
        "lineage", "--quick", "--output", str(output), "--minutes-per-model", "0.05", "--corpus-lines", "600",
        "--train-examples", "24", "--eval-examples", "16", "--max-steps", "1",
        "--classification-data", str(FIXTURES / "rotten_tomatoes_sample.csv"),
        "--tagging-data", str(FIXTURES / "brown_sample.txt"),
    ]  # fmt: skip
    assert main(argv) == 0
    report = json.loads((output / "lineage.json").read_text())
    assert list(report["pretraining"]) == ["word2vec", "elmo", "gpt", "bert"]
    for generation, item in report["pretraining"].items():
        assert item["tokens"] > 0 and item["parameters"] > 0 and item["seconds"] > 0, generation
        assert (output / "models" / generation / "config.json").is_file()
    assert report["pretraining"]["gpt"]["seconds"] < 3 * 60 * 0.05 + 30  # the wall-time budget holds
    settings = ["random init"] + [
        f"{g} {u}" for g in ("word2vec", "elmo", "gpt", "bert") for u in ("frozen", "fine-tuned")
    ]
    for task in ("classification", "tagging", "pairs"):
        assert list(report["tasks"][task]) == settings
        for metrics in report["tasks"][task].values():
            assert 0 <= metrics["test"]["accuracy"] <= 1 and metrics["steps"] == 1
    table = (output / "lineage.md").read_text()
    assert "| bert fine-tuned |" in table and "| majority class |" in table
    assert (output / "lineage.png").stat().st_size > 10_000
    assert main(argv) == 2
    assert "already exists" in capsys.readouterr().err


def test_missing_task_data_fails_before_any_pre_training(tmp_path, capsys, caplog):
    caplog.set_level(logging.INFO, logger="hf_classic.tasks.lineage")
    missing = tmp_path / "no-brown.tgz"
    output = tmp_path / "lineage"
    status = main(
        ["lineage", "--quick", "--output", str(output), "--tasks", "pairs", "tagging", "--tagging-data", str(missing)]
    )
    assert status == 2
    assert str(missing) in capsys.readouterr().err
    assert not [record for record in caplog.records if "pre-training" in record.getMessage()]
    assert list(tmp_path.iterdir()) == []  # no output or temporary folder left
