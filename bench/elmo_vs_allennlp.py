"""Feature-extraction speed and peak memory of AllenNLP's `Elmo` and hf_classic's `ElmoModel`, same weights and batches.

Both run in their own subprocess (AllenNLP from its own virtual environment, see shared DATA.md), one after the
other, alternating for `--rounds` rounds; each process loads the model, warms up on one batch, then extracts the
mixed representation of every batch `--passes` times and reports tokens/s (each batch at its fastest pass, since
the machine may be shared), tokens per CPU-second and its peak RSS. Batch size 1 runs on the first
`--single-sentences` sentences. The weights are random bilm-tf
files of the size of AllenNLP's "small" ELMo (13.6 M parameters: 2048 CNN filters, 1 highway, LSTM 1024 → 128);
the sentences are the Lee news corpus shipped with gensim (real lengths, split into sentences and words).
AllenNLP's biLM is stateful, so its states are reset before every batch; ours is stateless.

    python bench/elmo_vs_allennlp.py --allennlp-python /work/venv-allennlp/bin/python

writes `bench/results/elmo_vs_allennlp.md` and `.json` (tokens/s, peak RSS, max |difference| of the outputs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALL_OPTIONS = {
    "lstm": {
        "use_skip_connections": True,
        "projection_dim": 128,
        "cell_clip": 3,
        "proj_clip": 3,
        "dim": 1024,
        "n_layers": 2,
    },
    "char_cnn": {
        "activation": "relu",
        "filters": [[1, 32], [2, 32], [3, 64], [4, 128], [5, 256], [6, 512], [7, 1024]],
        "n_highway": 1,
        "embedding": {"dim": 16},
        "n_characters": 262,
        "max_characters_per_token": 50,
    },
}


def write_random_weights(directory: Path, seed: int = 0) -> None:
    """bilm-tf `options.json` and `weights.hdf5` with random weights of the small ELMo's shapes."""
    import h5py
    import numpy as np

    rng = np.random.default_rng(seed)
    char, lstm = SMALL_OPTIONS["char_cnn"], SMALL_OPTIONS["lstm"]
    dim, n_filters = char["embedding"]["dim"], sum(number for _, number in char["filters"])
    proj, cell = lstm["projection_dim"], lstm["dim"]
    arrays = {"char_embed": rng.normal(0, 1, (261, dim))}
    for index, (width, number) in enumerate(char["filters"]):
        arrays[f"CNN/W_cnn_{index}"] = rng.normal(0, 1 / (width * dim) ** 0.5, (1, width, dim, number))
        arrays[f"CNN/b_cnn_{index}"] = rng.normal(0, 0.1, number)
    for index in range(char["n_highway"]):
        for kind in ("carry", "transform"):
            arrays[f"CNN_high_{index}/W_{kind}"] = rng.normal(0, 1 / n_filters**0.5, (n_filters, n_filters))
            arrays[f"CNN_high_{index}/b_{kind}"] = rng.normal(0, 0.1, n_filters)
    arrays["CNN_proj/W_proj"] = rng.normal(0, 1 / n_filters**0.5, (n_filters, proj))
    arrays["CNN_proj/b_proj"] = rng.normal(0, 0.1, proj)
    for direction in range(2):
        for layer in range(lstm["n_layers"]):
            prefix = f"RNN_{direction}/RNN/MultiRNNCell/Cell{layer}/LSTMCell"
            arrays[f"{prefix}/W_0"] = rng.normal(0, 1 / proj**0.5, (2 * proj, 4 * cell))
            arrays[f"{prefix}/B"] = rng.normal(0, 0.5, 4 * cell)
            arrays[f"{prefix}/W_P_0"] = rng.normal(0, 2 / cell**0.5, (cell, proj))
    with h5py.File(directory / "weights.hdf5", "w") as handle:
        for name, value in arrays.items():
            handle.create_dataset(name, data=value.astype(np.float32))
    (directory / "options.json").write_text(json.dumps(SMALL_OPTIONS))


def load_sentences(limit: int) -> list[list[str]]:
    """The first `limit` sentences of gensim's Lee background corpus, split into words and punctuation."""
    from gensim.test.utils import datapath

    text = Path(datapath("lee_background.cor")).read_text(encoding="utf-8", errors="replace")
    sentences = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        words = re.findall(r"\w+(?:[-'.]\w+)*|[^\w\s]", sentence)
        if words:
            sentences.append(words)
    return sentences[:limit]


def batches_of(sentences: list[list[str]], size: int) -> list[list[list[str]]]:
    return [sentences[start : start + size] for start in range(0, len(sentences), size)]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(extract, batches, keep: int, passes: int):
    """Run `extract` on every batch `passes` times (after one warm-up batch).

    Returns the wall-clock and CPU seconds of the whole, each batch counted at its fastest pass (the machine is
    shared: the minimum over passes filters out the moments another process held the cores), and the outputs of
    the first `keep` batches.
    """
    extract(batches[0])
    wall = [[0.0] * len(batches) for _ in range(passes)]
    cpu = [[0.0] * len(batches) for _ in range(passes)]
    outputs = []
    for number in range(passes):
        for index, batch in enumerate(batches):
            start, cpu_start = time.perf_counter(), time.process_time()
            output = extract(batch)
            wall[number][index], cpu[number][index] = time.perf_counter() - start, time.process_time() - cpu_start
            if number == 0 and index < keep:
                outputs.append(output.numpy())
    fastest = [min(times) for times in zip(*wall, strict=True)]
    fastest_cpu = [min(times) for times in zip(*cpu, strict=True)]
    return (sum(fastest), sum(fastest_cpu)), outputs


def run_allennlp(directory: Path, batches, keep: int, passes: int):
    """Worker: AllenNLP `Elmo` over `batches`; returns seconds and the outputs of the first `keep` batches."""
    import types

    placeholder = types.ModuleType("torchvision")

    def refuse(name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        raise RuntimeError(f"torchvision placeholder: {name} is not available in this benchmark")

    placeholder.__getattr__ = refuse
    sys.modules["torchvision"] = placeholder
    import torch
    from allennlp.modules.elmo import Elmo, batch_to_ids

    elmo = Elmo(str(directory / "options.json"), str(directory / "weights.hdf5"), 1, dropout=0.0).eval()

    def extract(batch):
        elmo._elmo_lstm._elmo_lstm.reset_states()
        return elmo(batch_to_ids(batch))["elmo_representations"][0]

    with torch.no_grad():
        return timed(extract, batches, keep, passes)


def run_ours(directory: Path, batches, keep: int, passes: int):
    """Worker: hf_classic `ElmoModel` (tokenizer included in the timing, as `batch_to_ids` is for AllenNLP)."""
    import torch

    from hf_classic.formats.elmo_bilm_tf import convert

    model, tokenizer = convert(directory / "options.json", directory / "weights.hdf5")
    model.eval()

    def extract(batch):
        encoded = tokenizer(batch, is_split_into_words=True, return_tensors="pt")
        return model(**encoded).last_hidden_state

    with torch.inference_mode():
        return timed(extract, batches, keep, passes)


def worker(args) -> None:
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    payload = json.loads(Path(args.worker_input).read_text())
    batches = batches_of(payload["sentences"], payload["batch_size"])
    runner = run_allennlp if args.worker == "allennlp" else run_ours
    seconds, outputs = runner(Path(payload["weights_dir"]), batches, payload["keep"], payload["passes"])
    np.savez(payload["outputs"], *outputs)
    tokens = sum(len(sentence) for batch in batches for sentence in batch)
    (seconds, cpu_seconds) = seconds
    report = {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "tokens": tokens,
        "tokens_per_s": tokens / seconds,
        "tokens_per_cpu_s": tokens / cpu_seconds,
        "peak_rss_mib": peak_rss_mib(),
    }
    print(json.dumps(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--allennlp-python", default="/work/venv-allennlp/bin/python")
    parser.add_argument("--sentences", type=int, default=320, help="sentences per measurement")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 1])
    parser.add_argument("--single-sentences", type=int, default=96, help="sentences measured at batch size 1")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (processes) per batch size")
    parser.add_argument("--passes", type=int, default=3, help="passes over the batches in each process")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "elmo_vs_allennlp"))
    parser.add_argument("--worker", choices=["allennlp", "ours"], help=argparse.SUPPRESS)
    parser.add_argument("--worker-input", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    import numpy as np

    sentences = load_sentences(args.sentences)
    pythons = {"allennlp": args.allennlp_python, "ours": sys.executable}
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_random_weights(tmp)
        for batch_size in args.batch_sizes:
            runs = {name: [] for name in pythons}
            for _ in range(args.rounds):
                for name, python in pythons.items():
                    payload = {
                        "sentences": sentences if batch_size > 1 else sentences[: args.single_sentences],
                        "passes": args.passes,
                        "batch_size": batch_size,
                        "weights_dir": str(tmp),
                        "keep": 4,
                        "outputs": str(tmp / f"{name}.npz"),
                    }
                    (tmp / "input.json").write_text(json.dumps(payload))
                    command = [python, __file__, "--worker", name, "--worker-input", str(tmp / "input.json")]
                    command += ["--threads", str(args.threads)]
                    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "PYTHONWARNINGS": "ignore"}
                    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
                    if done.returncode != 0:
                        raise RuntimeError(f"{name} worker failed:\n{done.stderr[-3000:]}")
                    runs[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
            theirs, ours = np.load(tmp / "allennlp.npz"), np.load(tmp / "ours.npz")
            difference = max(float(np.abs(theirs[key] - ours[key]).max()) for key in theirs.files)
            best = {name: max(run["tokens_per_s"] for run in runs[name]) for name in runs}
            best_cpu = {name: max(run["tokens_per_cpu_s"] for run in runs[name]) for name in runs}
            results.append(
                {
                    "batch_size": batch_size,
                    "tokens": runs["ours"][0]["tokens"],
                    "runs": runs,
                    "best_tokens_per_s": best,
                    "median_tokens_per_s": {
                        name: float(np.median([run["tokens_per_s"] for run in runs[name]])) for name in runs
                    },
                    "peak_rss_mib": {name: max(run["peak_rss_mib"] for run in runs[name]) for name in runs},
                    "best_tokens_per_cpu_s": best_cpu,
                    "speedup_best": best["ours"] / best["allennlp"],
                    "speedup_best_cpu": best_cpu["ours"] / best_cpu["allennlp"],
                    "max_abs_difference": difference,
                }
            )
    write_report(Path(args.output), results, args)


def write_report(output: Path, results: list[dict], args) -> None:
    import torch

    output.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "threads": args.threads,
        "cpu_count": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }
    output.with_suffix(".json").write_text(json.dumps({"machine": machine, "results": results}, indent=1))
    lines = [
        "| batch | tokens | AllenNLP tokens/s | ours tokens/s | speed-up | AllenNLP tokens/CPU-s | ours tokens/CPU-s"
        " | speed-up (CPU time) | AllenNLP peak RSS MiB | ours peak RSS MiB | max abs diff |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        best, rss, cpu = result["best_tokens_per_s"], result["peak_rss_mib"], result["best_tokens_per_cpu_s"]
        lines.append(
            f"| {result['batch_size']} | {result['tokens']} | {best['allennlp']:.0f} | {best['ours']:.0f}"
            f" | {result['speedup_best']:.2f}x | {cpu['allennlp']:.0f} | {cpu['ours']:.0f}"
            f" | {result['speedup_best_cpu']:.2f}x | {rss['allennlp']:.0f} | {rss['ours']:.0f}"
            f" | {result['max_abs_difference']:.1e} |"
        )
    note = (
        f"\nEach process: one warm-up batch, then {args.passes} passes over the batches, each batch counted at its "
        f"fastest pass; best of {args.rounds} alternating processes per implementation. Wall-clock and process CPU "
        f"time, {args.threads} threads, CPU ({machine['processor']}, {machine['cpu_count']} cores, shared with other "
        f"jobs), ELMo-small sizes, random weights, sentences of gensim's Lee corpus; torch {machine['torch']}. "
        f"Command: `python bench/elmo_vs_allennlp.py --sentences {args.sentences} --single-sentences "
        f"{args.single_sentences} --rounds {args.rounds} --passes {args.passes} --threads {args.threads}`.\n"
    )
    output.with_suffix(".md").write_text("\n".join(lines) + "\n" + note)
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
