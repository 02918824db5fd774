"""The four generations of pre-training on one corpus, on the same downstream tasks, in one table.

`run_lineage` pre-trains, on the user's corpus,

- word2vec (skip-gram, negative sampling; its usual 5 epochs, which cost seconds),
- ELMo (a small character-CNN biLM),
- GPT (transformers' `GPT2LMHeadModel`, causal LM on packed blocks) and
- BERT (transformers' `BertForPreTraining`, masked LM and next-sentence prediction),

the last three under one wall-time budget each (`minutes_per_model`, at most one pass over the corpus), and
reports what each got: tokens seen, parameters and seconds. Then every model serves as the bottom of each task
family of `hf_classic.tasks` (classification, tagging, sentence pairs), frozen (feature-based) and fine-tuned,
beside a randomly initialised bottom, all with the same split, examples and epochs (`finetune`). Generation is
left out: of the four, only word2vec feeds the RNN encoder-decoder (`train seq2seq --init-from-word2vec`).

Everything goes to one output folder, written atomically: `models/<generation>/` (the pre-trained bottoms),
`lineage.json` (every figure), `lineage.md` (the tables) and `lineage.png` (a bar chart per task).
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..data import KJV_CORPUS, data_path, kjv_chapter_lengths
from ..errors import HfClassicError
from ..utils.atomic import atomic_output_dir, check_output_free
from ..utils.files import existing_file
from .data import TASKS, load_task_data
from .finetune import FinetuneOptions, finetune

logger = logging.getLogger(__name__)

GENERATIONS = ("word2vec", "elmo", "gpt", "bert")
SCORE = {"classification": "accuracy", "tagging": "seqeval_f1", "pairs": "accuracy"}


@dataclass
class LineageOptions:
    """What `run_lineage` does.

    Args:
        corpus: the pre-training text files (one sentence a line; blank lines separate documents).
        tasks: the task families to run (of `hf_classic.tasks.data.TASKS`).
        task_data: `{task: path}` for tasks whose data is not in the default place (see `load_task_data`).
        minutes_per_model: wall-time budget of each of ELMo, GPT and BERT (at most one epoch of the corpus).
        corpus_lines: pre-train on the first N lines only (None: all).
        train_examples, eval_examples: examples of each task's train split, and of its validation and test splits.
        epochs: fine-tuning epochs; max_steps: or this many steps (overrides `epochs`).
        learning_rate: fine-tuning learning rate (AdamW) for every bottom.
        seed: seed of every pre-training and fine-tuning run.
    """

    corpus: list[str] = field(default_factory=lambda: [str(data_path(KJV_CORPUS))])
    tasks: tuple[str, ...] = TASKS
    task_data: dict[str, str] = field(default_factory=dict)
    minutes_per_model: float = 8.0
    corpus_lines: int | None = None
    train_examples: int = 3000
    eval_examples: int = 500
    epochs: float = 3.0
    max_steps: int | None = None
    learning_rate: float = 2e-3
    seed: int = 1

    @classmethod
    def quick(cls, **overrides) -> LineageOptions:
        """A run of a few minutes that exercises every step (the tests' run): 2,000 corpus lines, 10 s per model,
        64 training examples and 2 steps per task."""
        values = dict(minutes_per_model=10 / 60, corpus_lines=2000, train_examples=64, eval_examples=32, max_steps=2)
        return cls(**{**values, **overrides})

    def __post_init__(self):
        unknown = [task for task in self.tasks if task not in TASKS]
        if unknown or not self.tasks:
            raise HfClassicError(f"tasks {list(self.tasks)}: expected some of {', '.join(TASKS)}")
        if self.minutes_per_model <= 0:
            raise HfClassicError(f"minutes_per_model={self.minutes_per_model}: expected a positive number")
        for path in self.corpus:
            existing_file(path, "corpus file")


def corpus_slice(options: LineageOptions, work: Path) -> list[str]:
    """The corpus files, or one file with their first `corpus_lines` lines."""
    if options.corpus_lines is None:
        return list(options.corpus)
    lines = []
    for path in options.corpus:
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                if len(lines) == options.corpus_lines:
                    break
                lines.append(line)
    target = work / "corpus.txt"
    target.write_text("".join(lines), encoding="utf-8")
    return [str(target)]


def documents_of(options: LineageOptions):
    """GPT/BERT's document layout: the shipped KJV's chapters, else blank-line separated paragraphs."""
    if list(options.corpus) == [str(data_path(KJV_CORPUS))]:
        lengths, kept, total = kjv_chapter_lengths(), [], 0
        for length in lengths:
            if options.corpus_lines is not None and total + length > options.corpus_lines:
                break
            kept.append(length)
            total += length
        return kept
    return None


def pretrain_word2vec_generation(corpus: list[str], output: Path, seed: int) -> dict:
    from ..training.word2vec_trainer import Word2VecTrainingArguments, pretrain_word2vec
    from ..word2vec import Word2VecConfig

    config = Word2VecConfig(vector_size=128, epochs=5, min_count=2, window=5, negative=5)
    model, tokenizer, stats = pretrain_word2vec(
        config, Word2VecTrainingArguments(corpus=corpus, seed=seed, progress=False)
    )
    from ..cards.word2vec import trained_card
    from ..hub import describe_machine, write_model_card

    model.word2vec.save_pretrained(output)
    tokenizer.save_pretrained(output)
    write_model_card(output, trained_card(model, tokenizer, stats, corpus, describe_machine()))
    return {
        "tokens": stats.corpus_words,
        "parameters": model.word2vec.num_parameters(),
        "seconds": stats.seconds,
        "recipe": "skip-gram, negative sampling, 128 dimensions, window 5, 5 epochs",
    }


def pretrain_elmo_generation(corpus: list[str], output: Path, seconds: float, seed: int) -> dict:
    from ..cards.elmo import trained_card
    from ..elmo import ElmoConfig
    from ..training.elmo_trainer import ElmoTrainingArguments, pretrain_elmo
    from ..training.lm_trainer import save_pretrained_run

    config = ElmoConfig(
        char_embedding_dim=8,
        filters=[[1, 32], [2, 32], [3, 64], [4, 128]],
        lstm_dim=256,
        projection_dim=64,
        n_negative_samples_batch=1024,
    )
    arguments = ElmoTrainingArguments(
        corpus=corpus, max_vocab_size=10000, batch_size=32, max_words=40, epochs=1, max_seconds=seconds,
        heldout_lines=200, seed=seed, progress=False, checkpoint_dir=None,
    )  # fmt: skip
    model, tokenizer, summary = pretrain_elmo(config, arguments)
    save_pretrained_run(model, tokenizer, summary, output, overwrite=True, card=trained_card(model.config, summary))
    heldout = summary.get("heldout") or {}
    return {
        "tokens": summary["tokens"],
        "parameters": sum(p.numel() for n, p in model.named_parameters() if not n.startswith("lm_head")),
        "seconds": summary["seconds"],
        "recipe": "2-layer biLSTM 256/64, char CNN 256 filters, sampled softmax",
        "heldout_perplexity": heldout.get("forward_perplexity"),
    }


def pretrain_transformer_generation(
    architecture: str, corpus: list[str], output: Path, seconds: float, documents, seed: int
) -> dict:
    from ..training.lm_trainer import save_pretrained_run
    from ..training.transformer_pretraining import TransformerTrainingArguments, pretrain_transformer

    arguments = TransformerTrainingArguments(
        corpus=corpus, architecture=architecture, size="tiny", epochs=1, max_seconds=seconds,
        lines_per_document=documents, heldout_lines=200, seed=seed, progress=False, checkpoint_dir=None,
    )  # fmt: skip
    from ..cards.transformer_lm import trained_card
    from ..hub import describe_machine

    model, tokenizer, summary = pretrain_transformer(arguments)
    summary["machine"] = describe_machine()
    save_pretrained_run(model, tokenizer, summary, output, overwrite=True, card=trained_card(model, summary))
    return {
        "tokens": summary["tokens"],
        "parameters": summary["parameters"],
        "seconds": summary["seconds"],
        "recipe": f"transformers' {summary['model_class']}, size tiny (2 layers x 128)",
        "heldout": summary.get("heldout"),
    }


def pretrain_generations(options: LineageOptions, models: Path) -> dict[str, dict]:
    """Pre-train the four generations into `models/<generation>`; returns what each got."""
    corpus = corpus_slice(options, models)
    seconds = options.minutes_per_model * 60
    documents = documents_of(options)
    report = {}
    for generation in GENERATIONS:
        logger.info("pre-training %s", generation)
        output = models / generation
        if generation == "word2vec":
            report[generation] = pretrain_word2vec_generation(corpus, output, options.seed)
        elif generation == "elmo":
            report[generation] = pretrain_elmo_generation(corpus, output, seconds, options.seed)
        else:
            report[generation] = pretrain_transformer_generation(
                generation, corpus, output, seconds, documents, options.seed
            )
    return report


def load_tasks(options: LineageOptions) -> dict:
    """`{task: DatasetDict}` of every task, loaded before any pre-training so that missing data fails at once."""
    return {task: load_task_data(task, options.task_data.get(task), seed=options.seed) for task in options.tasks}


def run_tasks(options: LineageOptions, datasets: dict, models: Path) -> dict[str, dict]:
    """Every task on a random bottom and on each generation, frozen and fine-tuned: `{task: {setting: metrics}}`."""
    results = {}
    for task, dataset in datasets.items():
        settings = {"random init": (models / "word2vec", True, False)}
        for generation in GENERATIONS:
            settings[f"{generation} frozen"] = (models / generation, False, True)
            settings[f"{generation} fine-tuned"] = (models / generation, False, False)
        results[task] = {}
        for name, (model_dir, random_init, frozen) in settings.items():
            logger.info("%s: %s", task, name)
            finetune_options = FinetuneOptions(
                task=task,
                model_dir=str(model_dir),
                random_init=random_init,
                freeze_pretrained=frozen,
                epochs=options.epochs,
                max_steps=options.max_steps,
                learning_rate=options.learning_rate,
                max_train_examples=options.train_examples,
                max_eval_examples=options.eval_examples,
                seed=options.seed,
            )
            results[task][name] = finetune(finetune_options, None, dataset=dataset)
    return results


def markdown(report: dict) -> str:
    """The pre-training budget table and one score table across tasks."""
    lines = ["# Lineage: four generations of pre-training on one corpus", ""]
    lines += [f"Corpus: {', '.join(Path(path).name for path in report['options']['corpus'])}"]
    lines += [f"({report['options']['corpus_lines'] or 'all'} lines); machine: {report['machine']}.", ""]
    lines += ["| generation | recipe | tokens seen | parameters | pre-training seconds |", "|---|---|---:|---:|---:|"]
    for generation, item in report["pretraining"].items():
        lines.append(
            f"| {generation} | {item['recipe']} | {item['tokens']:,} | {item['parameters']:,} | {item['seconds']:.0f} |"
        )
    tasks = list(report["tasks"])
    settings = list(next(iter(report["tasks"].values())))
    lines += ["", "Test scores (" + ", ".join(f"{task}: {SCORE[task]}" for task in tasks) + "):", ""]
    lines += ["| bottom | " + " | ".join(tasks) + " |", "|---|" + "---:|" * len(tasks)]
    baseline = [f"{report['tasks'][task][settings[0]]['majority_baseline'][SCORE[task]]:.3f}" for task in tasks]
    lines.append("| majority class | " + " | ".join(baseline) + " |")
    for setting in settings:
        cells = [f"{report['tasks'][task][setting]['test'][SCORE[task]]:.3f}" for task in tasks]
        lines.append(f"| {setting} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def bar_chart(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(report["tasks"])
    figure, axes = plt.subplots(1, len(tasks), figsize=(5 * len(tasks), 4), squeeze=False)
    for axis, task in zip(axes[0], tasks, strict=True):
        runs = report["tasks"][task]
        names = list(runs)
        axis.bar(range(len(names)), [runs[name]["test"][SCORE[task]] for name in names], color="#4c72b0")
        axis.axhline(runs[names[0]]["majority_baseline"][SCORE[task]], color="black", linestyle="--", linewidth=1)
        axis.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
        axis.set_title(f"{task} (test {SCORE[task]})", fontsize=10)
        axis.set_ylim(0, 1)
    figure.suptitle("word2vec → ELMo → GPT → BERT on one corpus (dashed: majority class)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def run_lineage(options: LineageOptions, output_dir: str | os.PathLike, overwrite: bool = False) -> dict:
    """Pre-train the four generations, run the tasks and write the report to `output_dir`; returns the report."""
    from ..hub import describe_machine

    check_output_free(output_dir, overwrite)
    datasets = load_tasks(options)
    started = time.perf_counter()
    with atomic_output_dir(output_dir, overwrite=overwrite) as tmp:
        models = tmp / "models"
        models.mkdir()
        pretraining = pretrain_generations(options, models)
        tasks = run_tasks(options, datasets, models)
        report = {
            "options": asdict(options),
            "machine": describe_machine(),
            "pretraining": pretraining,
            "tasks": tasks,
            "minutes": (time.perf_counter() - started) / 60,
        }
        (tmp / "lineage.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        (tmp / "lineage.md").write_text(markdown(report), encoding="utf-8")
        bar_chart(report, tmp / "lineage.png")
    return report


__all__ = ["GENERATIONS", "LineageOptions", "run_lineage"]
