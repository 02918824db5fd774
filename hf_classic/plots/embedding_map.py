"""A labelled 2-D map of word vectors (principal component projection), written as PNG."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np


def project_2d(vectors: np.ndarray) -> np.ndarray:
    """`(n, dim)` → `(n, 2)`: coordinates on the first two principal components of the unit-normalised vectors."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    centred = unit - unit.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    return centred @ components[:2].T


def plot_word_map(words: Sequence[str], vectors: np.ndarray, path: str | os.PathLike, title: str = "") -> None:
    """Write a PNG scatter plot of `vectors (n, dim)` projected to 2-D, each point labelled with its word."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if len(words) != len(vectors) or len(words) < 2:
        raise ValueError(
            f"plot_word_map: need at least 2 words with one vector each, got {len(words)} and {len(vectors)}"
        )
    points = project_2d(np.asarray(vectors, dtype=np.float64))
    figure, axes = plt.subplots(figsize=(16, 12), dpi=100)
    axes.scatter(points[:, 0], points[:, 1], s=6, color="tab:blue", alpha=0.6)
    for word, (x, y) in zip(words, points, strict=True):
        axes.annotate(word, (x, y), fontsize=7, alpha=0.85, xytext=(2, 2), textcoords="offset points")
    axes.set_title(title or f"{len(words)} word vectors, first two principal components")
    axes.set_xlabel("component 1")
    axes.set_ylabel("component 2")
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)
