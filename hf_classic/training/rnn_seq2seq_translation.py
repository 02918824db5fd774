"""Training and evaluation of RNN encoder-decoders on parallel text, with transformers' `Seq2SeqTrainer`.

Data: aligned sentence pairs, read from two line-aligned text files or from the human translations in
gettext `.po` catalogues (loose or inside the wheels that PyPI packages ship). Evaluation generates with
beam search and scores with sacrebleu's BLEU and chrF against references split the way the tokenizer splits
(lower-cased, words and punctuation apart).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
import shutil
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ..cards.rnn_seq2seq import trained_card
from ..errors import InputFileError
from ..hub import describe_machine, write_model_card
from ..rnn_seq2seq import RnnSeq2SeqConfig, RnnSeq2SeqForConditionalGeneration, RnnSeq2SeqTokenizer
from ..rnn_seq2seq.generation_rnn_seq2seq import shrinking_beam_search
from ..tasks.initialization import init_seq2seq_from_word2vec
from ..utils.atomic import atomic_output_dir, check_output_free, claim_outputs
from ..utils.files import existing_file
from .trainer_checkpoints import (
    PREFIX_CHECKPOINT_DIR,
    AtomicCheckpoints,
    SaveEverySeconds,
    check_run_record,
    latest_checkpoint,
)

logger = logging.getLogger(__name__)

# UI strings with placeholders, markup, escapes or links are not sentences to learn from.
UNWANTED = re.compile(r"%|\{|\}|<|>|\\|&|\||https?:|www\.")
TOKEN = re.compile(r"\w+|[^\w\s]")


def normalise(text: str) -> str:
    """NFC, curly apostrophes as `'`, lower case, words and punctuation split and joined by single spaces."""
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'").lower()
    return " ".join(TOKEN.findall(text))


def _po_entries(name: str, data: bytes) -> list[tuple[str, str]]:
    import polib

    try:
        catalogue = polib.pofile(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InputFileError(f"{name}: not a readable .po catalogue ({error})") from error
    pairs = []
    for entry in catalogue:
        if entry.obsolete or entry.fuzzy or entry.msgid_plural or not entry.msgstr:
            continue
        if "\n" in entry.msgid or "\n" in entry.msgstr:
            continue
        if UNWANTED.search(entry.msgid) or UNWANTED.search(entry.msgstr):
            continue
        pairs.append((entry.msgid, entry.msgstr))
    return pairs


def read_po_pairs(paths: Iterable[str | os.PathLike], language: str = "fr") -> list[tuple[str, str]]:
    """`(english, translation)` pairs from `.po` files, or from the `<language>` `.po` files inside wheels.

    Keeps single-line, non-fuzzy, non-plural, translated entries without placeholders or markup, normalised
    with `normalise`; the first pair of each distinct source wins, in file order.
    """
    seen, pairs = set(), []
    for path in paths:
        path = existing_file(path, "translation catalogue")
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as wheel:
                members = sorted(
                    name for name in wheel.namelist() if name.endswith(".po") and f"/{language}/LC_MESSAGES/" in name
                )
                entries = [pair for name in members for pair in _po_entries(f"{path}:{name}", wheel.read(name))]
        else:
            entries = _po_entries(str(path), path.read_bytes())
        for source, target in entries:
            source, target = normalise(source), normalise(target)
            if source and target and source not in seen:
                seen.add(source)
                pairs.append((source, target))
    if not pairs:
        raise InputFileError(f"no usable {language} translation pairs in {[str(path) for path in paths]}")
    return pairs


def read_parallel(source_path: str | os.PathLike, target_path: str | os.PathLike) -> list[tuple[str, str]]:
    """Pairs from two line-aligned files (empty lines on either side are skipped)."""
    sources = existing_file(source_path, "source file").read_text(encoding="utf-8").splitlines()
    targets = existing_file(target_path, "target file").read_text(encoding="utf-8").splitlines()
    if len(sources) != len(targets):
        raise InputFileError(f"{source_path} has {len(sources)} lines but {target_path} has {len(targets)}")
    return [(source, target) for source, target in zip(sources, targets, strict=True) if source and target]


def split_pairs(
    pairs: Sequence[tuple[str, str]], valid: int, test: int, seed: int = 1234
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    """Shuffle with `seed` and cut `(train, valid, test)`, the last two of `valid` and `test` pairs."""
    if valid + test >= len(pairs):
        raise ValueError(f"{len(pairs)} pairs cannot give {valid} validation and {test} test pairs and a training set")
    shuffled = list(pairs)
    random.Random(seed).shuffle(shuffled)
    return shuffled[valid + test :], shuffled[:valid], shuffled[valid : valid + test]


def bleu_and_chrf(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Corpus BLEU and chrF (sacrebleu defaults) of normalised hypotheses against normalised references."""
    import sacrebleu

    hypotheses = [normalise(text) for text in hypotheses]
    references = [normalise(text) for text in references]
    return {
        "bleu": sacrebleu.corpus_bleu(hypotheses, [references]).score,
        "chrf": sacrebleu.corpus_chrf(hypotheses, [references]).score,
    }


@torch.no_grad()
def translate(model, tokenizer, sentences: Sequence[str], batch_size: int = 32, **generate_kwargs) -> list[str]:
    """Translate `sentences` in batches of `batch_size` with `model.generate(**generate_kwargs)`.

    Batches hold sentences of similar length (sorted by token count, longest first, as OpenNMT-py does), so
    that little time goes to padding and to sentences whose batch-mates are still being decoded; the
    translations come back in input order. Beam search scored by the plain sum of log-probabilities
    (`length_penalty=0`, as converted OpenNMT-py models have it) runs as `shrinking_beam_search`, which drops
    finished sentences from the batch.
    """
    model.eval()
    options = {**model.generation_config.to_dict(), **generate_kwargs}
    beam_search = (options.get("num_beams") or 1) > 1 and not options.get("do_sample")
    if beam_search and options.get("length_penalty") == 0 and (options.get("num_return_sequences") or 1) == 1:
        generate_kwargs = {"custom_generate": shrinking_beam_search, **generate_kwargs}
    encoded = tokenizer(list(sentences))["input_ids"]
    order = sorted(range(len(sentences)), key=lambda index: -len(encoded[index]))
    outputs = [""] * len(sentences)
    for start in range(0, len(order), batch_size):
        indices = order[start : start + batch_size]
        batch = tokenizer.pad({"input_ids": [encoded[index] for index in indices]}, return_tensors="pt")
        generated = model.generate(**batch, **generate_kwargs)
        for index, text in zip(indices, tokenizer.batch_decode(generated, skip_special_tokens=True), strict=True):
            outputs[index] = text
    return outputs


@dataclass
class TranslationTraining:
    """Hyper-parameters of a training run (the model's own are in `RnnSeq2SeqConfig`).

    `keep_best` keeps the epoch with the lowest validation loss (else the last one). `threads` sets torch's
    intra-op threads for the run (None: leave as is); small RNNs are fastest on one thread, as their many
    small operations cost more to share out than to compute. `group_by_length` batches sentences of similar
    (source, target) length, the batches in random order, as OpenNMT-py's buckets do (`LengthBucketSampler`):
    faster, as RNN steps run to the longest sentence of a batch. `init_from_word2vec` names a word2vec model
    folder whose vectors initialise the embeddings of `word2vec_side` (`source`, `target` or `both`; the
    embedding size must equal its vector size), kept fixed when `freeze_pretrained`. `checkpoint_dir` (default:
    `<output>.checkpoint`) keeps the checkpoints of the run: one at the end of every epoch, and one every
    `checkpoint_every_seconds` inside an epoch (None: only at epoch ends; 0: after every step).
    """

    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 2e-3
    vocabulary: str = "word"
    vocab_size: int = 8000
    min_frequency: int = 1
    shared_vocabulary: bool = False
    num_beams: int = 5
    max_new_tokens: int = 50
    seed: int = 1234
    keep_best: bool = True
    threads: int | None = 1
    group_by_length: bool = False
    init_from_word2vec: str | None = None
    word2vec_side: str = "source"
    freeze_pretrained: bool = False
    checkpoint_dir: str | None = None
    checkpoint_every_seconds: float | None = 600.0


# Options that may change when a run is resumed: where and how often it checkpoints, and its threads.
RESUMABLE_CHANGES = ("checkpoint_dir", "checkpoint_every_seconds", "threads")


def run_record(
    train: Sequence[tuple[str, str]],
    valid: Sequence[tuple[str, str]],
    test: Sequence[tuple[str, str]],
    model_options: dict,
    options: TranslationTraining,
) -> dict:
    """What a resumed run must share with the run that made its checkpoint: the sizes and SHA-256 of the data
    splits, the model's and the run's options (flat keys such as `data.train`, `model.cell`, `training.epochs`)."""
    digest = hashlib.sha256(json.dumps([list(train), list(valid), list(test)], ensure_ascii=False).encode("utf-8"))
    record = {"data.train": len(train), "data.valid": len(valid), "data.test": len(test)}
    record["data.sha256"] = digest.hexdigest()
    record.update({f"model.{key}": value for key, value in sorted(model_options.items())})
    training = {key: value for key, value in asdict(options).items() if key not in RESUMABLE_CHANGES}
    record.update({f"training.{key}": value for key, value in training.items()})
    return record


def build_tokenizer(train: Sequence[tuple[str, str]], options: TranslationTraining) -> RnnSeq2SeqTokenizer:
    """A tokenizer learnt from the training pairs only."""
    return RnnSeq2SeqTokenizer.train(
        [source for source, _ in train],
        [target for _, target in train],
        kind=options.vocabulary,
        vocab_size=options.vocab_size,
        min_frequency=options.min_frequency,
        shared_vocabulary=options.shared_vocabulary,
    )


def train_translation(
    train: Sequence[tuple[str, str]],
    valid: Sequence[tuple[str, str]],
    test: Sequence[tuple[str, str]],
    model_options: dict,
    options: TranslationTraining,
    output_dir: str | os.PathLike,
    overwrite: bool = False,
    data_name: str = "parallel sentence pairs",
    languages: tuple[str, str] | None = None,
    resume_from: str | os.PathLike | None = None,
) -> dict[str, float]:
    """Train a tokenizer and an `RnnSeq2SeqForConditionalGeneration` with `Seq2SeqTrainer`, keep the epoch with
    the lowest validation loss (with `options.keep_best`), save model, tokenizer and model card in `output_dir`
    and return its test metrics (`test_loss`, `test_bleu`, `test_chrf` of beam-search translations) plus the
    first and last training losses (means over the first and the last epoch) and the training time in seconds
    (`train_runtime`). `data_name` (where the pairs came from) and `languages` (`(source, target)` ISO codes)
    go to the model card. With `options.group_by_length` the training batches come from `LengthBucketSampler`.

    Checkpoints go to `options.checkpoint_dir` (default `<output_dir>.checkpoint`, removed when the run succeeds),
    written whole or not at all (`trainer_checkpoints`); `resume_from` (that folder, or one `checkpoint-<step>` in
    it) continues a run where its last checkpoint left it, with its tokenizer, weights, optimizer, random states
    and place in the data order, after checking that the data and options are those of the run (`run_record`).
    The run holds `output_dir` and the checkpoint folder (`claim_outputs`): a second run writing either fails."""
    output_dir = Path(output_dir)
    checkpoint_dir = Path(options.checkpoint_dir or f"{output_dir}.checkpoint")
    with claim_outputs(output_dir, checkpoint_dir):
        check_output_free(output_dir, overwrite)
        return _train_translation(
            train, valid, test, model_options, options, output_dir, overwrite, data_name, languages, resume_from
        )


def _train_translation(
    train, valid, test, model_options, options, output_dir: Path, overwrite, data_name, languages, resume_from
) -> dict[str, float]:
    from datasets import Dataset
    from transformers import DataCollatorForSeq2Seq, Seq2SeqTrainer, Seq2SeqTrainingArguments, set_seed

    from .length_batches import LengthBucketSeq2SeqTrainer

    record = run_record(train, valid, test, model_options, options)
    checkpoint = None
    if resume_from is not None:
        checkpoint = latest_checkpoint(resume_from)
        check_run_record(checkpoint, record)
    set_seed(options.seed)
    if options.threads is not None:
        torch.set_num_threads(options.threads)
    tokenizer = (
        build_tokenizer(train, options) if checkpoint is None else RnnSeq2SeqTokenizer.from_pretrained(checkpoint)
    )
    config = RnnSeq2SeqConfig(
        vocab_size=len(tokenizer.source_backend.get_vocab()),
        decoder_vocab_size=tokenizer.target_vocab_size,
        shared_vocabulary=options.shared_vocabulary,
        **model_options,
    )
    model = RnnSeq2SeqForConditionalGeneration(config)
    initialized = []
    if options.init_from_word2vec is not None:
        initialized = init_seq2seq_from_word2vec(
            model, tokenizer, options.init_from_word2vec, options.word2vec_side, options.freeze_pretrained
        )
    model.generation_config.num_beams = options.num_beams
    model.generation_config.max_new_tokens = options.max_new_tokens

    def dataset(pairs):
        encoded = tokenizer([s for s, _ in pairs], text_target=[t for _, t in pairs])
        return Dataset.from_dict(dict(encoded))

    def by_length(data):
        """`data` ordered by (source, target) length, for passes that give a loss only (validation): batches of
        similar lengths have little padding to run, as in OpenNMT-py's validation."""
        lengths = zip(map(len, data["input_ids"]), map(len, data["labels"]), strict=True)
        return data.select(sorted(range(len(data)), key=list(lengths).__getitem__))

    def compute_metrics(prediction):
        """Scores of the test translations against the test references as written (not as decoded label ids,
        which would show `<unk>` for words outside the target vocabulary). Evaluation keeps the data order."""
        # Generated ids come padded with -100 between batches; -100 is no token.
        ids = np.where(prediction.predictions < 0, tokenizer.pad_token_id, prediction.predictions).tolist()
        return bleu_and_chrf(tokenizer.batch_decode(ids, skip_special_tokens=True), [target for _, target in test])

    train_set = dataset(train)
    checkpoint_dir = Path(options.checkpoint_dir or f"{output_dir}.checkpoint")
    if checkpoint is None and checkpoint_dir.is_dir():
        # A fresh run replaces an earlier run's checkpoints, as word2vec's and ELMo's do; mixed with them, the
        # rotation would keep the earlier run's highest step as "the latest".
        for stale in filter(Path.is_dir, checkpoint_dir.glob(f"{PREFIX_CHECKPOINT_DIR}-*")):
            logger.warning("%s: removing a checkpoint of an earlier run (resume it with --resume-from)", stale)
            shutil.rmtree(stale)
    arguments = Seq2SeqTrainingArguments(
        output_dir=str(checkpoint_dir),
        num_train_epochs=options.epochs,
        per_device_train_batch_size=options.batch_size,
        per_device_eval_batch_size=64,
        learning_rate=options.learning_rate,
        lr_scheduler_type="constant",
        optim="adamw_torch_fused",
        weight_decay=0.0,
        eval_strategy="epoch",
        save_strategy="epoch",
        save_total_limit=1,
        load_best_model_at_end=options.keep_best,
        metric_for_best_model="loss",
        logging_strategy="epoch",
        predict_with_generate=False,
        generation_num_beams=options.num_beams,
        use_cpu=True,
        seed=options.seed,
        report_to="none",
        disable_tqdm=True,
    )
    base = LengthBucketSeq2SeqTrainer if options.group_by_length else Seq2SeqTrainer
    trainer_class = type(f"Atomic{base.__name__}", (AtomicCheckpoints, base), {})
    callbacks = [] if options.checkpoint_every_seconds is None else [SaveEverySeconds(options.checkpoint_every_seconds)]
    trainer = trainer_class(
        model=model,
        args=arguments,
        train_dataset=train_set,
        eval_dataset=by_length(dataset(valid)),
        data_collator=DataCollatorForSeq2Seq(tokenizer, model=model, label_pad_token_id=-100),
        processing_class=tokenizer,
        callbacks=callbacks,
    )
    trainer.run_record = record
    train_runtime = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None).metrics[
        "train_runtime"
    ]
    # Epochs are compared by validation loss; only the kept model is scored on generated translations.
    trainer.args.predict_with_generate = True
    trainer.compute_metrics = compute_metrics
    metrics = trainer.evaluate(dataset(test), metric_key_prefix="test")
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    metrics.update(first_train_loss=losses[0], last_train_loss=losses[-1], train_runtime=train_runtime)
    metrics.update({f"word2vec_{item.side}_coverage": item.coverage for item in initialized})
    data = {
        "name": data_name,
        "languages": languages,
        "train": len(train),
        "valid": len(valid),
        "test": len(test),
        "source_tokens": sum(map(len, train_set["input_ids"])),
        "target_tokens": sum(map(len, train_set["labels"])),
    }
    history = trainer.state.log_history
    validation = [(entry["epoch"], entry["eval_loss"]) for entry in history if "eval_loss" in entry]
    machine = describe_machine("cpu") + f", {torch.get_num_threads()} torch thread(s)"
    with atomic_output_dir(output_dir, overwrite=overwrite) as tmp:
        trainer.model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        write_model_card(tmp, trained_card(trainer.model.config, options, data, metrics, validation, machine))
    shutil.rmtree(checkpoint_dir, ignore_errors=True)
    logger.info("test metrics: %s", metrics)
    return metrics


__all__ = [
    "TranslationTraining",
    "bleu_and_chrf",
    "build_tokenizer",
    "normalise",
    "read_parallel",
    "read_po_pairs",
    "split_pairs",
    "train_translation",
    "translate",
]
