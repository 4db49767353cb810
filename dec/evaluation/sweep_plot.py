"""The sweep's figure: every criterion against k."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dec.utils.figures import label_text as _text
from dec.utils.figures import plt


def plot_sweep(
    table: pd.DataFrame, keys: list[str], threshold: float, recommended: list[int] | None = None
):
    """Every criterion against k, one line per grid point (in ``table.groupby(keys)``
    order); the 0.8-style ``threshold`` dashed, and each grid point's ``recommended`` k a
    dotted vertical line in its colour."""
    metrics = [
        "silhouette",
        "davies_bouldin",
        "calinski_harabasz",
        "agreement",
        "prediction_strength",
        "embedding_silhouette",
    ]
    metrics = [m for m in metrics if m in table.columns]
    metrics += [c for c in table.columns if c.endswith("_eta2")]
    rows = 2 if len(metrics) > 3 else 1  # six panels in one row are too narrow to read
    cols = -(-len(metrics) // rows)
    fig, grid = plt.subplots(rows, cols, figsize=(4 * cols, 3.6 * rows), squeeze=False)
    for ax in grid.flat[len(metrics) :]:
        ax.set_visible(False)
    axes = grid.flat[: len(metrics)]
    groups = table.groupby(keys) if keys else [((), table)]
    for i, (values, part) in enumerate(groups):
        label = _text(", ".join(f"{a}={b}" for a, b in zip(keys, np.atleast_1d(values)))) or None
        for ax, metric in zip(axes, metrics):
            (line,) = ax.plot(part["k"], part[metric], marker="o", label=label)
            if recommended is not None:
                ax.axvline(recommended[i], color=line.get_color(), ls=":", lw=1.5)
    for ax, metric in zip(axes, metrics):
        ax.set_xlabel("k")
        ax.set_title(_text(metric) + (" (lower is better)" if metric == "davies_bouldin" else ""))
    for ax, metric in zip(axes, metrics):
        if metric in ("agreement", "prediction_strength"):
            ax.axhline(threshold, color="grey", ls="--", lw=1)
    if recommended is not None:
        axes[0].plot([], [], color="grey", ls=":", label="recommended k")
    if keys or recommended is not None:
        axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
