"""Peak memory of word2vec training as the corpus grows: the same text 1× and 10×, in one run.

    python bench/word2vec_memory.py [--corpus FILE] [--times 10]

Each run is `hf-classic pretrain word2vec` in its own process (peak RSS from the kernel's VmHWM), once with
the default token cache (encoded ids kept between epochs, up to 512 MB) and once with `--token-cache-mb 0`
(the corpus streamed again every epoch: memory independent of corpus length). Writes
bench/results/word2vec_memory.md and .json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def peak_rss_of(command: list[str]) -> float:
    """Peak RSS (MB) of one child process, from the kernel's accounting of that process alone."""

    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {process.stderr.read().decode()[-2000:]}")
    return usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", help="text file (default: the shipped King James Bible)")
    parser.add_argument("--times", type=int, default=10)
    args = parser.parse_args()
    from hf_classic.data import KJV_CORPUS, data_path

    source = Path(args.corpus) if args.corpus else data_path(KJV_CORPUS)
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", encoding="utf-8") as handle:
        text = handle.read()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpora = {1: tmp / "x1.txt", args.times: tmp / f"x{args.times}.txt"}
        corpora[1].write_text(text, encoding="utf-8")
        with corpora[args.times].open("w", encoding="utf-8") as handle:
            for _ in range(args.times):
                handle.write(text)
        for cache_mb in (512, 0):
            for scale, corpus in corpora.items():
                command = [
                    sys.executable,
                    "-m",
                    "hf_classic",
                    "pretrain",
                    "word2vec",
                    "--corpus",
                    str(corpus),
                    "--output",
                    str(tmp / "model"),
                    "--epochs",
                    "2",
                    "--no-progress",
                    "--overwrite",
                    "--token-cache-mb",
                    str(cache_mb),
                ]
                rows.append({"scale": scale, "token_cache_mb": cache_mb, "peak_rss_mb": peak_rss_of(command)})
                print(rows[-1], file=sys.stderr)
    lines = [
        f"# word2vec peak RSS: {source.name} ×1 and ×{args.times} (2 epochs)",
        "",
        "| token cache | corpus | peak RSS MB | vs ×1 |",
        "| --- | --- | --- | --- |",
    ]
    for row in rows:
        base = next(r["peak_rss_mb"] for r in rows if r["token_cache_mb"] == row["token_cache_mb"] and r["scale"] == 1)
        row["ratio_to_1x"] = row["peak_rss_mb"] / base
        lines.append(
            f"| {row['token_cache_mb']} MB | ×{row['scale']} | {row['peak_rss_mb']:.0f} | {row['ratio_to_1x']:.3f} |"
        )
    table = "\n".join(lines) + "\n"
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "word2vec_memory.md").write_text(table, encoding="utf-8")
    (RESULTS / "word2vec_memory.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
