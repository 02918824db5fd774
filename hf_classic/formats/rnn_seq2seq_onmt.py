"""OpenNMT-py 3.x RNN checkpoints ↔ `RnnSeq2SeqForConditionalGeneration` plus `RnnSeq2SeqTokenizer`.

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
Export (`export_onmt_checkpoint`) writes the same layout back, for the models OpenNMT-py can express.
"""

from __future__ import annotations

import argparse
import logging
import os
import pickle
import re
import struct
import zipfile
from pathlib import Path

import torch
from huggingface_hub.errors import StrictDataclassError

from ..cards.rnn_seq2seq import converted_card
from ..errors import HfClassicError, InputFileError
from ..hub import write_model_card
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
        raise InputFileError(f"{path}: not a readable OpenNMT-py checkpoint ({_first_line(error)})") from error
    except (KeyError, IndexError, TypeError, AttributeError, OverflowError, struct.error, MemoryError) as error:
        # torch.load's own parsing of a damaged archive or pickle stream fails with these.
        raise InputFileError(f"{path}: damaged checkpoint, torch.load failed ({_first_line(error)})") from error
    if not isinstance(checkpoint, dict):
        raise InputFileError(f"{path}: not an OpenNMT-py checkpoint (a {type(checkpoint).__name__}, not a dict)")
    missing = [key for key in ("model", "generator", "vocab", "opt") if key not in checkpoint]
    if missing:
        raise InputFileError(f"{path}: not an OpenNMT-py checkpoint (keys {missing} are missing)")
    if not isinstance(checkpoint["opt"], argparse.Namespace):
        raise InputFileError(f"{path}: 'opt' is a {type(checkpoint['opt']).__name__}, not an argparse.Namespace")
    for key in ("model", "generator"):
        part = checkpoint[key]
        if not isinstance(part, dict) or not all(
            isinstance(name, str) and isinstance(value, torch.Tensor) for name, value in part.items()
        ):
            raise InputFileError(f"{path}: checkpoint[{key!r}] is not a dict of named tensors")
    vocab = checkpoint["vocab"]
    if not isinstance(vocab, dict):
        raise InputFileError(f"{path}: checkpoint['vocab'] is a {type(vocab).__name__}, not a dict")
    for side in ("src", "tgt"):
        tokens = vocab.get(side)
        if not isinstance(tokens, list) or not all(isinstance(token, str) for token in tokens):
            raise InputFileError(
                f"{path}: checkpoint['vocab'][{side!r}] is not a list of tokens (OpenNMT-py 3.x format)"
            )
    return checkpoint


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


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
    special_ids = special_token_ids(vocab, path)
    try:
        return _config(options, vocab, share_embeddings, tie_output, dropout, special_ids)
    except KeyError as error:
        raise InputFileError(f"{path}: checkpoint['opt'] has no option {error.args[0]!r}") from None
    except (ValueError, TypeError, OverflowError, StrictDataclassError) as error:
        raise InputFileError(f"{path}: checkpoint['opt'] does not give a valid model: {_first_line(error)}") from None


def _config(options: dict, vocab: dict, share_embeddings, tie_output, dropout, special_ids) -> RnnSeq2SeqConfig:
    return RnnSeq2SeqConfig(
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
        **special_ids,
    )


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
    return model_from_onmt(load_onmt_checkpoint(path), path)


def model_from_onmt(
    checkpoint: dict, path: str | os.PathLike
) -> tuple[RnnSeq2SeqForConditionalGeneration, RnnSeq2SeqTokenizer]:
    """Our model (eval mode) and tokenizer of a loaded checkpoint (`load_onmt_checkpoint`); `path` names it in errors."""
    vocab = checkpoint["vocab"]
    for side in ("src", "tgt"):
        if not isinstance(vocab.get(side), list):
            raise InputFileError(f"{path}: checkpoint['vocab']['{side}'] is not a token list (OpenNMT-py 3.x format)")
    config = config_from_onmt(checkpoint["opt"], vocab, path)
    state_dict = state_dict_from_onmt(checkpoint, config, path)
    with torch.device("meta"):
        # Shapes only: options that declare a huge model are caught below before anything is allocated.
        expected = RnnSeq2SeqForConditionalGeneration(config).state_dict()
    for name, tensor in state_dict.items():
        if name not in expected:
            raise UnsupportedOnmtOptionError(f"{path}: weight {name!r} does not fit the options in checkpoint['opt']")
        if tuple(tensor.shape) != tuple(expected[name].shape):
            raise InputFileError(
                f"{path}: {name} has shape {tuple(tensor.shape)} but the options and vocabularies "
                f"(src {config.vocab_size}, tgt {config.decoder_vocab_size} tokens) give {tuple(expected[name].shape)}"
            )
    model = RnnSeq2SeqForConditionalGeneration(config)
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
    try:
        tokenizer = RnnSeq2SeqTokenizer.from_vocabularies(vocab["src"], vocab["tgt"], specials=SPECIAL_TOKENS)
    except ValueError as error:
        raise InputFileError(f"{path}: checkpoint['vocab']: {error}") from None
    return model, tokenizer


def convert_onmt_to_directory(path: str | os.PathLike, output_dir: str | os.PathLike, overwrite: bool = False) -> Path:
    """Convert `path` and save model, tokenizer and model card in `output_dir` (written whole or not at all)."""
    checkpoint = load_onmt_checkpoint(path)
    model, tokenizer = model_from_onmt(checkpoint, path)
    with atomic_output_dir(output_dir, overwrite=overwrite) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        write_model_card(tmp, converted_card(model.config, path, checkpoint["opt"]))
    logger.info("converted %s into %s", path, output_dir)
    return Path(output_dir)


ONMT_SCORES = {("dot", "tanh", False): "dot", ("general", "tanh", False): "general", ("concat", "none", True): "mlp"}


def onmt_options(config: RnnSeq2SeqConfig) -> argparse.Namespace:
    """The OpenNMT-py 3.x model options of `config`; settings OpenNMT-py's RNN models lack raise, naming them.

    Model options (and the three training options its model builder reads) are given: OpenNMT-py fills every
    other option with its default when it loads the checkpoint (`ArgumentParser.ckpt_model_opts`).
    """
    key = (config.attention_score, config.attention_output_activation, config.attention_output_bias)
    if config.attention != "luong" or key not in ONMT_SCORES:
        raise UnsupportedOnmtOptionError(
            f"attention={config.attention!r}, attention_score={config.attention_score!r}, "
            f"attention_output_activation={config.attention_output_activation!r}, "
            f"attention_output_bias={config.attention_output_bias!r} has no OpenNMT-py equivalent (it has luong "
            "dot or general with tanh and no bias, and concat without activation and with a bias, as 'mlp')"
        )
    same_embeddings = config.embedding_size == config.decoder_embedding_size
    return argparse.Namespace(
        model_task="seq2seq",
        data_task="seq2seq",
        model_type="text",
        encoder_type="brnn" if config.bidirectional_encoder else "rnn",
        decoder_type="rnn",
        brnn=config.bidirectional_encoder,
        rnn_type=config.cell.upper(),
        layers=config.num_layers,
        enc_layers=config.num_layers,
        dec_layers=config.num_layers,
        hidden_size=config.hidden_size,
        enc_hid_size=config.hidden_size,
        dec_hid_size=config.hidden_size,
        word_vec_size=config.embedding_size if same_embeddings else -1,
        src_word_vec_size=config.embedding_size,
        tgt_word_vec_size=config.decoder_embedding_size,
        input_feed=int(config.input_feeding),
        global_attention=ONMT_SCORES[key],
        global_attention_function="softmax",
        share_embeddings=config.share_embeddings,
        share_decoder_embeddings=config.tie_word_embeddings,
        share_vocab=config.shared_vocabulary,
        dropout=[float(config.dropout)],
        attention_dropout=[float(config.dropout)],
        bridge=False,
        context_gate=None,
        copy_attn=False,
        coverage_attn=False,
        position_encoding=False,
        freeze_word_vecs_enc=False,
        freeze_word_vecs_dec=False,
        optim="adam",
        decoder_start_token=SPECIAL_TOKENS[2],
        default_specials=list(SPECIAL_TOKENS),
        src_vocab_size=config.vocab_size,
        tgt_vocab_size=config.decoder_vocab_size,
    )


def onmt_vocabulary(tokenizer: RnnSeq2SeqTokenizer, config: RnnSeq2SeqConfig) -> dict:
    """`{"src": [...], "tgt": [...]}` token lists by id, our special tokens renamed to OpenNMT-py's."""
    from tokenizers.models import WordLevel

    renamed = dict(
        zip(
            (config.unk_token_id, config.pad_token_id, config.bos_token_id, config.eos_token_id),
            SPECIAL_TOKENS,
            strict=True,
        )
    )
    lists = {}
    for side, backend, size in (
        ("src", tokenizer.source_backend, config.vocab_size),
        ("tgt", tokenizer.target_backend, config.decoder_vocab_size),
    ):
        if not isinstance(backend.model, WordLevel):
            raise UnsupportedOnmtOptionError(
                f"the {side} vocabulary is {type(backend.model).__name__}; OpenNMT-py checkpoints hold word lists, so "
                "only word-level tokenizers can be exported"
            )
        vocab = backend.get_vocab(with_added_tokens=True)
        if sorted(vocab.values()) != list(range(size)):
            raise InputFileError(
                f"the {side} vocabulary has {len(vocab)} tokens, but the model expects ids 0..{size - 1}"
            )
        tokens = [None] * size
        for token, index in vocab.items():
            tokens[index] = renamed.get(index, token)
        lists[side] = tokens
    return {**lists, "data_task": "seq2seq", "decoder_start_token": SPECIAL_TOKENS[2]}


def onmt_state(model: RnnSeq2SeqForConditionalGeneration) -> tuple[dict, dict]:
    """`(checkpoint["model"], checkpoint["generator"])`: our weights under OpenNMT-py's names."""
    config = model.config
    ours = {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}
    state = {"encoder.embeddings.make_embedding.emb_luts.0.weight": ours.pop("model.encoder.embed_tokens.weight")}
    decoder_embedding = ours.pop("model.decoder.embed_tokens.weight", None)
    state["decoder.embeddings.make_embedding.emb_luts.0.weight"] = (
        state["encoder.embeddings.make_embedding.emb_luts.0.weight"] if decoder_embedding is None else decoder_embedding
    )
    modules = {"query_proj": "linear_in" if config.attention_score == "general" else "linear_query"}
    modules.update(key_proj="linear_context", v="v", output_proj="linear_out")
    generator = {"weight": ours.pop("lm_head.weight"), "bias": ours.pop("lm_head.bias")}
    for name, tensor in ours.items():
        if name.startswith("model.encoder.rnn."):
            state[name.removeprefix("model.")] = tensor
        elif name.startswith("model.decoder.rnn."):
            parameter = name.removeprefix("model.decoder.rnn.")
            kind, gate, layer = re.fullmatch(r"(weight|bias)_(ih|hh)_l(\d+)", parameter).groups()
            onmt_name = f"layers.{layer}.{kind}_{gate}" if config.input_feeding else parameter
            state[f"decoder.rnn.{onmt_name}"] = tensor
        elif name.startswith("model.decoder.attention."):
            module, _, parameter = name.removeprefix("model.decoder.attention.").partition(".")
            state[f"decoder.attn.{modules[module]}.{parameter}"] = tensor
        else:
            raise UnsupportedOnmtOptionError(f"weight {name!r} has no OpenNMT-py counterpart")
    return state, generator


def export_onmt_checkpoint(
    model: RnnSeq2SeqForConditionalGeneration, tokenizer: RnnSeq2SeqTokenizer, path: str | os.PathLike, overwrite=False
) -> Path:
    """Write an OpenNMT-py 3.x checkpoint (`model`, `generator`, `vocab`, `opt`, `optim` None) that
    `onmt_translate` loads and that translates as `model` does (word-level tokenizers only)."""
    from ..utils.atomic import atomic_output_file

    options = onmt_options(model.config)
    vocab = onmt_vocabulary(tokenizer, model.config)
    weights, generator = onmt_state(model)
    with atomic_output_file(path, overwrite=overwrite) as tmp:
        torch.save({"model": weights, "generator": generator, "vocab": vocab, "opt": options, "optim": None}, tmp)
    logger.info("exported %s", path)
    return Path(path)


def export_onmt_directory(model_dir: str | os.PathLike, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """`export_onmt_checkpoint` of a saved model directory."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir)
    if getattr(model.config, "model_type", None) != "rnn_seq2seq":
        raise InputFileError(f"{model_dir}: model_type is {model.config.model_type!r}, not 'rnn_seq2seq'")
    return export_onmt_checkpoint(model, AutoTokenizer.from_pretrained(model_dir), path, overwrite=overwrite)


__all__ = [
    "UnsupportedOnmtOptionError",
    "config_from_onmt",
    "convert_onmt_checkpoint",
    "convert_onmt_to_directory",
    "export_onmt_checkpoint",
    "export_onmt_directory",
    "load_onmt_checkpoint",
]
