"""Long fuzz run over every reader: executions, distinct errors and findings, per reader.

    python bench/fuzz_readers.py --minutes 5 [--output bench/results/fuzz_readers] [--engine random|atheris]

The readers, their valid seed files, the mutations and the verdict on each run are those of the test suite
(`tests/fuzz/fuzz_targets.py`): each input must give a correct result or our own error naming the file. This
script runs them much longer than the suite does:

- `--engine random` (default): round robin over the readers, a time slice each, until `--minutes` are spent.
  Each input is a seed (or an input that gave a new distinct outcome earlier, kept in a small per-reader
  corpus) with one to three random mutations applied.
- `--engine atheris`: coverage-guided (libFuzzer through atheris, `pip install atheris`; wheels exist for
  CPython 3.11 on x86-64 Linux). Each reader runs in its own child process for its share of the time, with
  hf_classic's code instrumented and the seeds as the starting corpus; atheris mutates the raw bytes.

A finding is an exception other than our error type, our error without the file's name, a result that
contradicts the file, a run over `--timeout` seconds, or a `MemoryError`: the process runs under an address
space limit (`--memory-gb` above what it had mapped at the start), so a reader that tries to allocate what
a header declares fails there instead of taking the machine. Each distinct finding's first input is saved
under `--findings` with a JSON note; `--reproduce TARGET FILE` runs one saved input again with its traceback.
Model folders are loaded through transformers; an unexpected exception raised inside transformers itself is
reported as `upstream`, apart from the findings.

Writes `OUTPUT.json` and `OUTPUT.md` atomically.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))
sys.path.insert(0, str(ROOT))

CORPUS_LIMIT = 64
SLICE_SECONDS = 2.0


def limit_address_space(extra_gb: float) -> None:
    """Cap the address space at what is mapped now plus `extra_gb` GiB, so that a runaway allocation raises
    `MemoryError` in the reader instead of exhausting the machine."""
    with open("/proc/self/status") as status:
        mapped = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    limit = mapped + int(extra_gb * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))


def save_finding(findings: Path, target, data: bytes, outcome) -> Path:
    """Save `data` and a note on `outcome` under `findings/<target>/`; return the input's path."""
    folder = findings / target.name
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    path = folder / f"{name}-{target.filename}"
    path.write_bytes(data)
    note = {
        "target": target.name,
        "kind": outcome.kind,
        "error_type": outcome.error_type,
        "template": outcome.template,
        "message": (outcome.message or "")[:2000],
        "seconds": round(outcome.seconds, 3),
        "reproduce": f"python bench/fuzz_readers.py --reproduce {target.name} {path}",
    }
    path.with_name(path.name + ".json").write_text(json.dumps(note, indent=2) + "\n")
    return path


class Recorder:
    """Counts executions and distinct outcomes per target and saves each distinct finding's first input."""

    def __init__(self, fuzz_targets, findings: Path):
        self.ft = fuzz_targets
        self.tally = fuzz_targets.Tally.empty()
        self.findings = findings
        self.saved: dict[str, list[dict]] = {}
        self.slow: dict[str, float] = {}

    def record(self, target, data: bytes, outcome) -> bool:
        """Count `outcome`; return whether it was a new distinct one for this target."""
        key = f"{outcome.error_type}: {outcome.template}"
        groups = {"error": self.tally.errors, "finding": self.tally.findings, "upstream": self.tally.upstream}
        new = outcome.kind in groups and key not in groups[outcome.kind].get(target.name, set())
        self.tally.add(target.name, outcome)
        self.slow[target.name] = max(self.slow.get(target.name, 0.0), outcome.seconds)
        if new and outcome.kind in ("finding", "upstream"):
            path = save_finding(self.findings, target, data, outcome)
            self.saved.setdefault(target.name, []).append({"kind": outcome.kind, "outcome": key, "input": str(path)})
        return new


def run_random(targets, seeds, folders, recorder: Recorder, seconds: float, seed: int, timeout: float) -> None:
    """Round robin over `targets`, `SLICE_SECONDS` each, mutating seeds and the per-target corpus."""
    ft = recorder.ft
    rng = random.Random(seed)
    corpus = {target.name: list(seeds[target.name]) for target in targets}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for target in targets:
            slice_end = min(time.monotonic() + SLICE_SECONDS, end)
            while time.monotonic() < slice_end:
                data = rng.choice(corpus[target.name])
                for _ in range(rng.choice((1, 1, 2, 3))):
                    data = ft.apply_mutator(rng.choice(target.mutators), data, rng)
                outcome = ft.execute(target, data, folders[target.name], timeout)
                if recorder.record(target, data, outcome) and len(corpus[target.name]) < CORPUS_LIMIT:
                    corpus[target.name].append(data)
            if time.monotonic() >= end:
                break


def run_atheris_child(args) -> None:
    """One target under atheris (child process): tally written to `args.tally_out` as it goes."""
    import atheris

    with atheris.instrument_imports(include=["hf_classic"]):
        import fuzz_targets as ft

        target = {t.name: t for t in ft.all_targets()}[args.single_target]
    work = Path(args.workdir)
    folder, corpus = work / "folder", work / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    corpus.mkdir(exist_ok=True)
    for index, data in enumerate(ft.prepare(target, folder)):
        (corpus / f"seed{index}").write_bytes(data)
    recorder = Recorder(ft, Path(args.findings))
    last_write = [0.0]

    def write_tally():
        state = {
            "executions": recorder.tally.executions,
            "errors": {k: sorted(v) for k, v in recorder.tally.errors.items()},
            "findings": {k: sorted(v) for k, v in recorder.tally.findings.items()},
            "upstream": {k: sorted(v) for k, v in recorder.tally.upstream.items()},
            "saved": recorder.saved,
            "slowest_seconds": recorder.slow,
        }
        Path(args.tally_out).write_text(json.dumps(state))

    def one_input(data: bytes) -> None:
        outcome = ft.execute(target, data, folder, args.timeout)
        recorder.record(target, data, outcome)
        if time.monotonic() - last_write[0] > 1.0:
            write_tally()
            last_write[0] = time.monotonic()

    atheris.Setup(
        [sys.argv[0], str(corpus), f"-max_total_time={int(args.seconds)}", "-rss_limit_mb=0", "-timeout=0"],
        one_input,
    )
    try:
        atheris.Fuzz()
    finally:
        write_tally()


def run_atheris(targets, recorder: Recorder, seconds: float, args) -> None:
    """Each target in a child process under atheris for an equal share of `seconds`; merge their tallies."""
    share = max(seconds / len(targets), 5.0)
    for target in targets:
        with tempfile.TemporaryDirectory(prefix=f"fuzz-{target.name}-") as work:
            tally_out = Path(work) / "tally.json"
            command = [
                sys.executable,
                __file__,
                "--engine",
                "atheris",
                "--single-target",
                target.name,
                "--seconds",
                str(share),
                "--workdir",
                work,
                "--tally-out",
                str(tally_out),
                "--findings",
                str(args.findings),
                "--timeout",
                str(args.timeout),
                "--memory-gb",
                str(args.memory_gb),
            ]
            subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if not tally_out.exists():
                recorder.tally.findings.setdefault(target.name, set()).add("child process died without a tally")
                continue
            state = json.loads(tally_out.read_text())
            tally = recorder.tally
            for name, count in state["executions"].items():
                tally.executions[name] = tally.executions.get(name, 0) + count
            for group in ("errors", "findings", "upstream"):
                for name, keys in state[group].items():
                    getattr(tally, group).setdefault(name, set()).update(keys)
            for name, saved in state["saved"].items():
                recorder.saved.setdefault(name, []).extend(saved)
            recorder.slow.update(state["slowest_seconds"])


def reproduce(target_name: str, path: Path) -> None:
    import fuzz_targets as ft

    target = {t.name: t for t in ft.all_targets()}[target_name]
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        target.prepare(folder)
        file = folder / target.filename
        file.write_bytes(path.read_bytes())
        try:
            result = target.read(file)
            target.check(result, path.read_bytes(), file)
            print(f"ok: {type(result).__name__}")
        except Exception:  # noqa: BLE001 - shown to the user
            traceback.print_exc()


def write_results(output: Path, report: dict) -> None:
    from hf_classic.utils.atomic import atomic_output_file

    with atomic_output_file(output.with_suffix(".json"), overwrite=True) as tmp:
        tmp.write_text(json.dumps(report, indent=2) + "\n", encoding="ascii")
    lines = [
        "# Fuzzing the readers",
        "",
        f"`{report['command']}`: engine {report['engine']}, {report['minutes']} minutes, "
        f"{report['total_executions']} executions in all, on {report['machine']} (nice 19, shared machine).",
        "",
        "Each input is a valid seed file with one to three random mutations (truncation, bit flips, byte "
        "changes, deleted/duplicated/blank lines, header counts, NaN/Inf/non-numbers, bad UTF-8, JSON values of "
        "other types or huge sizes, HDF5 datasets with other shapes/types/huge declared shapes, checkpoint "
        "options/vocabularies/tensors). `errors`: distinct messages of our own error type (file and position "
        "named); `findings`: anything else (other exception types, hangs, memory, inconsistent results); "
        "`upstream`: unexpected exceptions raised inside transformers/tokenizers when loading a model folder.",
        "",
        "| reader | executions | distinct errors | findings | upstream | slowest run (s) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in report["readers"].items():
        lines.append(
            f"| {name} | {row['executions']} | {len(row['errors'])} | {len(row['findings'])} | "
            f"{len(row['upstream'])} | {row['slowest_seconds']:.2f} |"
        )
    lines += ["", "## Findings", ""]
    findings = [(name, key) for name, row in report["readers"].items() for key in row["findings"]]
    lines += [f"- {name}: `{key}`" for name, key in findings] or ["None."]
    lines += ["", "## Upstream (transformers / tokenizers)", ""]
    upstream = [(name, key) for name, row in report["readers"].items() for key in row["upstream"]]
    lines += [f"- {name}: `{key}`" for name, key in upstream] or ["None."]
    lines += ["", "## Distinct errors (our error type), per reader", ""]
    for name, row in report["readers"].items():
        lines.append(f"<details><summary>{name}: {len(row['errors'])}</summary>\n")
        lines += [f"- `{key}`" for key in row["errors"]]
        lines.append("\n</details>\n")
    with atomic_output_file(output.with_suffix(".md"), overwrite=True) as tmp:
        tmp.write_bytes(("\n".join(lines) + "\n").encode("utf-8", "backslashreplace"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "fuzz_readers")
    parser.add_argument("--engine", choices=("random", "atheris"), default="random")
    parser.add_argument("--targets", default=None, help="comma-separated reader names (default: all)")
    parser.add_argument("--findings", type=Path, default=Path(tempfile.gettempdir()) / "hf_classic_fuzz_findings")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds one read may take")
    parser.add_argument("--memory-gb", type=float, default=4.0, help="address space allowed above the start")
    parser.add_argument("--reproduce", nargs=2, metavar=("TARGET", "FILE"))
    parser.add_argument("--single-target", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--tally-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.reproduce:
        reproduce(args.reproduce[0], Path(args.reproduce[1]))
        return
    import hf_classic  # noqa: F401 - registers the families before the memory limit is set

    limit_address_space(args.memory_gb)
    if args.single_target:
        run_atheris_child(args)
        return
    import fuzz_targets as ft

    targets = ft.all_targets()
    if args.targets:
        wanted = args.targets.split(",")
        targets = [target for target in targets if target.name in wanted]
    recorder = Recorder(ft, args.findings)
    start = time.monotonic()
    if args.engine == "random":
        work = Path(tempfile.mkdtemp(prefix="fuzz-readers-"))
        folders = {target.name: work / target.name for target in targets}
        seeds = {target.name: ft.prepare(target, folders[target.name]) for target in targets}
        run_random(targets, seeds, folders, recorder, args.minutes * 60, args.seed, args.timeout)
    else:
        run_atheris(targets, recorder, args.minutes * 60, args)
    tally = recorder.tally
    readers = {
        target.name: {
            "executions": tally.executions.get(target.name, 0),
            "errors": sorted(tally.errors.get(target.name, ())),
            "findings": sorted(tally.findings.get(target.name, ())),
            "upstream": sorted(tally.upstream.get(target.name, ())),
            "saved_inputs": recorder.saved.get(target.name, []),
            "slowest_seconds": round(recorder.slow.get(target.name, 0.0), 3),
        }
        for target in targets
    }
    argv = " ".join(arg if " " not in arg else repr(arg) for arg in sys.argv[1:])
    report = {
        "command": f"nice -n 19 python bench/fuzz_readers.py {argv}".strip(),
        "engine": args.engine,
        "minutes": args.minutes,
        "wall_seconds": round(time.monotonic() - start, 1),
        "seed": args.seed,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}",
        "total_executions": sum(row["executions"] for row in readers.values()),
        "total_distinct_errors": sum(len(row["errors"]) for row in readers.values()),
        "total_findings": sum(len(row["findings"]) for row in readers.values()),
        "total_upstream": sum(len(row["upstream"]) for row in readers.values()),
        "findings_folder": str(args.findings),
        "readers": readers,
    }
    write_results(args.output, report)
    print(tally.summary())


if __name__ == "__main__":
    main()
