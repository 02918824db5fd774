"""Self-attention of a native transformer (BERT, GPT-2, ...): which tokens of a sentence each token reads.

The model must be loaded with `attn_implementation="eager"` (fused kernels return no weights). The weights
`(layers, heads, seq, seq)` are read from one forward pass with `output_attentions=True`; a layer and a head
are picked, or averaged over. Every row is a distribution (sums to 1); a causal model (GPT-2) has zeros right
of the diagonal.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import HfClassicError
from .rnn_seq2seq_attention import AttentionMap


def token_labels(tokenizer, ids: list[int]) -> list[str]:
    """Readable labels of `ids`: each token as the text it stands for (GPT-2's `Ġit` → `it`, a lone space → `␣`)."""
    labels = []
    for token in tokenizer.convert_ids_to_tokens(ids):
        try:
            text = tokenizer.convert_tokens_to_string([token])
        except (TypeError, ValueError, KeyError):
            text = token
        labels.append(text.strip() or ("␣" if text else token))
    return labels


def _select(weights: torch.Tensor, index: int | None, what: str) -> torch.Tensor:
    """Average dimension 0 of `weights` (`index` None) or take its `index`-th entry (negative counts from the end)."""
    if index is None:
        return weights.mean(0)
    count = weights.shape[0]
    if not -count <= index < count:
        raise HfClassicError(f"--{what} {index}: the model has {count} {what}s (0 to {count - 1}, or -1 for the last)")
    return weights[index]


@torch.no_grad()
def self_attention_map(
    model, tokenizer, sentence: str, layer: int | None = -1, head: int | None = None
) -> AttentionMap:
    """The self-attention of `sentence`: `weights (seq, seq)`, row `i` = how token `i` spreads its attention.

    `layer` and `head` index `outputs.attentions` (0-based; negative from the end); None averages over all
    layers or all heads. Special tokens (`[CLS]`, `[SEP]`) are kept: much attention goes to them.
    """
    model.eval()
    encoded = tokenizer(sentence, return_tensors="pt")
    out = model(**encoded, output_attentions=True)
    if not getattr(out, "attentions", None):
        raise HfClassicError(
            f"model_type {model.config.model_type!r} returned no attention weights; load it with "
            'attn_implementation="eager"'
        )
    weights = torch.stack([attention[0] for attention in out.attentions]).float()  # (layers, heads, seq, seq)
    chosen = _select(_select(weights, layer, "layer"), head, "head")
    tokens = token_labels(tokenizer, encoded["input_ids"][0].tolist())
    return AttentionMap(source_tokens=tokens, target_tokens=tokens, weights=chosen.numpy().astype(np.float64))


__all__ = ["self_attention_map", "token_labels"]
