"""Scale: a GoogleNews-sized word2vec `.bin` converted and read by us and by gensim; word2vec on a 10× corpus.

    python bench/scale.py                         # 3,000,000 × 300 (a 3.6 GB file, made once and reused)
    python bench/scale.py --rows 20000 --dim 50   # a quick run
    python bench/scale.py --skip-training         # the vector part only

Part 1 writes a synthetic word2vec binary file of `--rows` × `--dim` float32 (words like GoogleNews's:
phrases joined by `_`, mixed case, varied lengths, some non-ASCII; under `--workdir`, never committed), then
measures, each in its own process and alternating ours with gensim's, wall time and peak RSS (the
kernel's `ru_maxrss` of that process alone) of:

- `ours: read`: `read_word_vectors(path)` (words and the `(rows, dim)` matrix);
- `ours: convert`: `hf-classic convert word2vec path DIR` (read, then a model folder with safetensors);
- `ours: load folder`: `AutoModel.from_pretrained(DIR)` and `AutoTokenizer.from_pretrained(DIR)`;
- `gensim: load_word2vec_format`: `KeyedVectors.load_word2vec_format(path, binary=True)`.

Peak RSS is compared with the matrix size (rows × dim × 4 bytes; goal ≤ 1.2×). The read child also reports
what the Python list of words costs (`sys.getsizeof` of the list and of each string).

Part 2 trains word2vec (`hf-classic pretrain word2vec`, 2 epochs) on the shipped KJV corpus ×1 and ×N
(`--times`, the text repeated into a temporary file) and compares peak RSS (goal: within 10%).

Writes bench/results/scale.md and .json (atomically); a part left out with `--skip-vectors` or
`--skip-training` keeps its previous results there, with the command that produced them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_WORKDIR = ROOT / ".data" / "scale"
GOAL_RATIO = 1.2
TRAINING_GOAL = 1.10

SYLLABLES = [
    *("an", "ar", "be", "ca", "de", "el", "en", "er", "es", "fi", "go", "ha", "in", "is", "ka", "la", "le", "ma"),
    *("mi", "ne", "no", "on", "or", "pa", "qu", "re", "ri", "sa", "se", "st", "ta", "te", "th", "to", "ur", "ve"),
    *("wa", "x", "y", "z", "##", "s"),
]
NON_ASCII = ["ö", "ü", "é", "è", "ß", "ñ", "ç", "å", "ø", "ł", "ж", "д", "я", "東", "京", "ä", "—", "’"]
NON_ASCII_SHARE = 0.05
SYNTHETIC_VERSION = 2


def synthetic_words(rows: int, seed: int) -> list[bytes]:
    """`rows` distinct UTF-8 words shaped like GoogleNews's: `</s>` first, then words and `_`-joined phrases
    of 1 to 4 parts, some capitalised, some with `##` (GoogleNews's digits), 5% with a non-ASCII letter."""
    rng = np.random.default_rng(seed)
    syllables = np.array(SYLLABLES, dtype=object)
    parts = rng.choice([1, 1, 1, 2, 2, 3, 4], size=rows)
    accented = rng.random(size=rows) < NON_ASCII_SHARE
    seen: set[bytes] = {b"</s>"}
    words = [b"</s>"]
    draws = iter(rng.integers(0, len(syllables), size=rows * 16))
    lengths = iter(rng.integers(1, 6, size=rows * 4))
    capital = iter(rng.random(size=rows * 4) < 0.3)
    letters = iter(rng.integers(0, len(NON_ASCII), size=rows))
    for row in range(1, rows):
        pieces = []
        for _ in range(parts[row]):
            piece = "".join(syllables[next(draws)] for _ in range(next(lengths)))
            pieces.append(piece.capitalize() if next(capital) else piece)
        if accented[row]:
            pieces[-1] += NON_ASCII[next(letters)]
        word = "_".join(pieces).encode()
        if word in seen:
            word += str(row).encode()
        seen.add(word)
        words.append(word)
    return words


def write_synthetic_bin(path: Path, rows: int, dim: int, seed: int = 0) -> None:
    """Write a word2vec.c binary file of `rows` random float32 vectors of `dim` values (atomically)."""
    words = synthetic_words(rows, seed)
    rng = np.random.default_rng(seed + 1)
    tmp = path.with_name(path.name + ".part")
    block = 65536
    with open(tmp, "wb") as handle:
        handle.write(f"{rows} {dim}\n".encode())
        for start in range(0, rows, block):
            vectors = rng.standard_normal((min(block, rows - start), dim), dtype=np.float32) * np.float32(0.1)
            handle.write(
                b"".join(
                    word + b" " + row.tobytes() + b"\n"
                    for word, row in zip(words[start : start + block], vectors.astype("<f4"), strict=True)
                )
            )
    os.replace(tmp, path)


def vectors_file(workdir: Path, rows: int, dim: int) -> Path:
    """The synthetic file for this shape, written if it is not there yet."""
    path = workdir / f"synthetic-v{SYNTHETIC_VERSION}-{rows}x{dim}.bin"
    if not path.exists():
        workdir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        write_synthetic_bin(path, rows, dim)
        print(
            f"wrote {path} ({path.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
    return path


def rss_mb() -> dict[str, float]:
    """This process's current (VmRSS) and peak (VmHWM) resident memory in MB."""
    fields = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024
    return fields


def list_of_str_bytes(words: list[str]) -> int:
    """Bytes held by a list of strings: the list's pointer array plus every string object."""
    return sys.getsizeof(words) + sum(sys.getsizeof(word) for word in words)


def child(task: str, path: str, folder: str) -> dict:
    """Run one task in this process; return what it measured itself: the task's seconds (imports excluded) and
    the resident memory after the imports (`import_rss_mb`: interpreter, numpy, torch, transformers)."""
    if task == "gensim":
        from gensim.models import KeyedVectors
    else:
        from transformers import AutoModel, AutoTokenizer

        from hf_classic.cli import main
        from hf_classic.formats.word2vec_formats import read_word_vectors
    result: dict = {"import_rss_mb": rss_mb()["VmRSS"]}
    started = time.perf_counter()
    if task == "read":
        table = read_word_vectors(path)
        result["seconds"] = time.perf_counter() - started
        result["rss_after_mb"] = rss_mb()["VmRSS"]
        result["words_list_mb"] = list_of_str_bytes(table.words) / 2**20
        result["rows"] = len(table)
    elif task == "convert":
        if main(["convert", "word2vec", path, folder, "--overwrite"]) not in (0, None):
            raise RuntimeError("convert failed")
        result["seconds"] = time.perf_counter() - started
    elif task == "load":
        model = AutoModel.from_pretrained(folder)
        tokenizer = AutoTokenizer.from_pretrained(folder)
        result["seconds"] = time.perf_counter() - started
        result["rows"] = model.get_input_embeddings().weight.shape[0] - 2
        result["vocabulary"] = len(tokenizer)
    elif task == "gensim":
        vectors = KeyedVectors.load_word2vec_format(path, binary=True)
        result["seconds"] = time.perf_counter() - started
        result["rows"] = len(vectors)
    else:
        raise ValueError(task)
    return result


def measured_process(command: list[str]) -> tuple[float, float, str]:
    """`(wall seconds, peak RSS MB, stdout)` of one child process; its peak RSS comes from `wait4`, so it is
    that process's own, not the parent's or a sibling's. Output goes through files, so a chatty child cannot
    block on a full pipe."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{err.read().decode()[-3000:]}")
        return wall, usage.ru_maxrss / 1024, out.read().decode()


def run_child(task: str, path: Path, folder: Path) -> dict:
    """One task in a fresh interpreter: its own timing plus the process's wall time and peak RSS."""
    wall, peak, stdout = measured_process([sys.executable, __file__, "--child", task, str(path), str(folder)])
    result = json.loads(stdout.strip().splitlines()[-1])
    result.update(task=task, process_seconds=wall, peak_rss_mb=peak)
    print(result, file=sys.stderr)
    return result


TASK_NAMES = {
    "read": "ours: read_word_vectors",
    "gensim": "gensim: load_word2vec_format",
    "convert": "ours: convert to a model folder",
    "load": "ours: load the folder (AutoModel + AutoTokenizer)",
}


def vectors_part(path: Path, folder: Path, rows: int, dim: int, repeats: int, tasks: list[str]) -> dict:
    """Every task of `tasks` `repeats` times, ours and gensim's alternating; the best time and the largest peak
    kept."""
    runs = []
    for _ in range(repeats):
        for task in ("read", "gensim", "convert", "gensim", "load"):
            if task in tasks:
                runs.append(run_child(task, path, folder))
    matrix_mb = rows * dim * 4 / 2**20
    summary = []
    for task, name in TASK_NAMES.items():
        mine = [run for run in runs if run["task"] == task]
        if not mine:
            continue
        peak = max(run["peak_rss_mb"] for run in mine)
        summary.append(
            {
                "task": task,
                "name": name,
                "runs": len(mine),
                "seconds": min(run["seconds"] for run in mine),
                "process_seconds": min(run["process_seconds"] for run in mine),
                "peak_rss_mb": peak,
                "ratio_to_matrix": peak / matrix_mb,
            }
        )
    words_mb = next((run["words_list_mb"] for run in runs if run["task"] == "read"), None)
    return {
        "rows": rows,
        "dim": dim,
        "file_gb": path.stat().st_size / 1e9,
        "matrix_mb": matrix_mb,
        "words_list_mb": words_mb,
        "goal_ratio": GOAL_RATIO,
        "summary": summary,
        "runs": runs,
    }


def training_part(times: int, epochs: int, workdir: Path) -> dict:
    """Peak RSS of `hf-classic pretrain word2vec` on the shipped KJV ×1 and ×`times`, with the default token
    cache (the encoded corpus kept in a temporary file between epochs, up to 4 GB) and without
    (`--token-cache-mb 0`)."""
    from hf_classic.data import KJV_CORPUS, data_path

    with gzip.open(data_path(KJV_CORPUS), "rt", encoding="utf-8") as handle:
        text = handle.read()
    rows = []
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        tmp = Path(tmp)
        corpora = {1: tmp / "kjv-x1.txt", times: tmp / f"kjv-x{times}.txt"}
        for scale, corpus in corpora.items():
            with corpus.open("w", encoding="utf-8") as handle:
                for _ in range(scale):
                    handle.write(text)
        for cache_mb in (4096, 0):
            for scale, corpus in corpora.items():
                command = [sys.executable, "-m", "hf_classic", "pretrain", "word2vec", "--corpus", str(corpus)]
                command += ["--output", str(tmp / "model"), "--epochs", str(epochs), "--no-progress", "--overwrite"]
                command += ["--token-cache-mb", str(cache_mb)]
                wall, peak, _ = measured_process(command)
                vocabulary = json.loads((tmp / "model" / "config.json").read_text(encoding="utf-8"))["vocab_size"]
                rows.append(
                    {
                        "scale": scale,
                        "token_cache_mb": cache_mb,
                        "corpus_mb": corpus.stat().st_size / 2**20,
                        "vocabulary": vocabulary,
                        "seconds": wall,
                        "peak_rss_mb": peak,
                    }
                )
                print(rows[-1], file=sys.stderr)
    for row in rows:
        base = next(r for r in rows if r["scale"] == 1 and r["token_cache_mb"] == row["token_cache_mb"])
        row["ratio_to_1x"] = row["peak_rss_mb"] / base["peak_rss_mb"]
    return {"epochs": epochs, "times": times, "goal_ratio": TRAINING_GOAL, "runs": rows}


def report(vectors: dict | None, training: dict | None) -> str:
    lines = ["# Scale: a GoogleNews-sized word2vec file, and word2vec on a 10× corpus", ""]
    if vectors:
        lines += [
            f"## {vectors['rows']:,} × {vectors['dim']} word2vec `.bin` ({vectors['file_gb']:.2f} GB, synthetic)",
            "",
            f"Command: `{vectors['command']}` ({vectors['date']})",
            "",
            f"Matrix: {vectors['matrix_mb']:,.0f} MB (rows × dim × 4 bytes); goal: peak RSS ≤ "
            f"{vectors['goal_ratio']}× the matrix. Each task in its own process, ours and gensim's alternating; "
            "time of the task itself (imports excluded) and of the whole process, best of the runs; peak RSS, "
            "largest of the runs.",
            "",
            "| task | runs | seconds | process seconds | peak RSS MB | × matrix |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for row in vectors["summary"]:
            lines.append(
                f"| {row['name']} | {row['runs']} | {row['seconds']:.1f} | {row['process_seconds']:.1f} | "
                f"{row['peak_rss_mb']:,.0f} | {row['ratio_to_matrix']:.3f} |"
            )
        lines.append("")
        if vectors["words_list_mb"] is not None:
            lines += [
                f"The Python list of the {vectors['rows']:,} words costs {vectors['words_list_mb']:,.0f} MB "
                "(`sys.getsizeof` of the list and its strings).",
                "",
            ]
    if training:
        lines += [
            f"## word2vec training, KJV ×1 and ×{training['times']} ({training['epochs']} epochs)",
            "",
            f"Command: `{training['command']}` ({training['date']})",
            "",
            f"Goal: peak RSS at ×{training['times']} within {training['goal_ratio']:.2f}× of ×1.",
            "",
            "| token cache | corpus | corpus MB | vocabulary | seconds | peak RSS MB | vs ×1 |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for row in training["runs"]:
            lines.append(
                f"| {row['token_cache_mb']} MB | ×{row['scale']} | {row['corpus_mb']:.1f} | {row['vocabulary']:,} | "
                f"{row['seconds']:.1f} | {row['peak_rss_mb']:.0f} | {row['ratio_to_1x']:.3f} |"
            )
        lines += [
            "",
            "The vocabulary grows with the repeated corpus because of `min_count` (5): a word seen 1 to 4 times "
            "in the KJV is seen 10 to 40 times in ten copies. With the default cache, the vocabulary pass encodes "
            "the corpus into an unlinked temporary file (up to 4 GB; 2 bytes a token while the vocabulary has at "
            "most 65,536 ids, else 4) that every epoch reads back: its pages are the kernel's page cache, not the "
            "process's memory. With `--token-cache-mb 0` every epoch reads and encodes the corpus again.",
            "",
        ]
    return "\n".join(lines)


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=1, help="runs of each task (ours and gensim alternating)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="where the synthetic file is kept")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of scale.md and scale.json")
    parser.add_argument("--times", type=int, default=10, help="corpus repetitions of the training part")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the training part")
    parser.add_argument("--skip-vectors", action="store_true")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument(
        "--tasks",
        default=",".join(TASK_NAMES),
        help=f"comma-separated tasks of the vector part (default: all of {','.join(TASK_NAMES)}; load needs convert)",
    )
    parser.add_argument("--child", nargs=3, metavar=("TASK", "PATH", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    tasks = args.tasks.split(",")
    if not set(tasks) <= set(TASK_NAMES) or ("load" in tasks and "convert" not in tasks):
        parser.error(f"--tasks {args.tasks}: expected some of {','.join(TASK_NAMES)}, with convert if load")
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    run = {"command": ("python bench/scale.py " + " ".join(argv if argv is not None else sys.argv[1:])).strip()}
    run["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    args.workdir.mkdir(parents=True, exist_ok=True)
    previous = args.results / "scale.json"
    kept = json.loads(previous.read_text(encoding="utf-8")) if previous.exists() else {}
    vectors, training = kept.get("vectors"), kept.get("training")
    if not args.skip_vectors:
        path = vectors_file(args.workdir, args.rows, args.dim)
        with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
            vectors = run | vectors_part(path, Path(tmp) / "model", args.rows, args.dim, args.repeats, tasks)
    if not args.skip_training:
        training = run | training_part(args.times, args.epochs, args.workdir)
    table = report(vectors, training)
    print(table)
    write_atomically(args.results / "scale.md", table)
    write_atomically(
        args.results / "scale.json", json.dumps({"vectors": vectors, "training": training}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
