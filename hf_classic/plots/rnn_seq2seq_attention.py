"""Attention heatmaps of an RNN encoder-decoder: which source tokens each generated target token read.

The translation is generated first (greedy or beam search); the weights are then read from one teacher-forced
pass over that translation, so each row `a_t (src_len,)` is exactly the distribution the decoder used for
target token `t` of the hypothesis shown.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class AttentionMap:
    """`weights (target_len, source_len)`, rows summing to 1, with the tokens labelling rows and columns."""

    source_tokens: list[str]
    target_tokens: list[str]
    weights: np.ndarray


@torch.no_grad()
def attention_map(model, tokenizer, sentence: str, **generate_kwargs) -> AttentionMap:
    """Translate `sentence` and return the attention of every target token (the final `</s>` included)."""
    if model.config.attention == "none":
        raise ValueError(f"model has attention={model.config.attention!r}: a fixed context has no attention weights")
    model.eval()
    encoded = tokenizer(sentence, return_tensors="pt")
    generated = model.generate(**encoded, **generate_kwargs)[0]
    target = [index for index in generated.tolist()[1:] if index != model.config.pad_token_id]
    decoder_input_ids = torch.tensor([[model.config.decoder_start_token_id, *target[:-1]]])
    out = model(**encoded, decoder_input_ids=decoder_input_ids, output_attentions=True)
    return AttentionMap(
        source_tokens=tokenizer.convert_ids_to_tokens(encoded["input_ids"][0].tolist()),
        target_tokens=tokenizer.convert_target_ids_to_tokens(target),
        weights=out.cross_attentions[0][0, 0].numpy(),
    )


def save_attention_png(
    attention: AttentionMap,
    path: str | os.PathLike,
    title: str | None = None,
    axis_names: tuple[str, str] = ("source", "target"),
) -> None:
    """Write a heatmap PNG: target tokens as rows, source tokens as columns, darker = more weight.

    `axis_names` labels the columns and the rows (self-attention: the tokens read, the tokens reading).
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    rows, columns = attention.weights.shape
    figure, axes = plt.subplots(figsize=(1.0 + 0.45 * columns, 1.0 + 0.4 * rows))
    image = axes.imshow(attention.weights, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
    axes.set_xticks(range(columns), attention.source_tokens, rotation=60, ha="right")
    axes.set_yticks(range(rows), attention.target_tokens)
    axes.set_xlabel(axis_names[0])
    axes.set_ylabel(axis_names[1])
    if title:
        axes.set_title(title)
    figure.colorbar(image, ax=axes, fraction=0.04)
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=100)
    plt.close(figure)


__all__ = ["AttentionMap", "attention_map", "save_attention_png"]
