"""Fine-tune a pre-trained bottom (word2vec or ELMo) with a task head under `transformers.Trainer`.

One driver serves the three task families of `hf_classic.tasks.data`:

- `classification` (Rotten Tomatoes): `AutoModelForSequenceClassification` on `text`;
- `tagging` (Brown, universal tags): `AutoModelForTokenClassification` on `tokens`, one label per word
  (word2vec's tokenizer may split a word, e.g. "Atlanta's" → `atlanta ' s`: its first piece carries the label
  and the others get -100; ELMo's words are the words given);
- `pairs` (next verse): `AutoModelForSequenceClassification` on `(text, text_pair)`, the tokenizer marking the
  boundary (word2vec: `<s> a <sep> b </s>` after `add_boundary_markers`; ELMo: `a <sep> b`).

The bottom is the pre-trained model (`freeze_pretrained`: fixed, ELMo's feature-based use; otherwise
fine-tuned) or, with `random_init`, a model of the same shape and vocabulary with fresh weights, the
baseline that shows what pre-training buys. Examples are tokenised batch by batch in the collator, so each
batch is padded to its own longest sentence. The run is scored on the validation and test splits (accuracy
and macro F1; for tagging also seqeval's F1) beside the majority-class baseline, and the fine-tuned model,
its tokenizer, `task_metrics.json` and a model card are written atomically to the output folder.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..cards.tasks import finetuned_card
from ..errors import HfClassicError, InputFileError
from ..heads.task_heads import IGNORE_INDEX, validate_task_head
from ..hub import write_model_card
from ..utils.atomic import atomic_output_dir, check_output_free
from ..utils.files import existing_dir, loading_folder
from .data import TASKS, load_task_data
from .metrics import label_metrics, majority_label_metrics, majority_tag_metrics, tag_metrics

logger = logging.getLogger(__name__)

FAMILIES = ("word2vec", "elmo", "bert", "gpt2")
# transformers' own architectures: their heads are transformers' (a linear layer on [CLS] / the last token), and
# freezing keeps the whole transformer fixed, as a feature-based use of it would.
NATIVE_FAMILIES = ("bert", "gpt2")
METRICS_FILE = "task_metrics.json"


@dataclass
class FinetuneOptions:
    """What to fine-tune and how.

    Args:
        task: `classification`, `tagging` or `pairs`.
        model_dir: a saved word2vec or ELMo model folder (with its tokenizer).
        random_init: use the folder's configuration and vocabulary only; the weights start random.
        freeze_pretrained: keep the bottom fixed (feature-based) instead of fine-tuning it.
        head_encoder: `bilstm` or `none` (see `hf_classic.heads.task_heads`).
        head_pooling: `max` or `mean` (sequence classification).
        head_hidden_size: units per direction of the head's BiLSTM.
        classifier_dropout: dropout before the classifier.
        epochs: passes over the training split.
        max_steps: stop after this many optimizer steps (overrides `epochs`); None: run the epochs out.
        batch_size: examples per training step.
        learning_rate: AdamW learning rate (linear decay, no warm-up).
        max_length: longest input kept, in tokens (words for tagging and ELMo).
        max_train_examples / max_eval_examples: use only the first examples of the train / of each evaluation
            split (the splits are already shuffled); None: all.
        seed: seed of the head's initialisation, dropout and batch order.
        threads: torch threads (None: torch's default).
        data_path: the task's data file (None: the default location, see `hf_classic.tasks.data`).
        progress: show Trainer's progress bars.
    """

    task: str
    model_dir: str
    random_init: bool = False
    freeze_pretrained: bool = False
    head_encoder: str = "bilstm"
    head_pooling: str = "max"
    head_hidden_size: int = 128
    classifier_dropout: float = 0.1
    epochs: float = 1.0
    max_steps: int | None = None
    batch_size: int = 32
    learning_rate: float = 1e-3
    max_length: int = 64
    max_train_examples: int | None = None
    max_eval_examples: int | None = None
    seed: int = 1
    threads: int | None = None
    data_path: str | None = None
    progress: bool = False

    def __post_init__(self):
        def fail(name, expected):
            raise HfClassicError(f"{name}={getattr(self, name)!r}: expected {expected}")

        if self.task not in TASKS:
            fail("task", f"one of {', '.join(TASKS)}")
        validate_task_head(self, HfClassicError)
        if self.epochs <= 0 and not self.max_steps:
            fail("epochs", "a positive number (or max_steps)")
        for name in ("batch_size", "max_length"):
            if getattr(self, name) < 1:
                fail(name, "an integer >= 1")
        for name in ("max_steps", "max_train_examples", "max_eval_examples"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                fail(name, "an integer >= 1 or None")
        if self.learning_rate <= 0:
            fail("learning_rate", "a positive number")


def model_family(model_dir: str | os.PathLike) -> str:
    """The `model_type` of the folder's config.json (one of FAMILIES); InputFileError for anything else."""
    from transformers import AutoConfig

    existing_dir(model_dir, "pre-trained model directory")
    with loading_folder(model_dir):
        model_type = AutoConfig.from_pretrained(model_dir).model_type
    if model_type not in FAMILIES:
        raise InputFileError(
            f"{model_dir}: model_type is {model_type!r}; expected one of {', '.join(FAMILIES)} (a word2vec, ELMo, "
            "BERT or GPT-2 model)"
        )
    return model_type


def label_names(dataset, task: str) -> list[str]:
    """The label (or tag) names of a task's `DatasetDict`, from its ClassLabel features."""
    features = dataset["train"].features
    return list(features["tags"].feature.names if task == "tagging" else features["label"].names)


def build_model(options: FinetuneOptions, labels: list[str]):
    """The head model, its tokenizer and the family, as `options` say (pre-trained or random bottom)."""
    from transformers import (
        AutoConfig,
        AutoModelForSequenceClassification,
        AutoModelForTokenClassification,
        AutoTokenizer,
    )

    family = model_family(options.model_dir)
    auto_class = AutoModelForTokenClassification if options.task == "tagging" else AutoModelForSequenceClassification
    head_options = {
        "num_labels": len(labels),
        "id2label": dict(enumerate(labels)),
        "label2id": {label: index for index, label in enumerate(labels)},
    }
    if family not in NATIVE_FAMILIES:
        head_options.update(
            freeze_pretrained=options.freeze_pretrained,
            head_encoder=options.head_encoder,
            head_pooling=options.head_pooling,
            head_hidden_size=options.head_hidden_size,
            classifier_dropout=options.classifier_dropout,
        )
    # GPT-2's byte-level BPE needs a leading space to read pre-split words as it reads running text.
    tokenizer = AutoTokenizer.from_pretrained(
        options.model_dir, **({"add_prefix_space": True} if family == "gpt2" else {})
    )
    if family == "gpt2":
        tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
        head_options["pad_token_id"] = tokenizer.pad_token_id
    if options.random_init:
        model = auto_class.from_config(AutoConfig.from_pretrained(options.model_dir, **head_options))
    else:
        model = auto_class.from_pretrained(options.model_dir, **head_options)
    if options.task == "pairs" and family in ("word2vec", "gpt2"):
        add_pair_markers(model, tokenizer)
    if family in NATIVE_FAMILIES and options.freeze_pretrained:
        model.base_model.requires_grad_(False)
    return model, tokenizer, family


def add_pair_markers(model, tokenizer) -> None:
    """Give a tokenizer without a pair template start, separator and end markers, `<s> a <sep> b </s>`, and the model
    rows for them (word2vec: `add_boundary_markers`; GPT-2: the input transformation of GPT, whose classifier reads
    the last token, here `</s>`).

    transformers fills new rows with the old rows' mean (the three markers would be near-identical, and a frozen
    bottom would keep them so); here each marker gets its own random row of the vectors' typical scale.
    """
    from tokenizers import processors

    before = len(tokenizer)
    if hasattr(tokenizer, "add_boundary_markers"):
        tokenizer.add_boundary_markers()
    else:
        markers = {"bos_token": "<s>", "sep_token": "<sep>", "eos_token": "</s>"}
        tokenizer.add_special_tokens(markers)
        ids = [(token, tokenizer.convert_tokens_to_ids(token)) for token in markers.values()]
        tokenizer.backend_tokenizer.post_processor = processors.TemplateProcessing(
            single="<s> $A </s>", pair="<s> $A <sep> $B:1 </s>:1", special_tokens=ids
        )
    model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    weight = model.get_input_embeddings().weight
    with torch.no_grad():
        scale = weight[:before].std()
        generator = torch.Generator().manual_seed(len(tokenizer))
        weight[before:] = torch.randn(len(tokenizer) - before, weight.shape[1], generator=generator) * scale


class TaskCollator:
    """Raw examples → a padded batch with `labels`, tokenised by the model's tokenizer.

    classification: `{"text", "label"}`; pairs: `{"text", "text_pair", "label"}`; tagging: `{"tokens", "tags"}`
    with `labels (batch, seq)` aligned to the tokens, -100 at padding, special tokens and later pieces of a word.
    """

    def __init__(self, tokenizer, task: str, family: str, max_length: int):
        self.tokenizer, self.task, self.family, self.max_length = tokenizer, task, family, max_length

    def __call__(self, examples: list[dict]) -> dict[str, torch.Tensor]:
        if self.task == "tagging":
            return self.tagging_batch(examples)
        texts = [example["text"] for example in examples]
        pairs = [example["text_pair"] for example in examples] if self.task == "pairs" else None
        batch = self.tokenizer(
            texts, text_pair=pairs, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        batch = {key: batch[key] for key in self.tokenizer.model_input_names if key in batch}
        batch["labels"] = torch.tensor([example["label"] for example in examples])
        return batch

    def tagging_batch(self, examples: list[dict]) -> dict[str, torch.Tensor]:
        words = [example["tokens"][: self.max_length] for example in examples]
        tags = [example["tags"][: self.max_length] for example in examples]
        batch = self.tokenizer(
            words, is_split_into_words=True, padding=True, truncation=True, max_length=self.max_length
        )
        if self.family == "elmo":
            width = len(batch["attention_mask"][0])
            labels = [sentence + [IGNORE_INDEX] * (width - len(sentence)) for sentence in tags]
        else:
            labels = [aligned_word_labels(batch.word_ids(index), sentence) for index, sentence in enumerate(tags)]
        return {
            "input_ids": torch.tensor(batch["input_ids"]),
            "attention_mask": torch.tensor(batch["attention_mask"]),
            "labels": torch.tensor(labels),
        }


def aligned_word_labels(word_ids: list[int | None], word_labels: list[int]) -> list[int]:
    """One label per token: the word's label on its first token, -100 on later pieces and special tokens."""
    labels, previous = [], None
    for word in word_ids:
        labels.append(word_labels[word] if word is not None and word != previous else IGNORE_INDEX)
        previous = word
    return labels


def scorer(task: str, names: list[str]):
    """`compute_metrics` for Trainer: EvalPrediction → accuracy, macro F1 (and seqeval F1 for tagging)."""

    def compute(prediction) -> dict[str, float]:
        logits, gold = prediction.predictions, prediction.label_ids
        predicted = logits.argmax(-1)
        if task != "tagging":
            return label_metrics(predicted, gold, len(names))
        keep = gold != IGNORE_INDEX
        predicted_tags = [[names[tag] for tag in row[mask]] for row, mask in zip(predicted, keep, strict=True)]
        gold_tags = [[names[tag] for tag in row[mask]] for row, mask in zip(gold, keep, strict=True)]
        return tag_metrics(predicted_tags, gold_tags, names)

    return compute


def majority_baseline(dataset, task: str, names: list[str]) -> dict:
    """The majority-class scores on the test split (the most frequent label, or tag, of the train split)."""
    if task == "tagging":
        as_names = [
            [[names[tag] for tag in sentence] for sentence in dataset[split]["tags"]] for split in ("train", "test")
        ]
        return majority_tag_metrics(*as_names, names)
    return majority_label_metrics(dataset["train"]["label"], dataset["test"]["label"], len(names))


def limit(split, count: int | None):
    return split if count is None or count >= len(split) else split.select(range(count))


def count_parameters(model) -> dict[str, int]:
    parameters = list(model.parameters())
    return {
        "parameters": sum(p.numel() for p in parameters),
        "trainable_parameters": sum(p.numel() for p in parameters if p.requires_grad),
    }


def finetune(
    options: FinetuneOptions,
    output_dir: str | os.PathLike | None,
    overwrite: bool = False,
    dataset=None,
) -> dict:
    """Fine-tune as `options` say, save the model, its tokenizer and `task_metrics.json` to `output_dir` (None:
    keep nothing) and return the metrics: `validation` and `test` scores, the `majority_baseline` on test,
    `train_runtime` (seconds), losses, sizes and the options.

    `dataset` is the task's `DatasetDict` (train / validation / test); None loads it with `load_task_data`.
    """
    if output_dir is not None:
        check_output_free(output_dir, overwrite)
    model_family(options.model_dir)
    if options.threads is not None:
        torch.set_num_threads(options.threads)
    if dataset is None:
        dataset = load_task_data(options.task, options.data_path, seed=options.seed)
    if output_dir is None:
        with tempfile.TemporaryDirectory(prefix="hf-classic-finetune-") as work_dir:
            return train_and_score(options, dataset, Path(work_dir))[2]
    with atomic_output_dir(output_dir, overwrite=overwrite) as tmp:
        model, tokenizer, metrics = train_and_score(options, dataset, tmp)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
        write_model_card(tmp, finetuned_card(metrics))
    return metrics


def train_and_score(options: FinetuneOptions, dataset, work_dir: Path):
    """Build, train and evaluate the model (Trainer's scratch files under `work_dir`, removed at the end);
    returns the model, its tokenizer and the metrics."""
    from transformers import PrinterCallback, Trainer, TrainingArguments, set_seed

    names = label_names(dataset, options.task)
    set_seed(options.seed)
    model, tokenizer, family = build_model(options, names)
    train = limit(dataset["train"], options.max_train_examples)
    evaluation = {split: limit(dataset[split], options.max_eval_examples) for split in ("validation", "test")}
    arguments = TrainingArguments(
        output_dir=str(work_dir / "trainer"),
        num_train_epochs=options.epochs,
        max_steps=options.max_steps or -1,
        per_device_train_batch_size=options.batch_size,
        per_device_eval_batch_size=64,
        learning_rate=options.learning_rate,
        weight_decay=0.0,
        eval_strategy="no",
        save_strategy="no",
        logging_strategy="steps",
        logging_steps=max(1, min(50, len(train) // options.batch_size // 4)),
        remove_unused_columns=False,
        use_cpu=True,
        seed=options.seed,
        report_to="none",
        disable_tqdm=not options.progress,
    )
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=train,
        data_collator=TaskCollator(tokenizer, options.task, family, options.max_length),
        processing_class=tokenizer,
        compute_metrics=scorer(options.task, names),
    )
    if not options.progress:
        trainer.remove_callback(PrinterCallback)
    started = time.perf_counter()
    trainer.train()
    train_runtime = time.perf_counter() - started
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    metrics = {
        "task": options.task,
        "family": family,
        "init": "random" if options.random_init else "pretrained",
        "freeze_pretrained": options.freeze_pretrained,
        "train_examples": len(train),
        "steps": trainer.state.global_step,
        "train_runtime": train_runtime,
        "first_train_loss": losses[0] if losses else None,
        "last_train_loss": losses[-1] if losses else None,
        **count_parameters(model),
    }
    for split, data in evaluation.items():
        scores = trainer.evaluate(data, metric_key_prefix=split)
        metrics[split] = {key.removeprefix(f"{split}_"): value for key, value in scores.items()}
    metrics["majority_baseline"] = majority_baseline({"train": train, "test": evaluation["test"]}, options.task, names)
    metrics["options"] = asdict(options)
    shutil.rmtree(work_dir / "trainer", ignore_errors=True)
    logger.info("test metrics: %s (majority baseline: %s)", metrics["test"], metrics["majority_baseline"])
    return model, tokenizer, metrics


__all__ = [
    "FinetuneOptions",
    "TaskCollator",
    "aligned_word_labels",
    "build_model",
    "finetune",
    "majority_baseline",
    "model_family",
    "train_and_score",
]
