"""Model cards for the folders hf_classic writes, and uploads to the Hugging Face Hub.

A card is the folder's `README.md`: the Hub's YAML metadata, then what the model is, how it was made, what
was measured, and how to load it with and without hf_classic. Uploads go through `huggingface_hub` and send
the folder as it is: weights, config with `auto_map`, tokenizer files, the family's code and the card.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

from huggingface_hub import ModelCard, ModelCardData

from .errors import HfClassicError
from .utils.files import existing_dir

CARD_FILE = "README.md"


@dataclass
class CardContent:
    """What a model card says.

    Args:
        family: the model family (`word2vec`, `elmo`, `rnn_seq2seq`), also a tag.
        title: the card's heading.
        summary: what the model is, in a sentence or two.
        made_with: how it was made, as label → value (corpus, tokens, each hyper-parameter, time, machine).
        results: what was measured, as label → value; nothing else is claimed.
        source: for converted models, the original format and file name.
        pipeline_tag, license, datasets, language: Hub metadata, where known (`language`: ISO 639-1 codes).
        auto_class: the Auto class of the usage snippet; usage: code lines after `model` and `tokenizer` load.
        remote_code: the folder carries its model code (hf_classic's families); False for transformers' own
            architectures (GPT-2, BERT), which load without `trust_remote_code` and without hf_classic.
    """

    family: str
    title: str
    summary: str
    made_with: dict[str, str] = field(default_factory=dict)
    results: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    pipeline_tag: str | None = None
    license: str | None = None
    datasets: list[str] | None = None
    language: list[str] | None = None
    auto_class: str = "AutoModel"
    usage: str = ""
    remote_code: bool = True


def describe_machine(device=None) -> str:
    """The machine a model was made on: `x86_64, 16 CPU cores`, plus the GPU's name when `device` is a CUDA device."""
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores"
    if device is not None and str(device).startswith("cuda"):
        import torch

        machine += f", {torch.cuda.get_device_name(device)}"
    return machine


def format_value(value) -> str:
    """A hyper-parameter or result as a card shows it: floats to 4 significant digits, lists as `a, b`."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(item) for item in value) if value else "-"
    return "-" if value is None else str(value)


def _table(rows: dict[str, str], header: tuple[str, str]) -> str:
    lines = [f"| {header[0]} | {header[1]} |", "| --- | --- |"]
    lines += [f"| {key} | {str(value).replace('|', '/')} |" for key, value in rows.items()]
    return "\n".join(lines)


def render_card(content: CardContent, repo_id: str = "path/to/this/folder") -> ModelCard:
    """The card of `content` (metadata and Markdown body) as a `huggingface_hub.ModelCard`."""
    metadata = ModelCardData(
        library_name="transformers",
        tags=["hf-classic", content.family] + (["custom_code"] if content.remote_code else []),
        pipeline_tag=content.pipeline_tag,
        license=content.license,
        datasets=content.datasets,
        language=content.language,
    )
    trust = ", trust_remote_code=True" if content.remote_code else ""
    load = (
        f"from transformers import {content.auto_class}, AutoTokenizer\n\n"
        f'model = {content.auto_class}.from_pretrained("{repo_id}"{trust})\n'
        f'tokenizer = AutoTokenizer.from_pretrained("{repo_id}"{trust})\n'
    )
    with_package = (
        f"import hf_classic  # registers the families; no remote code is run\n"
        f"from transformers import {content.auto_class}, AutoTokenizer\n\n"
        f'model = {content.auto_class}.from_pretrained("{repo_id}")\n'
        f'tokenizer = AutoTokenizer.from_pretrained("{repo_id}")\n'
    )
    usage = f"\n{content.usage.strip()}\n" if content.usage.strip() else ""
    sections = [
        f"# {content.title}",
        content.summary.strip(),
        "## How it was made",
        (f"Converted from {content.source}.\n\n" if content.source else "")
        + (_table(content.made_with, ("setting", "value")) if content.made_with else "No training details are known."),
        "## Evaluation",
        _table(content.results, ("measure", "value"))
        if content.results
        else "Nothing was measured for this folder; no result is claimed.",
        "## Usage",
    ]
    if content.remote_code:
        sections += [
            "With only `transformers` installed (the model's code comes with it):",
            f"```python\n{load}{usage}```",
            "With [hf_classic](https://pypi.org/project/hf-classic/) installed:",
            f"```python\n{with_package}{usage}```",
        ]
    else:
        sections += [
            "A native transformers architecture: `transformers` alone loads it.",
            f"```python\n{load}{usage}```",
        ]
    return ModelCard(f"---\n{metadata.to_yaml()}\n---\n\n" + "\n\n".join(sections) + "\n")


def write_model_card(folder: str | os.PathLike, content: CardContent) -> Path:
    """Write the card of `content` as `folder/README.md`."""
    path = Path(folder) / CARD_FILE
    render_card(content).save(path)
    return path


def push_folder(
    folder: str | os.PathLike,
    repo_id: str,
    private: bool = False,
    revision: str | None = None,
    token: str | None = None,
) -> str:
    """Upload a model folder to the Hub repository `repo_id` (created if missing); return the commit URL.

    Raises `HfClassicError` naming what is missing (no card, no token, no network); the folder is never changed.
    """
    from huggingface_hub import HfApi, get_token

    folder = existing_dir(folder)
    for required in ("config.json", CARD_FILE):
        if not (folder / required).is_file():
            raise HfClassicError(f"{folder}: no {required}; only folders written by hf-classic can be pushed")
    token = token or get_token()
    if token is None:
        raise HfClassicError(
            f"push {folder} to {repo_id}: no Hugging Face token; run `hf auth login` or set HF_TOKEN "
            "(the local folder is unchanged)"
        )
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
        if revision is not None:
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        commit = api.upload_folder(
            repo_id=repo_id,
            folder_path=folder,
            revision=revision,
            commit_message="Upload with hf-classic",
            ignore_patterns=[".*", "**/.*", "*.tmp"],
        )
    except Exception as error:  # offline mode, HTTP refusals and the HTTP backend's connection errors alike
        raise HfClassicError(
            f"push {folder} to {repo_id}: the Hub could not be reached or refused the upload ({error}); "
            "the local folder is unchanged"
        ) from None
    return str(commit.commit_url)
