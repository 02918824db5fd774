"""Translation speed: OpenNMT-py's `onmt_translate` against our `generate()` on the same converted checkpoint.

Both run as subprocesses, alternating which goes first in each round, with the same beam size, batch size,
length limit (`-max_length 50 -max_length_ratio 0`, `max_new_tokens=50`), scoring (`-length_penalty none`,
`length_penalty=0`) and torch thread count. The timed part is the translation of the whole input file
(OpenNMT-py's own "Total translation time"; for us `translate()` including tokenisation), so start-up and
model loading are left out of sentences/s and reported separately as process wall time. The outputs of the
two are compared line by line.

OpenNMT-py lives in its own virtual environment (recipe in the project's DATA.md):

    python bench/translate_vs_opennmt.py --onmt-venv /work/venv-onmt --rounds 3

writes `bench/results/translate_vs_opennmt.{json,md}`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


def run_ours(model_dir: Path, source: Path, output: Path, args) -> dict:
    """Our side in a fresh process: load the converted folder, time `translate()`, write the translations."""
    script = f"""
import json, sys, time, torch
torch.set_num_threads({args.threads})
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
import hf_classic
from hf_classic.training.rnn_seq2seq_translation import translate
model = AutoModelForSeq2SeqLM.from_pretrained({str(model_dir)!r}).eval()
tokenizer = AutoTokenizer.from_pretrained({str(model_dir)!r})
lines = open({str(source)!r}, encoding="utf-8").read().splitlines()
start = time.perf_counter()
out = translate(model, tokenizer, lines, batch_size={args.batch_size}, num_beams={args.beam}, max_new_tokens=50,
                length_penalty=0.0, do_sample=False)
seconds = time.perf_counter() - start
open({str(output)!r}, "w", encoding="utf-8").write("".join(line + "\\n" for line in out))
print(json.dumps({{"seconds": seconds}}))
"""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=thread_env(args.threads)
    )
    return {"seconds": json.loads(done.stdout.strip().splitlines()[-1])["seconds"], "wall": time.perf_counter() - start}


def run_onmt(checkpoint: Path, source: Path, output: Path, args) -> dict:
    """`onmt_translate` with the fixture README's options; its own timer gives the translation time."""
    command = [
        str(Path(args.onmt_venv) / "bin" / "onmt_translate"),
        "-model", str(checkpoint), "-src", str(source), "-output", str(output),
        "-beam_size", str(args.beam), "-batch_size", str(args.batch_size),
        "-max_length", "50", "-max_length_ratio", "0", "-length_penalty", "none", "-n_best", "1",
        "-gpu", "-1", "-report_time",
    ]  # fmt: skip
    env = {**thread_env(args.threads), "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env, cwd=output.parent)
    wall = time.perf_counter() - start
    log = done.stdout + done.stderr
    seconds = re.search(r"Total translation time \(s\): ([0-9.]+)", log)
    if seconds is None:
        raise RuntimeError(f"onmt_translate printed no translation time:\n{log[-2000:]}")
    return {"seconds": float(seconds.group(1)), "wall": wall}


def thread_env(threads: int) -> dict:
    return {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=FIXTURES / "onmt_rnn" / "brnn_lstm_general.pt", type=Path)
    parser.add_argument("--source", default=FIXTURES / "rnn_seq2seq" / "django.en", type=Path)
    parser.add_argument("--repeat", type=int, default=5, help="copies of the source file to translate")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--onmt-venv", default="/work/venv-onmt")
    parser.add_argument("--out", default=ROOT / "bench" / "results" / "translate_vs_opennmt", type=Path)
    args = parser.parse_args()

    from hf_classic.formats.rnn_seq2seq_onmt import convert_onmt_to_directory

    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        lines = args.source.read_text(encoding="utf-8").splitlines() * args.repeat
        source = work / "source.txt"
        source.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        model_dir = convert_onmt_to_directory(args.checkpoint, work / "converted")
        runs = {"opennmt-py": [], "hf_classic": []}
        for round_number in range(args.rounds):
            order = ["opennmt-py", "hf_classic"] if round_number % 2 == 0 else ["hf_classic", "opennmt-py"]
            for engine in order:
                output = work / f"{engine}.{round_number}.txt"
                if engine == "opennmt-py":
                    result = run_onmt(args.checkpoint, source, output, args)
                else:
                    result = run_ours(model_dir, source, output, args)
                runs[engine].append({**result, "sentences_per_second": len(lines) / result["seconds"]})
                print(f"round {round_number} {engine}: {runs[engine][-1]['sentences_per_second']:.1f} sentences/s")
        ours = (work / "hf_classic.0.txt").read_text(encoding="utf-8").splitlines()
        theirs = (work / "opennmt-py.0.txt").read_text(encoding="utf-8").splitlines()
        agreement = sum(a == b for a, b in zip(ours, theirs, strict=True))

    summary = {
        engine: {
            "median_sentences_per_second": statistics.median(r["sentences_per_second"] for r in results),
            "median_process_wall_seconds": statistics.median(r["wall"] for r in results),
            "rounds": results,
        }
        for engine, results in runs.items()
    }
    ratio = summary["hf_classic"]["median_sentences_per_second"] / summary["opennmt-py"]["median_sentences_per_second"]
    report = {
        "checkpoint": str(args.checkpoint),
        "sentences": len(lines),
        "beam": args.beam,
        "batch_size": args.batch_size,
        "threads": args.threads,
        "identical_translations": agreement,
        "speed_ratio_ours_over_opennmt": ratio,
        "results": summary,
    }
    table = [
        f"Translation of {len(lines)} sentences, beam {args.beam}, batch {args.batch_size}, {args.threads} thread(s), "
        f"{args.rounds} alternating rounds; checkpoint `{args.checkpoint.name}`.",
        "",
        "| engine | sentences/s (median) | process wall s (median) |",
        "|---|---|---|",
    ]
    for engine, values in summary.items():
        table.append(
            f"| {engine} | {values['median_sentences_per_second']:.1f} | {values['median_process_wall_seconds']:.1f} |"
        )
    table += ["", f"ours / OpenNMT-py: {ratio:.2f}×; identical translations: {agreement}/{len(lines)}"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    args.out.with_suffix(".md").write_text("\n".join(table) + "\n")
    print("\n".join(table))


if __name__ == "__main__":
    main()
