"""Run `hf-classic ARGS...` with one function wrapped so that the process kills itself with SIGKILL on its Nth call.

    python tests/kill_on_call.py MODULE:ATTRIBUTE N WHEN -- ARGS...

`MODULE:ATTRIBUTE` names the function (`hf_classic.training.checkpoints:JsonState.to_json`); `WHEN` is `before` (the
Nth call never starts), `after` (the Nth call has returned) or `hold=PATH`: no kill, but before the Nth call the
process writes `PATH.held` and waits until `PATH` exists (so that a test can act while it is at that point). The crash tests drive real training runs with it, so
that a kill lands at an exact point (inside a training step, half-way through writing a checkpoint) without any
test hook in the package. SIGKILL cannot be caught: no `finally`, no `atexit`, nothing of the package runs after it.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def wrap(target: str, kill_on: int, when: str) -> None:
    module_name, attribute_path = target.split(":")
    *owner_path, name = attribute_path.split(".")
    owner = importlib.import_module(module_name)
    for part in owner_path:
        owner = getattr(owner, part)
    original = getattr(owner, name)
    calls = 0

    @functools.wraps(original)
    def killing(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == kill_on and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        if calls == kill_on and when.startswith("hold="):
            release = Path(when.removeprefix("hold="))
            Path(f"{release}.held").write_text(str(os.getpid()))
            while not release.exists():
                time.sleep(0.02)
        result = original(*args, **kwargs)
        if calls == kill_on and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, killing)


def run_cli(args: list[str], kill: tuple[str, int, str] | None = None) -> subprocess.CompletedProcess:
    """`hf-classic ARGS` in this process; with `kill=(target, n, when)` in a fresh process that kills itself on the
    nth call of target. (Uninterrupted and resumed runs read all they need from their arguments and the disk, so
    running them here only saves the start-up of a process.)"""
    if kill is None:
        from hf_classic import cli

        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            status = cli.main(args)
        return subprocess.CompletedProcess(args, status, stdout.getvalue(), stderr.getvalue())
    command = [sys.executable, str(Path(__file__).resolve()), *map(str, kill), "--", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


if __name__ == "__main__":
    target, kill_on, when, separator, *cli_args = sys.argv[1:]
    assert separator == "--" and (when in ("before", "after") or when.startswith("hold=")), sys.argv
    wrap(target, int(kill_on), when)
    from hf_classic.cli import main

    sys.exit(main(cli_args))
