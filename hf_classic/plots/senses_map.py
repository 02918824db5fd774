"""Pictures of a word's vectors in context: one 2-D projection per representation, points coloured by sense."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np

from .embedding_map import project_2d

PANEL_COLUMNS = 4


def plot_sense_map(
    panels: Sequence[tuple[str, np.ndarray]],
    labels: Sequence[str],
    path: str | os.PathLike,
    title: str = "",
) -> None:
    """Write a PNG with one scatter plot per `(panel title, vectors (n, dim))`, coloured by `labels (n,)`.

    Each panel shows the vectors on their own first two principal components (`project_2d`); identical
    vectors all land on one point, which the panel says in words.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not panels:
        raise ValueError("plot_sense_map: no representation to draw")
    senses = sorted(set(labels))
    colours = {sense: plt.get_cmap("tab10")(index % 10) for index, sense in enumerate(senses)}
    labels = np.asarray(list(labels))
    columns = min(PANEL_COLUMNS, len(panels))
    rows = math.ceil(len(panels) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.9 * rows + 0.6), dpi=100, squeeze=False)
    for axis in axes.flat[len(panels) :]:
        axis.set_visible(False)
    for axis, (name, vectors) in zip(axes.flat, panels, strict=False):
        vectors = np.asarray(vectors, dtype=np.float64)
        if len(vectors) != len(labels):
            raise ValueError(f"plot_sense_map: panel {name!r} has {len(vectors)} vectors for {len(labels)} labels")
        if np.allclose(vectors, vectors[0], rtol=0.0, atol=1e-6):
            # One point for all: each sense is drawn as a ring around it, so that every colour stays visible.
            for index, sense in enumerate(senses):
                axis.scatter(
                    [0.0],
                    [0.0],
                    s=60 * (1 + 2 * index),
                    facecolors="none",
                    edgecolors=[colours[sense]],
                    linewidths=2,
                    label=sense,
                )
            axis.text(0.5, 0.08, f"all {len(vectors)} vectors identical", transform=axis.transAxes, ha="center")
        else:
            points = project_2d(vectors)
            for sense in senses:
                chosen = points[labels == sense]
                axis.scatter(chosen[:, 0], chosen[:, 1], s=28, alpha=0.75, color=colours[sense], label=sense)
        axis.set_title(name, fontsize=9)
        axis.set_xticks([])
        axis.set_yticks([])
    axes.flat[0].legend(fontsize=8, loc="best")
    figure.suptitle(title or "word vectors in context, first two principal components", fontsize=11)
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)


__all__ = ["plot_sense_map"]
