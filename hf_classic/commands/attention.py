"""`hf-classic attention-map MODEL_DIR "sentence" --output map.png`: a heatmap of a model's attention.

Dispatches on the folder's `model_type`: an RNN encoder-decoder (`rnn_seq2seq`) translates the sentence and
draws the attention of each target token over the source; a native transformer (BERT, GPT-2, ...) draws its
self-attention over the sentence for one layer and head (`--layer`, `--head`) or their mean.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ..errors import HfClassicError, InputFileError
from ..utils.atomic import atomic_output_file, check_output_free
from ..utils.files import existing_dir, loading_folder
from .rnn_seq2seq import add_generation_arguments, run_attention_map

logger = logging.getLogger(__name__)

NO_ATTENTION = ("word2vec", "elmo")
TOP_TOKENS = 5


def layer_or_mean(text: str) -> int | None:
    """`"mean"` → None (average); an integer (0-based, negative from the end) → that index."""
    if text == "mean":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected an integer index or 'mean'") from None


def folder_model_type(model_dir: str) -> str:
    from transformers import AutoConfig

    existing_dir(model_dir)
    with loading_folder(model_dir):
        return AutoConfig.from_pretrained(model_dir).model_type


def load_with_attention(model_dir: str):
    """`(model, tokenizer)` of a native transformer folder, with the eager attention that returns weights."""
    from transformers import AutoModel, AutoTokenizer

    with loading_folder(model_dir, "cannot load with eager attention"):
        model = AutoModel.from_pretrained(model_dir, attn_implementation="eager")
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
    return model.eval(), tokenizer


def describe_rows(attention, word: str) -> str:
    """One line per row whose token is `word` (case-insensitive): the tokens it attends to most."""
    lines = []
    for row, token in enumerate(attention.target_tokens):
        if token.lower() != word.lower():
            continue
        order = attention.weights[row].argsort()[::-1][:TOP_TOKENS]
        read = ", ".join(f"{attention.source_tokens[column]} {attention.weights[row, column]:.2f}" for column in order)
        lines.append(f"{token} (position {row}) -> {read}")
    if not lines:
        raise HfClassicError(
            f"--word {word!r}: no token of the sentence is {word!r}; tokens: {attention.target_tokens}"
        )
    return "\n".join(lines) + "\n"


def run_self_attention_map(args: argparse.Namespace) -> None:
    from ..plots.rnn_seq2seq_attention import save_attention_png
    from ..plots.self_attention import self_attention_map

    check_output_free(args.output, args.overwrite)
    model, tokenizer = load_with_attention(args.model_dir)
    layer = -1 if args.layer is None else args.layer
    head = None if args.head is None else args.head
    attention = self_attention_map(model, tokenizer, args.sentence, layer=layer, head=head)
    if args.word:
        sys.stdout.write(describe_rows(attention, args.word))
    layer_name = "mean of layers" if layer is None else f"layer {layer}"
    head_name = "mean of heads" if head is None else f"head {head}"
    with atomic_output_file(args.output, overwrite=args.overwrite) as tmp:
        save_attention_png(
            attention,
            tmp,
            title=f"{args.sentence}\n{model.config.model_type}: {layer_name}, {head_name}",
            axis_names=("attended token", "attending token"),
        )
    logger.info("wrote %s (%d × %d tokens)", args.output, *attention.weights.shape)


def run(args: argparse.Namespace) -> None:
    model_type = folder_model_type(args.model_dir)
    if model_type == "rnn_seq2seq":
        if args.layer is not None or args.head is not None or args.word:
            raise HfClassicError("--layer, --head and --word apply to transformers' self-attention, not rnn_seq2seq")
        run_attention_map(args)
    elif model_type in NO_ATTENTION:
        raise InputFileError(f"{args.model_dir}: model_type {model_type!r} has no attention to draw")
    else:
        run_self_attention_map(args)


def register(verbs, families) -> None:
    """Add `hf-classic attention-map` to the parser."""
    heatmap = verbs.add_parser(
        "attention-map", help="PNG heatmap of an RNN encoder-decoder's attention or a transformer's self-attention"
    )
    heatmap.add_argument("model_dir", help="rnn_seq2seq folder, or a native transformer folder (BERT, GPT-2, ...)")
    heatmap.add_argument("sentence", help="source sentence to translate (rnn_seq2seq), or sentence to read")
    heatmap.add_argument("--output", default="attention.png", help="PNG file to write (default: attention.png)")
    heatmap.add_argument("--overwrite", action="store_true")
    transformer = heatmap.add_argument_group("self-attention (transformers)")
    transformer.add_argument(
        "--layer", type=layer_or_mean, help="layer index, 0-based, negative from the end, or 'mean' (default: -1)"
    )
    transformer.add_argument("--head", type=layer_or_mean, help="head index, 0-based, or 'mean' (default: mean)")
    transformer.add_argument("--word", help="also print the tokens that this token attends to most")
    seq2seq = heatmap.add_argument_group("translation (rnn_seq2seq)")
    add_generation_arguments(seq2seq)
    heatmap.set_defaults(handler=run)
