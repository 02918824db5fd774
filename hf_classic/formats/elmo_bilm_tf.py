"""Read and write ELMo in bilm-tf's format: `options.json` + `weights.hdf5` (+ `vocab.txt`).

`weights.hdf5` holds one float32 dataset per TensorFlow variable, as bilm-tf's `dump_weights` writes it and as
AllenNLP's `Elmo` reads it:

| dataset | shape | our parameter |
| --- | --- | --- |
| `char_embed` | `(n_characters - 1, char_dim)` | `char_embeddings.weight[1:]` (row 0, the padding id, is 0) |
| `CNN/W_cnn_{i}`, `CNN/b_cnn_{i}` | `(1, width, char_dim, number)`, `(number,)` | `convolutions.{i}` (`W[0].T`) |
| `CNN_high_{k}/W_carry`, `b_carry`, `W_transform`, `b_transform` | `(F, F)`, `(F,)` | `highways.{k}.carry`, `.transform` (`W.T`) |
| `CNN_proj/W_proj`, `b_proj` | `(F, P)`, `(P,)` | `projection` (`W.T`) |
| `RNN_{d}/RNN/MultiRNNCell/Cell{l}/LSTMCell/W_0` | `(P + P, 4 H)` | `layers.{l}`: `[input_weight[d]; recurrent_weight[d]]` |
| `.../LSTMCell/B` | `(4 H,)` | `layers.{l}.bias[d]` (gates i, j, f, o; no forget bias) |
| `.../LSTMCell/W_P_0` | `(H, P)` | `layers.{l}.projection_weight[d]` |
| `softmax/W`, `softmax/b` (ours; bilm-tf leaves them out) | `(V, P)`, `(V,)` | `lm_head` |

`d` is 0 for the forward LM and 1 for the backward one. Every error names the file, the key or dataset, and the
expected and found values. Each dataset's shape and type are checked against the options before it is read and
before the model is built, so damaged or crafted files never allocate more than they hold.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
import torch
from huggingface_hub.errors import StrictDataclassError

from ..cards.elmo import converted_card
from ..elmo import ElmoConfig, ElmoForPreTraining, ElmoModel, ElmoTokenizer
from ..elmo.tokenization_elmo import check_vocabulary
from ..errors import InputFileError
from ..hub import write_model_card
from ..utils.atomic import atomic_output_dir, check_output_free
from ..utils.files import existing_dir, existing_file

LSTM_PREFIX = "RNN_{direction}/RNN/MultiRNNCell/Cell{layer}/LSTMCell"


def read_options(path: str | os.PathLike) -> ElmoConfig:
    """The `ElmoConfig` of a bilm-tf `options.json`; errors name the file and the missing or bad key."""
    path = existing_file(path, "options file")
    try:
        options = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise InputFileError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(options, dict):
        raise InputFileError(f"{path}: expected a JSON object, found {type(options).__name__}")
    if options.get("bidirectional") is False:
        raise InputFileError(f"{path}: key 'bidirectional': expected true (ELMo is a biLM), found false")
    try:
        return ElmoConfig.from_bilm_options(options)
    except KeyError as error:
        raise InputFileError(f"{path}: {error.args[0]}") from error
    except (ValueError, TypeError, StrictDataclassError) as error:
        raise InputFileError(f"{path}: {error}") from error


def parameter_layout(config: ElmoConfig) -> Iterator[tuple[str, tuple[int, ...]]]:
    """`(dataset, shape)` of every dataset that a `weights.hdf5` for `config` must hold (no softmax), in order
    (a generator, so that a reader stops at the first dataset missing)."""
    char_dim, n_filters, proj, cell = (
        config.char_embedding_dim,
        config.n_filters,
        config.projection_dim,
        config.lstm_dim,
    )
    yield "char_embed", (config.n_characters - 1, char_dim)
    for index, (width, number) in enumerate(config.filters):
        yield f"CNN/W_cnn_{index}", (1, width, char_dim, number)
        yield f"CNN/b_cnn_{index}", (number,)
    for index in range(config.n_highway):
        for kind in ("carry", "transform"):
            yield f"CNN_high_{index}/W_{kind}", (n_filters, n_filters)
            yield f"CNN_high_{index}/b_{kind}", (n_filters,)
    yield "CNN_proj/W_proj", (n_filters, proj)
    yield "CNN_proj/b_proj", (proj,)
    for direction in range(2):
        for layer in range(config.num_layers):
            prefix = LSTM_PREFIX.format(direction=direction, layer=layer)
            yield f"{prefix}/W_0", (2 * proj, 4 * cell)
            yield f"{prefix}/B", (4 * cell,)
            yield f"{prefix}/W_P_0", (cell, proj)


# The most a dataset may expand over the whole file's size (compressed HDF5); a larger declared size is a damaged
# or crafted file, reported before anything is allocated.
MAX_EXPANSION = 1024
HDF5_ERRORS = (OSError, RuntimeError, KeyError, ValueError, TypeError, AttributeError)


def _hdf5_failure(path: Path, what: str, error: Exception) -> InputFileError:
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return InputFileError(f"{path}: {what}: HDF5 could not read it ({detail}); the file is damaged")


def read_dataset(
    handle: h5py.File, path: Path, name: str, shape: tuple[int, ...], source: str = "the options"
) -> np.ndarray:
    """Dataset `name` as float32, checked against `shape` (which `source` gives) before it is read."""
    try:
        dataset = handle.get(name)
        found = dataset.shape if isinstance(dataset, h5py.Dataset) else None
        dtype = dataset.dtype if found is not None else None
    except HDF5_ERRORS as error:
        raise _hdf5_failure(path, f"dataset {name!r}", error) from error
    if found is None:
        raise InputFileError(
            f"{path}: dataset {name!r} not found (expected shape {shape}); the shape comes from {source}"
        )
    if found != shape:
        raise InputFileError(
            f"{path}: dataset {name!r}: expected shape {shape}, found {found}; the expected shape comes from {source}"
        )
    if dtype.kind not in "fiu":
        raise InputFileError(f"{path}: dataset {name!r}: expected float32 numbers, found dtype {dtype}")
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if declared > MAX_EXPANSION * max(path.stat().st_size, 1):
        raise InputFileError(
            f"{path}: dataset {name!r} declares shape {shape} ({declared} bytes), more than {MAX_EXPANSION} times "
            f"the file's {path.stat().st_size} bytes: the file is damaged"
        )
    try:
        return dataset[...].astype(np.float32)
    except HDF5_ERRORS as error:
        raise _hdf5_failure(path, f"dataset {name!r}", error) from error


def read_weights(
    config: ElmoConfig, path: str | os.PathLike, source: str = "the options"
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The biLM datasets of a bilm-tf `weights.hdf5` for `config`, each checked against `parameter_layout`
    before it is read (so a damaged file never allocates more than it can hold), and the softmax datasets
    present (`softmax/W (V, P)`, `softmax/b (V,)`, shapes checked against `config.projection_dim`)."""
    path = existing_file(path, "weights file")
    try:
        handle = h5py.File(path, "r")
    except HDF5_ERRORS as error:
        raise InputFileError(f"{path}: not an HDF5 file ({error})") from error
    with handle:
        arrays = {name: read_dataset(handle, path, name, shape, source) for name, shape in parameter_layout(config)}
        try:
            softmax_names = [name for name in ("softmax/W", "softmax/b") if name in handle]
        except HDF5_ERRORS as error:
            raise _hdf5_failure(path, "softmax", error) from error
        softmax = {}
        for name in softmax_names:
            rows = handle[name].shape[0] if isinstance(handle[name], h5py.Dataset) and handle[name].shape else 0
            shape = (rows, config.projection_dim) if name == "softmax/W" else (rows,)
            softmax[name] = read_dataset(handle, path, name, shape, f"projection_dim {config.projection_dim}")
    return arrays, softmax


def load_weights(model: ElmoModel, path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Copy the biLM weights of a bilm-tf `weights.hdf5` into `model`; return the softmax datasets present."""
    arrays, softmax = read_weights(model.config, path)
    put_weights(model, arrays)
    return softmax


def put_weights(model: ElmoModel, arrays: dict[str, np.ndarray]) -> None:
    """Copy the datasets read by `read_weights` into `model`'s parameters."""
    config = model.config
    encoder = model.bilm.character_encoder

    def put(parameter: torch.Tensor, value: np.ndarray):
        parameter.copy_(torch.from_numpy(np.ascontiguousarray(value)))

    with torch.no_grad():
        embed = arrays["char_embed"]
        put(encoder.char_embeddings.weight, np.concatenate([np.zeros_like(embed[:1]), embed]))
        for index, convolution in enumerate(encoder.convolutions):
            put(convolution.weight, arrays[f"CNN/W_cnn_{index}"][0].transpose(2, 1, 0))
            put(convolution.bias, arrays[f"CNN/b_cnn_{index}"])
        for index, highway in enumerate(encoder.highways):
            for kind in ("carry", "transform"):
                put(getattr(highway, kind).weight, arrays[f"CNN_high_{index}/W_{kind}"].T)
                put(getattr(highway, kind).bias, arrays[f"CNN_high_{index}/b_{kind}"])
        put(encoder.projection.weight, arrays["CNN_proj/W_proj"].T)
        put(encoder.projection.bias, arrays["CNN_proj/b_proj"])
        proj = config.projection_dim
        for number, layer in enumerate(model.bilm.layers):
            for direction in range(2):
                prefix = LSTM_PREFIX.format(direction=direction, layer=number)
                put(layer.input_weight[direction], arrays[f"{prefix}/W_0"][:proj])
                put(layer.recurrent_weight[direction], arrays[f"{prefix}/W_0"][proj:])
                put(layer.bias[direction], arrays[f"{prefix}/B"])
                put(layer.projection_weight[direction], arrays[f"{prefix}/W_P_0"])


def model_arrays(model: ElmoModel) -> dict[str, np.ndarray]:
    """The bilm-tf datasets of `model` (the inverse of `load_weights`)."""
    encoder = model.bilm.character_encoder

    def array(tensor: torch.Tensor) -> np.ndarray:
        return tensor.detach().to(torch.float32).cpu().numpy()

    arrays = {"char_embed": array(encoder.char_embeddings.weight)[1:]}
    for index, convolution in enumerate(encoder.convolutions):
        arrays[f"CNN/W_cnn_{index}"] = array(convolution.weight).transpose(2, 1, 0)[None]
        arrays[f"CNN/b_cnn_{index}"] = array(convolution.bias)
    for index, highway in enumerate(encoder.highways):
        for kind in ("carry", "transform"):
            arrays[f"CNN_high_{index}/W_{kind}"] = array(getattr(highway, kind).weight).T
            arrays[f"CNN_high_{index}/b_{kind}"] = array(getattr(highway, kind).bias)
    arrays["CNN_proj/W_proj"] = array(encoder.projection.weight).T
    arrays["CNN_proj/b_proj"] = array(encoder.projection.bias)
    for number, layer in enumerate(model.bilm.layers):
        for direction in range(2):
            prefix = LSTM_PREFIX.format(direction=direction, layer=number)
            arrays[f"{prefix}/W_0"] = np.concatenate(
                [array(layer.input_weight[direction]), array(layer.recurrent_weight[direction])]
            )
            arrays[f"{prefix}/B"] = array(layer.bias[direction])
            arrays[f"{prefix}/W_P_0"] = array(layer.projection_weight[direction])
    return arrays


def read_vocabulary_file(path: str | os.PathLike) -> list[str]:
    """Words of a bilm-tf `vocab.txt` (one per line, stripped), checked for `<S>`, `</S>`, `<UNK>` and repeats."""
    path = existing_file(path, "vocabulary file")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputFileError(f"{path}: line {line} (byte {error.start}): not valid UTF-8 ({error.reason})") from None
    words = [line.strip() for line in text.splitlines()]
    try:
        check_vocabulary(words, str(path))
    except ValueError as error:
        raise InputFileError(str(error)) from error
    return words


def convert(
    options: str | os.PathLike, weights: str | os.PathLike, vocab: str | os.PathLike | None = None
) -> tuple[ElmoModel | ElmoForPreTraining, ElmoTokenizer]:
    """Build the model and tokenizer of a bilm-tf model.

    Without `vocab`, an `ElmoModel`. With `vocab`, its size must equal `n_tokens_vocab` when the options give
    one; if `weights` holds `softmax/W` and `softmax/b` (of shapes `(V, P)`, `(V,)`) the result is an
    `ElmoForPreTraining` with that softmax, else an `ElmoModel` whose tokenizer has the vocabulary.
    """
    config = read_options(options)
    words = read_vocabulary_file(vocab) if vocab is not None else None
    if words is not None:
        if config.vocab_size and config.vocab_size != len(words):
            raise InputFileError(
                f"{options}: key 'n_tokens_vocab': expected {len(words)} (the words in {vocab}), found {config.vocab_size}"
            )
        config.vocab_size = len(words)
    arrays, softmax = read_weights(config, weights, source=str(options))
    base = ElmoModel(config)
    put_weights(base, arrays)
    if words is None:
        return base, ElmoTokenizer(max_characters_per_token=config.max_characters_per_token)
    tokenizer = ElmoTokenizer.from_words(words, max_characters_per_token=config.max_characters_per_token)
    if not softmax:
        return base, tokenizer
    shapes = {"softmax/W": (len(words), config.projection_dim), "softmax/b": (len(words),)}
    for name, shape in shapes.items():
        found = softmax[name].shape if name in softmax else None
        if found != shape:
            what = f"found {found}" if found is not None else "not found"
            raise InputFileError(f"{weights}: dataset {name!r}: expected shape {shape} for {vocab}, {what}")
    model = ElmoForPreTraining(config)
    model.elmo.load_state_dict(base.state_dict())
    with torch.no_grad():
        model.lm_head.weight.copy_(torch.from_numpy(softmax["softmax/W"]))
        model.lm_head.bias.copy_(torch.from_numpy(softmax["softmax/b"]))
    return model, tokenizer


def convert_to_directory(
    options: str | os.PathLike,
    weights: str | os.PathLike,
    output_dir: str | os.PathLike,
    vocab: str | os.PathLike | None = None,
    overwrite: bool = False,
) -> Path:
    """Convert a bilm-tf model into a transformers directory (config, safetensors, tokenizer), atomically."""
    check_output_free(output_dir, overwrite)
    model, tokenizer = convert(options, weights, vocab)
    with atomic_output_dir(output_dir, overwrite=overwrite) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        write_model_card(tmp, converted_card(model, options, weights, vocab))
    return Path(output_dir)


def export(
    model: ElmoModel | ElmoForPreTraining, output_dir: str | os.PathLike, tokenizer=None, overwrite=False
) -> Path:
    """Write `options.json` + `weights.hdf5` (+ `vocab.txt` and the softmax when there is one), atomically."""
    base = model.elmo if isinstance(model, ElmoForPreTraining) else model
    arrays = model_arrays(base)
    if isinstance(model, ElmoForPreTraining):
        arrays["softmax/W"] = model.lm_head.weight.detach().float().cpu().numpy()
        arrays["softmax/b"] = model.lm_head.bias.detach().float().cpu().numpy()
    with atomic_output_dir(output_dir, overwrite=overwrite) as tmp:
        (tmp / "options.json").write_text(json.dumps(base.config.to_bilm_options()), encoding="utf-8")
        with h5py.File(tmp / "weights.hdf5", "w") as handle:
            for name, value in arrays.items():
                handle.create_dataset(name, data=value, dtype="float32")
        if tokenizer is not None and tokenizer.vocab_size:
            tokenizer.save_vocabulary(str(tmp))
    return Path(output_dir)


def export_directory(model_dir: str | os.PathLike, output_dir: str | os.PathLike, overwrite: bool = False) -> Path:
    """Export a saved ELMo model directory (with its tokenizer, if saved) to bilm-tf's files."""
    model_dir = existing_dir(model_dir)
    check_output_free(output_dir, overwrite)
    config_path = existing_file(model_dir / "config.json", "model config")
    model_type = json.loads(config_path.read_text(encoding="utf-8")).get("model_type")
    if model_type != ElmoConfig.model_type:
        raise InputFileError(f"{config_path}: key 'model_type': expected 'elmo', found {model_type!r}")
    config = ElmoConfig.from_pretrained(model_dir)
    architectures = config.architectures or []
    model_class = ElmoForPreTraining if "ElmoForPreTraining" in architectures else ElmoModel
    model = model_class.from_pretrained(model_dir, dtype=torch.float32)
    tokenizer = ElmoTokenizer.from_pretrained(model_dir) if (model_dir / "tokenizer_config.json").exists() else None
    return export(model, output_dir, tokenizer=tokenizer, overwrite=overwrite)


__all__ = [
    "convert",
    "convert_to_directory",
    "export",
    "export_directory",
    "load_weights",
    "model_arrays",
    "parameter_layout",
    "put_weights",
    "read_options",
    "read_weights",
]
