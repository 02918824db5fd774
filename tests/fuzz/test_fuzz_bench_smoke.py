"""The long fuzz run (`bench/fuzz_readers.py`) works end to end: a few seconds under its address-space cap
give executions, distinct errors, no findings, and both result files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_short_bench_run_reports_executions_and_no_findings(tmp_path):
    output = tmp_path / "fuzz"
    command = [sys.executable, str(ROOT / "bench" / "fuzz_readers.py"), "--minutes", "0.1", "--output", str(output)]
    command += ["--targets", "word2vec_bin,bilm_vocab", "--findings", str(tmp_path / "findings")]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(command, check=True, env=environment, stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    report = json.loads(output.with_suffix(".json").read_text())
    assert set(report["readers"]) == {"word2vec_bin", "bilm_vocab"}
    for row in report["readers"].values():
        assert row["executions"] > 10 and len(row["errors"]) > 0 and row["findings"] == []
    assert "| word2vec_bin |" in output.with_suffix(".md").read_text()
