"""`bench/scale.py` on a small file: the report is written and the ratios are computed (no timing assertions)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SPEC = importlib.util.spec_from_file_location("bench_scale", ROOT / "bench" / "scale.py")
scale = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(scale)


def run_bench(tmp_path: Path, *options: str) -> tuple[str, dict]:
    results = tmp_path / "results"
    command = [sys.executable, str(ROOT / "bench" / "scale.py"), "--workdir", str(tmp_path / "work")]
    command += ["--results", str(results), *options]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return (results / "scale.md").read_text(encoding="utf-8"), json.loads((results / "scale.json").read_text())


def test_synthetic_words_are_distinct_and_shaped_like_google_news():
    words = scale.synthetic_words(20000, seed=0)
    assert len(set(words)) == len(words) == 20000
    assert words[0] == b"</s>"
    assert all(b" " not in word and b"\n" not in word and word for word in words)
    non_ascii = sum(not word.isascii() for word in words) / len(words)
    assert 0.03 < non_ascii < 0.07
    assert any(b"_" in word for word in words) and any(word[:1].isupper() for word in words)
    assert 10 < sum(map(len, words)) / len(words) < 16


def test_small_run_writes_the_report_with_ratios(tmp_path):
    pytest.importorskip("gensim")
    markdown, results = run_bench(
        tmp_path, "--rows", "20000", "--dim", "50", "--skip-training", "--tasks", "read,gensim"
    )
    vectors = results["vectors"]
    assert vectors["rows"] == 20000 and vectors["dim"] == 50
    assert vectors["matrix_mb"] == pytest.approx(20000 * 50 * 4 / 2**20)
    assert {row["task"] for row in vectors["summary"]} == {"read", "gensim"}
    for row in vectors["summary"]:
        assert row["peak_rss_mb"] > 0
        assert row["ratio_to_matrix"] == pytest.approx(row["peak_rss_mb"] / vectors["matrix_mb"])
    assert vectors["words_list_mb"] > 0
    assert vectors["command"].endswith("--tasks read,gensim")
    assert results["training"] is None
    assert "| ours: read_word_vectors | 1 |" in markdown
    assert "| gensim: load_word2vec_format | 2 |" in markdown
    assert (tmp_path / "work" / f"synthetic-v{scale.SYNTHETIC_VERSION}-20000x50.bin").stat().st_size > 20000 * 200


@pytest.mark.slow
def test_small_run_of_every_task_and_the_training_part(tmp_path):
    pytest.importorskip("gensim")
    markdown, results = run_bench(tmp_path, "--rows", "5000", "--dim", "20", "--times", "2", "--epochs", "1")
    assert [row["task"] for row in results["vectors"]["summary"]] == ["read", "gensim", "convert", "load"]
    runs = results["training"]["runs"]
    assert [(row["token_cache_mb"], row["scale"]) for row in runs] == [(4096, 1), (4096, 2), (0, 1), (0, 2)]
    for row in runs:
        assert row["ratio_to_1x"] == pytest.approx(
            row["peak_rss_mb"]
            / next(r["peak_rss_mb"] for r in runs if r["scale"] == 1 and r["token_cache_mb"] == row["token_cache_mb"])
        )
    assert "## word2vec training, KJV ×1 and ×2 (1 epochs)" in markdown
    _, kept = run_bench(tmp_path, "--rows", "5000", "--dim", "20", "--skip-vectors", "--skip-training")
    assert kept == results
