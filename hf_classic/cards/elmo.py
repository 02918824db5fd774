"""Model cards of ELMo folders: pre-trained by `pretrain_elmo`, or converted from bilm-tf files."""

from __future__ import annotations

import os
from pathlib import Path

from ..elmo import ElmoConfig, ElmoForPreTraining, ElmoModel
from ..hub import CardContent, format_value

# The configuration's fields that describe a biLM, in the order of bilm-tf's options.json.
CARD_CONFIG = (
    "char_embedding_dim",
    "filters",
    "n_highway",
    "activation",
    "max_characters_per_token",
    "lstm_dim",
    "projection_dim",
    "num_layers",
    "cell_clip",
    "proj_clip",
    "use_skip_connections",
    "vocab_size",
    "n_negative_samples_batch",
    "lm_dropout",
)


def config_rows(config: ElmoConfig) -> dict[str, str]:
    """The biLM's hyper-parameters as card rows; filters as `width x number`."""
    rows = {name: format_value(getattr(config, name)) for name in CARD_CONFIG}
    rows["filters"] = ", ".join(f"{width}x{number}" for width, number in config.filters)
    return rows


ELMO_USAGE = (
    'batch = tokenizer([["In", "the", "beginning"]], is_split_into_words=True, return_tensors="pt")\n'
    "out = model(**batch, output_hidden_states=True)\n"
    "out.last_hidden_state  # (batch, words, 2 * projection_dim): the scalar mix of the layers\n"
    "out.hidden_states  # num_layers + 1 layers, each (batch, words, 2 * projection_dim)\n"
)


def trained_card(config: ElmoConfig, summary: dict) -> CardContent:
    """The model card of a pre-trained folder: corpus, every hyper-parameter, time, machine and the held-out
    perplexities that `pretrain_elmo` measured (`summary`)."""
    corpus = ", ".join(Path(path).name for path in summary["corpus"])
    arguments = summary["arguments"]
    made_with = {
        "corpus": corpus,
        "training words": f"{summary['training_words']:,} in {summary['training_sentences']:,} sentences "
        f"(the first {arguments['heldout_lines']:,} lines held out)",
        "vocabulary": f"{summary['vocab_size']:,} words (with `<S>`, `</S>`, `<UNK>`)",
        **config_rows(config),
        **{name: format_value(value) for name, value in arguments.items()},
        "optimizer": "Adagrad (initial accumulator 1.0), global gradient-norm clipping",
        "steps": f"{summary['steps']:,} ({summary['epochs_completed']} epoch(s) completed)",
        "words trained on": f"{summary['tokens']:,}",
        "training loss per epoch": format_value([float(loss) for loss in summary["loss_per_epoch"]]),
        "training time": f"{summary['seconds']:.1f} s ({summary['tokens_per_second']:,.0f} words/s)",
        "machine": summary["machine"],
        "parameters": f"{summary['parameters']:,}",
    }
    results = {}
    heldout = summary.get("heldout")
    if heldout:
        where = f"held-out lines ({heldout['sentences']:,} sentences, {heldout['predicted_words']:,} predicted words)"
        results = {
            f"forward perplexity, {where}": f"{heldout['forward_perplexity']:.2f}",
            f"backward perplexity, {where}": f"{heldout['backward_perplexity']:.2f}",
        }
        if "unigram_perplexity" in heldout:
            results["add-one unigram perplexity, same words (baseline)"] = f"{heldout['unigram_perplexity']:.2f}"
    return CardContent(
        family="elmo",
        title=f"ELMo biLM ({config.num_layers} x {config.lstm_dim} LSTM, projection {config.projection_dim}) on {corpus}",
        summary=(
            "A character-CNN bidirectional LSTM language model (ELMo, Peters et al., 2018) pre-trained by "
            "hf_classic. `AutoModel` gives contextual word vectors: the scalar mix of the layers as "
            "`last_hidden_state` and every layer in `hidden_states`; `AutoModelForPreTraining` adds the "
            "language-model softmax and its loss. The tokenizer turns words into character ids, so any word has a "
            "vector; the word vocabulary is only the language model's output."
        ),
        made_with=made_with,
        results=results,
        pipeline_tag="feature-extraction",
        usage=ELMO_USAGE,
    )


def converted_card(
    model: ElmoModel | ElmoForPreTraining,
    options: str | os.PathLike,
    weights: str | os.PathLike,
    vocab: str | os.PathLike | None,
) -> CardContent:
    """The model card of a converted folder: the bilm-tf files it came from and their hyper-parameters; no
    result is claimed (nothing is measured in a conversion)."""
    config = model.config
    files = [Path(options).name, Path(weights).name] + ([Path(vocab).name] if vocab is not None else [])
    quoted = ", ".join(f"`{name}`" for name in files)
    softmax = isinstance(model, ElmoForPreTraining)
    made_with = config_rows(config)
    made_with["language-model softmax"] = (
        f"included ({config.vocab_size:,} words, from `softmax/W` and `softmax/b`)"
        if softmax
        else "not included (bilm-tf's weight files leave it out)"
    )
    made_with["parameters"] = f"{sum(parameter.numel() for parameter in model.parameters()):,}"
    return CardContent(
        family="elmo",
        title=f"ELMo biLM converted from {Path(weights).name}",
        summary=(
            f"An ELMo biLM ({config.num_layers} x {config.lstm_dim} LSTM, projection {config.projection_dim}), "
            f"converted by hf_classic from the bilm-tf files {quoted}. `AutoModel` gives contextual word vectors: "
            "the scalar mix of the layers as `last_hidden_state` and every layer in `hidden_states`"
            + ("; `AutoModelForPreTraining` adds the language-model softmax." if softmax else ".")
        ),
        source=f"bilm-tf's format (`options.json` + `weights.hdf5`): {quoted}",
        made_with=made_with,
        pipeline_tag="feature-extraction",
        usage=ELMO_USAGE,
    )
