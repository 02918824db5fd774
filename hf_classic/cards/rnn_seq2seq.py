"""Model cards of RNN encoder-decoder folders: trained by `train_translation`, or converted from OpenNMT-py."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..hub import CardContent, format_value

# The configuration's fields that shape an RNN encoder-decoder.
CARD_CONFIG = (
    "cell",
    "num_layers",
    "embedding_size",
    "decoder_embedding_size",
    "hidden_size",
    "bidirectional_encoder",
    "dropout",
    "attention",
    "attention_score",
    "attention_output_activation",
    "attention_output_bias",
    "input_feeding",
    "vocab_size",
    "decoder_vocab_size",
    "shared_vocabulary",
    "share_embeddings",
    "tie_word_embeddings",
)
# OpenNMT-py training options worth citing from a checkpoint's `opt`, where present.
ONMT_TRAINING_OPTIONS = (
    "train_steps",
    "batch_size",
    "batch_type",
    "optim",
    "learning_rate",
    "decay_method",
    "max_grad_norm",
    "label_smoothing",
    "param_init",
    "seed",
)
SEQ2SEQ_USAGE = (
    'batch = tokenizer(["select all pages"], return_tensors="pt")\n'
    "generated = model.generate(**batch, num_beams=5, max_new_tokens=50)\n"
    "print(tokenizer.batch_decode(generated, skip_special_tokens=True))\n"
)
PIPELINE_NOTE = (
    'The folder brings its own translation pipeline: `pipeline("translation", model=..., trust_remote_code=True)`.'
)


def config_rows(config) -> dict[str, str]:
    """The model's hyper-parameters (`RnnSeq2SeqConfig`) as card rows."""
    return {name: format_value(getattr(config, name)) for name in CARD_CONFIG}


def training_option_rows(options) -> dict[str, str]:
    """The run's `TranslationTraining` as card rows; a word2vec folder is named, not given as a local path, and
    where and how often the run checkpointed is left out."""
    rows = {}
    for name, value in vars(options).items():
        if name in ("checkpoint_dir", "checkpoint_every_seconds"):
            continue
        if name == "init_from_word2vec" and value is not None:
            value = Path(value).name
        rows[f"{name} (training option)"] = format_value(value)
    return rows


def describe_model(config) -> str:
    """`1-layer bidirectional LSTM encoder-decoder with luong general attention` and the like."""
    direction = "bidirectional " if config.bidirectional_encoder else ""
    if config.attention == "none":
        attention = "without attention"
    elif config.attention == "luong":
        attention = f"with luong {config.attention_score} attention"
    else:
        attention = f"with {config.attention} attention"
    return f"{config.num_layers}-layer {direction}{config.cell.upper()} encoder-decoder {attention}"


def trained_card(
    config,
    options,
    data: dict,
    metrics: dict[str, float],
    validation_losses: list[tuple[float, float]],
    machine: str,
) -> CardContent:
    """The model card of a folder written by `train_translation`.

    Args:
        config: the model's `RnnSeq2SeqConfig`.
        options: the run's `TranslationTraining`.
        data: `name` (where the pairs came from), `languages` (or None), `train`, `valid`, `test` (pair counts),
            `source_tokens`, `target_tokens` (of the training pairs, as the tokenizer splits them, `</s>` included).
        metrics: what `train_translation` returns (`test_loss`, `test_bleu`, `test_chrf`, training losses, time).
        validation_losses: `(epoch, loss)` after each epoch.
        machine: where it ran.
    """
    kept = None
    if validation_losses:
        kept = min(validation_losses, key=lambda entry: entry[1]) if options.keep_best else validation_losses[-1]
    how_kept = "lowest validation loss" if options.keep_best else "the last"
    made_with = {
        "data": data["name"],
        "pairs": f"{data['train']:,} training, {data['valid']:,} validation, {data['test']:,} test (shuffled split)",
        "training tokens": f"{data['source_tokens']:,} source, {data['target_tokens']:,} target (with `</s>`)",
        **config_rows(config),
        **training_option_rows(options),
        "optimizer": "AdamW (weight decay 0), constant learning rate, transformers' Seq2SeqTrainer",
        "epoch kept": f"{kept[0]:g} of {options.epochs} ({how_kept})" if kept else "-",
        "training loss, first and last epoch": f"{metrics['first_train_loss']:.4f}, {metrics['last_train_loss']:.4f}",
        "training time": f"{metrics['train_runtime']:.1f} s",
        "machine": machine,
    }
    test = f"test ({data['test']:,} pairs, beam {options.num_beams})"
    results = {
        f"BLEU, {test}": f"{metrics['test_bleu']:.2f}",
        f"chrF, {test}": f"{metrics['test_chrf']:.2f}",
        "test loss (cross-entropy per target token)": f"{metrics['test_loss']:.4f}",
    }
    if kept:
        results[f"validation loss, epoch {kept[0]:g} ({data['valid']:,} pairs)"] = f"{kept[1]:.4f}"
    languages = data.get("languages")
    direction = f" ({languages[0]}→{languages[1]})" if languages else ""
    return CardContent(
        family="rnn_seq2seq",
        title=f"RNN translation model{direction}: {describe_model(config)}",
        summary=(
            f"A {describe_model(config)}, trained by hf_classic on {data['name']}. BLEU and chrF are sacrebleu's "
            "corpus scores on lower-cased text with words and punctuation split. " + PIPELINE_NOTE
        ),
        made_with=made_with,
        results=results,
        pipeline_tag="translation",
        language=list(languages) if languages else None,
        auto_class="AutoModelForSeq2SeqLM",
        usage=SEQ2SEQ_USAGE,
    )


def training_files(opt: argparse.Namespace) -> str:
    """The corpora named in an OpenNMT-py 3.x `opt.data` (`name: source / target` each), or `-`."""
    data = getattr(opt, "data", None)
    if not isinstance(data, dict):
        return "-"
    names = []
    for name, corpus in data.items():
        if isinstance(corpus, dict) and corpus.get("path_src"):
            names.append(f"{name}: {Path(corpus['path_src']).name} / {Path(str(corpus.get('path_tgt'))).name}")
    return ", ".join(names) or "-"


def converted_card(config, checkpoint_path, opt: argparse.Namespace) -> CardContent:
    """The model card of a folder converted from an OpenNMT-py checkpoint: its file name, the model's settings
    and the training options recorded in the checkpoint; no result is claimed (a conversion measures nothing)."""
    name = Path(checkpoint_path).name
    made_with = config_rows(config)
    made_with["training data (as recorded)"] = training_files(opt)
    for key in ONMT_TRAINING_OPTIONS:
        if hasattr(opt, key):
            made_with[f"OpenNMT-py {key}"] = format_value(getattr(opt, key))
    made_with["generation defaults"] = "beam 5, scores as sums of log-probabilities (onmt_translate's defaults)"
    return CardContent(
        family="rnn_seq2seq",
        title=f"RNN translation model converted from {name}",
        summary=(
            f"A {describe_model(config)}, converted by hf_classic from the OpenNMT-py checkpoint `{name}`. "
            "The tokenizer splits on whitespace, as OpenNMT-py's vocabularies were built: give it text "
            "tokenised the way the training data were. " + PIPELINE_NOTE
        ),
        source=f"the OpenNMT-py 3.x checkpoint `{name}`",
        made_with=made_with,
        pipeline_tag="translation",
        auto_class="AutoModelForSeq2SeqLM",
        usage=SEQ2SEQ_USAGE,
    )
