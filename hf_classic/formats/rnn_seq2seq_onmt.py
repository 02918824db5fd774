"""OpenNMT-py 3.x RNN checkpoints → `RnnSeq2SeqForConditionalGeneration` plus `RnnSeq2SeqTokenizer`.

A checkpoint is a `torch.save`d dict with `model` (encoder/decoder weights), `generator` (output layer),
`vocab` (`src`/`tgt` token lists, position = id) and `opt` (an `argparse.Namespace` of training options).
It is loaded with `torch.load(weights_only=True)` allowing only `argparse.Namespace`, never an unrestricted
unpickle. The weight correspondence (OpenNMT-py 3.5.1 names → ours):

| OpenNMT-py | hf_classic |
|---|---|
| `encoder.embeddings.make_embedding.emb_luts.0.weight` | `model.encoder.embed_tokens.weight` |
| `encoder.rnn.{weight,bias}_{ih,hh}_l{k}[_reverse]` | `model.encoder.rnn.…` (same names) |
| `decoder.embeddings.make_embedding.emb_luts.0.weight` | `model.decoder.embed_tokens.weight` (absent when shared) |
| `decoder.rnn.layers.{k}.{weight,bias}_{ih,hh}` (input feeding) | `model.decoder.rnn.{weight,bias}_{ih,hh}_l{k}` |
| `decoder.rnn.{weight,bias}_{ih,hh}_l{k}` (no input feeding) | `model.decoder.rnn.…` (same names) |
| `decoder.attn.linear_in` (general) / `linear_query` (mlp) | `model.decoder.attention.query_proj` |
| `decoder.attn.linear_context`, `v` (mlp) | `model.decoder.attention.key_proj`, `v` |
| `decoder.attn.linear_out` | `model.decoder.attention.output_proj` |
| `generator.{weight,bias}` | `lm_head.{weight,bias}` |

Options that change the computation and that the family does not implement (copy attention, coverage,
context gates, bridges, source features, sparsemax, transformer or CNN encoders, ...) raise
`UnsupportedOnmtOptionError` naming the option, so a conversion never yields a silently different model.
"""

from __future__ import annotations

import argparse
import logging
import os
import pickle
import re
import zipfile
from pathlib import Path

import torch

from ..errors import HfClassicError, InputFileError
from ..rnn_seq2seq import RnnSeq2SeqConfig, RnnSeq2SeqForConditionalGeneration, RnnSeq2SeqTokenizer
from ..utils.atomic import atomic_output_dir
from ..utils.files import existing_file

logger = logging.getLogger(__name__)

SPECIAL_TOKENS = ("<unk>", "<blank>", "<s>", "</s>")
ATTENTION_SCORES = {"dot": "dot", "general": "general", "mlp": "concat"}

# Options whose non-default value changes the model; each value is the default that we support.
NEUTRAL_OPTIONS = {
    "copy_attn": False,
    "reuse_copy_attn": False,
    "coverage_attn": False,
    "context_gate": None,
    "bridge": False,
    "position_encoding": False,
    "global_attention_function": "softmax",
    "generator_function": "softmax",
    "src_feats": None,
    "model_task": "seq2seq",
    "model_type": "text",
    "decoder_type": "rnn",
    "lambda_align": 0.0,
    "freeze_word_vecs_dec": False,
}


class UnsupportedOnmtOptionError(HfClassicError):
    """The checkpoint uses an OpenNMT-py option that the RNN encoder-decoder family does not implement."""


def load_onmt_checkpoint(path: str | os.PathLike) -> dict:
    """Load an OpenNMT-py checkpoint safely (tensors, containers, strings and `argparse.Namespace` only).

    Raises `InputFileError` naming the file for a missing, truncated or non-checkpoint file, or one without
    the keys `model`, `generator`, `vocab` and `opt`.
    """
    path = existing_file(path, "OpenNMT-py checkpoint")
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputFileError(f"{path}: not a readable OpenNMT-py checkpoint ({first_line})") from error
    if not isinstance(checkpoint, dict):
        raise InputFileError(f"{path}: not an OpenNMT-py checkpoint (a {type(checkpoint).__name__}, not a dict)")
    missing = [key for key in ("model", "generator", "vocab", "opt") if key not in checkpoint]
    if missing:
        raise InputFileError(f"{path}: not an OpenNMT-py checkpoint (keys {missing} are missing)")
    if not isinstance(checkpoint["opt"], argparse.Namespace):
        raise InputFileError(f"{path}: 'opt' is a {type(checkpoint['opt']).__name__}, not an argparse.Namespace")
    return checkpoint


def config_from_onmt(opt: argparse.Namespace, vocab: dict, path: str | os.PathLike) -> RnnSeq2SeqConfig:
    """Our configuration for the model that `opt` describes; unsupported options raise, naming the option."""
    options = vars(opt)

    def unsupported(key, expected):
        raise UnsupportedOnmtOptionError(
            f"{path}: OpenNMT-py option {key}={options.get(key)!r} is not supported (supported: {expected})"
        )

    if options.get("encoder_type") not in ("rnn", "brnn"):
        unsupported("encoder_type", "rnn, brnn; this converter handles RNN models only")
    if options.get("decoder_type", "rnn") != "rnn":
        unsupported("decoder_type", "rnn")
    if options.get("rnn_type") not in ("LSTM", "GRU"):
        unsupported("rnn_type", "LSTM, GRU")
    if options.get("global_attention") not in ATTENTION_SCORES:
        unsupported("global_attention", ", ".join(ATTENTION_SCORES))
    for key, default in NEUTRAL_OPTIONS.items():
        if options.get(key, default) not in (default, None, False, "", []):
            unsupported(key, repr(default))
    for encoder_key, decoder_key in (("enc_layers", "dec_layers"), ("enc_hid_size", "dec_hid_size")):
        if options.get(encoder_key) != options.get(decoder_key):
            unsupported(
                decoder_key, f"{encoder_key}={options.get(encoder_key)!r} (the decoder starts from the encoder's state)"
            )
    share_embeddings = bool(options.get("share_embeddings"))
    tie_output = bool(options.get("share_decoder_embeddings"))
    dropout = options.get("dropout", 0.0)
    config = RnnSeq2SeqConfig(
        cell=options["rnn_type"].lower(),
        num_layers=int(options["enc_layers"]),
        embedding_size=int(options["src_word_vec_size"]),
        decoder_embedding_size=int(options["tgt_word_vec_size"]),
        hidden_size=int(options["dec_hid_size"]),
        bidirectional_encoder=options["encoder_type"] == "brnn",
        dropout=float(dropout[0] if isinstance(dropout, list | tuple) else dropout),
        vocab_size=len(vocab["src"]),
        decoder_vocab_size=len(vocab["tgt"]),
        shared_vocabulary=share_embeddings or list(vocab["src"]) == list(vocab["tgt"]),
        share_embeddings=share_embeddings,
        tie_word_embeddings=tie_output,
        attention="luong",
        attention_score=ATTENTION_SCORES[options["global_attention"]],
        attention_output_activation="none" if options["global_attention"] == "mlp" else "tanh",
        attention_output_bias=options["global_attention"] == "mlp",
        input_feeding=bool(options.get("input_feed", 1)),
        **special_token_ids(vocab, path),
    )
    return config


def special_token_ids(vocab: dict, path: str | os.PathLike) -> dict[str, int]:
    """Ids of `<unk>`, `<blank>` (padding), `<s>` and `</s>`, which must be the same in both vocabularies."""
    ids = {}
    for key, token in zip(
        ("unk_token_id", "pad_token_id", "bos_token_id", "eos_token_id"), SPECIAL_TOKENS, strict=True
    ):
        found = []
        for side in ("src", "tgt"):
            if token not in vocab[side]:
                raise InputFileError(f"{path}: vocab['{side}'] has no {token!r} token")
            found.append(vocab[side].index(token))
        if found[0] != found[1]:
            raise InputFileError(f"{path}: {token!r} has id {found[0]} in vocab['src'] but {found[1]} in vocab['tgt']")
        ids[key] = found[0]
    start = vocab.get("decoder_start_token", "<s>")
    if start not in vocab["tgt"]:
        raise InputFileError(f"{path}: decoder_start_token {start!r} is not in vocab['tgt']")
    ids["decoder_start_token_id"] = vocab["tgt"].index(start)
    return ids


def state_dict_from_onmt(checkpoint: dict, config: RnnSeq2SeqConfig, path: str | os.PathLike) -> dict:
    """Rename the checkpoint's tensors to ours; any tensor left unmapped raises, naming it."""
    weights = dict(checkpoint["model"])
    renamed = {}

    def move(source: str, target: str) -> None:
        if source not in weights:
            raise InputFileError(f"{path}: weight {source!r} is missing from checkpoint['model']")
        renamed[target] = weights.pop(source)

    move("encoder.embeddings.make_embedding.emb_luts.0.weight", "model.encoder.embed_tokens.weight")
    decoder_embedding = "decoder.embeddings.make_embedding.emb_luts.0.weight"
    if config.share_embeddings:
        if decoder_embedding in weights and not torch.equal(
            weights.pop(decoder_embedding), renamed["model.encoder.embed_tokens.weight"]
        ):
            raise InputFileError(f"{path}: share_embeddings is set but the two embedding matrices differ")
    else:
        move(decoder_embedding, "model.decoder.embed_tokens.weight")
    for name in [key for key in weights if key.startswith("encoder.rnn.")]:
        move(name, "model." + name)
    for name in [key for key in weights if key.startswith("decoder.rnn.")]:
        stacked = re.fullmatch(r"decoder\.rnn\.layers\.(\d+)\.(weight|bias)_(ih|hh)", name)
        if stacked:
            layer, kind, gate = stacked.groups()
            move(name, f"model.decoder.rnn.{kind}_{gate}_l{layer}")
        else:
            move(name, "model." + name)
    attention = {
        "linear_in": "query_proj",
        "linear_query": "query_proj",
        "linear_context": "key_proj",
        "v": "v",
        "linear_out": "output_proj",
    }
    for name in [key for key in weights if key.startswith("decoder.attn.")]:
        module, _, parameter = name.removeprefix("decoder.attn.").partition(".")
        if module in attention:
            move(name, f"model.decoder.attention.{attention[module]}.{parameter}")
    if weights:
        raise UnsupportedOnmtOptionError(
            f"{path}: checkpoint['model'] holds weights of modules this converter does not support: {sorted(weights)}"
        )
    generator = dict(checkpoint["generator"])
    generator = {key.removeprefix("0."): value for key, value in generator.items()}
    if set(generator) - {"weight", "bias"} or "weight" not in generator:
        raise UnsupportedOnmtOptionError(f"{path}: checkpoint['generator'] has keys {sorted(generator)}")
    renamed["lm_head.weight"] = generator["weight"]
    renamed["lm_head.bias"] = generator.get("bias", torch.zeros(generator["weight"].shape[0]))
    return renamed


def convert_onmt_checkpoint(
    path: str | os.PathLike,
) -> tuple[RnnSeq2SeqForConditionalGeneration, RnnSeq2SeqTokenizer]:
    """An OpenNMT-py RNN checkpoint as our model (eval mode) and tokenizer, computing the same translations."""
    checkpoint = load_onmt_checkpoint(path)
    vocab = checkpoint["vocab"]
    for side in ("src", "tgt"):
        if not isinstance(vocab.get(side), list):
            raise InputFileError(f"{path}: checkpoint['vocab']['{side}'] is not a token list (OpenNMT-py 3.x format)")
    config = config_from_onmt(checkpoint["opt"], vocab, path)
    state_dict = state_dict_from_onmt(checkpoint, config, path)
    model = RnnSeq2SeqForConditionalGeneration(config)
    expected = model.state_dict()
    for name, tensor in state_dict.items():
        if name not in expected:
            raise UnsupportedOnmtOptionError(f"{path}: weight {name!r} does not fit the options in checkpoint['opt']")
        if tuple(tensor.shape) != tuple(expected[name].shape):
            raise InputFileError(
                f"{path}: {name} has shape {tuple(tensor.shape)} but the options and vocabularies "
                f"(src {config.vocab_size}, tgt {config.decoder_vocab_size} tokens) give {tuple(expected[name].shape)}"
            )
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    tied = {"lm_head.weight"} if config.tie_word_embeddings else set()
    if set(missing) - tied or unexpected:
        raise InputFileError(f"{path}: weights missing after conversion: {sorted(set(missing) - tied)}")
    model.eval()
    model.generation_config.decoder_start_token_id = config.decoder_start_token_id
    model.generation_config.bos_token_id = config.bos_token_id
    model.generation_config.eos_token_id = config.eos_token_id
    model.generation_config.pad_token_id = config.pad_token_id
    # onmt_translate's default beam size, and beam scores as its `-length_penalty none` (sum of log-probabilities).
    model.generation_config.num_beams = 5
    model.generation_config.length_penalty = 0.0
    tokenizer = RnnSeq2SeqTokenizer.from_vocabularies(vocab["src"], vocab["tgt"], specials=SPECIAL_TOKENS)
    return model, tokenizer


def convert_onmt_to_directory(path: str | os.PathLike, output_dir: str | os.PathLike, overwrite: bool = False) -> Path:
    """Convert `path` and save model and tokenizer in `output_dir` (written whole or not at all)."""
    model, tokenizer = convert_onmt_checkpoint(path)
    with atomic_output_dir(output_dir, overwrite=overwrite) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    logger.info("converted %s into %s", path, output_dir)
    return Path(output_dir)


__all__ = [
    "UnsupportedOnmtOptionError",
    "config_from_onmt",
    "convert_onmt_checkpoint",
    "convert_onmt_to_directory",
    "load_onmt_checkpoint",
]
