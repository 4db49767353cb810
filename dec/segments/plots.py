"""Every figure the package draws: segment sizes, feature heatmap, embedding map,
confusion matrix and segment transitions.

Each ``plot_*`` function returns a matplotlib Figure; :func:`write_plots` saves them as PNG
in the run directory and adds the same figures to TensorBoard; :func:`~dec.utils.figures.figure_png`
gives the PNG bytes of any figure. The segment figures also come in a phone version
(``phone=True``): 5 in wide, every label 13 pt, the heatmap turned on its side so that its
numbers stay readable on a 390 px screen (``report.html`` shows them there).
"""

from __future__ import annotations

import textwrap
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.metrics import confusion_matrix

from dec.data.columns import is_numeric
from dec.utils import figures as _figures
from dec.utils.figures import PHONE, plt
from dec.utils.figures import label_text as _text

PROJECTION_SAMPLE = 5000


def _labels(names: list[str] | None, segments, phone: bool = False) -> list[str]:
    """The label of each segment number in ``segments`` (or ``range(segments)``)."""
    segments = range(segments) if isinstance(segments, int) else segments
    if not names:
        return [str(j) for j in segments]
    # On a phone a long name takes at most two short lines, not half the plot's width.
    return [
        _text(_short(f"{j}: {names[j]}") if phone else f"{j}: {names[j]}")
        if j < len(names)
        else str(j)
        for j in segments
    ]


def _short(text: str, width: int = 20, lines: int = 2) -> str:
    """``text`` on at most ``lines`` lines of ``width`` characters, cut with an ellipsis."""
    return "\n".join(textwrap.wrap(text, width, max_lines=lines, placeholder="…"))


@contextmanager
def _style(phone: bool):
    """Every default font at the phone size under ``phone``; else matplotlib's own."""
    with plt.rc_context({"font.size": PHONE["text"]} if phone else {}):
        yield


def _size(phone: bool, desktop: float) -> float:
    """A label's font size: ``desktop`` points, or the phone size."""
    return PHONE["text"] if phone else desktop


def plot_segment_sizes(
    segments: np.ndarray, names: list[str] | None = None, *, phone: bool = False
):
    counts = np.bincount(segments)
    with _style(phone):
        height = (0.8 if phone else 0.5) * len(counts) + 1.2
        fig, ax = plt.subplots(figsize=(PHONE["width"] if phone else 7, height))
        labels = _labels(names, len(counts), phone)
        colors = plt.cm.tab10(np.arange(len(counts))[::-1] % 10)
        ax.barh(labels[::-1], counts[::-1], color=colors)
        for y, c in enumerate(counts[::-1]):
            share = f"{c / counts.sum():.0%}"
            text = f" {share}" if phone else f" {c:,} ({share})"
            ax.text(c, y, text, va="center", fontsize=_size(phone, 8))
        ax.set_xlabel("customers")
        ax.set_title("Segment sizes")
        ax.set_xlim(0, counts.max() * (1.35 if phone else 1.25))
        if phone:
            ax.xaxis.set_major_locator(plt.MaxNLocator(3))
        fig.tight_layout()
    return fig


def plot_feature_heatmap(
    features: pd.DataFrame,
    segments: np.ndarray,
    names: list[str] | None = None,
    *,
    phone: bool = False,
):
    """z-scored mean of every numeric feature per segment (0 = the customer base).

    The phone version turns the map on its side (a row per feature, a column per segment
    number) and drops the colour bar, so that each cell's number has room at 13 pt.
    """
    numeric = features[[c for c in features.columns if is_numeric(features[c])]]
    if numeric.shape[1] == 0:
        return None  # only categories: nothing to average
    std = numeric.std(ddof=0).replace(0, np.nan)
    z = ((numeric.groupby(segments).mean() - numeric.mean()) / std).fillna(0.0)
    limit = max(1.0, float(np.abs(z.to_numpy()).max()))
    if phone:
        return _phone_heatmap(z, limit)
    fig, ax = plt.subplots(figsize=(0.45 * z.shape[1] + 3, 0.45 * z.shape[0] + 2.2))
    image = ax.imshow(z.to_numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(
        range(z.shape[1]), [_text(c) for c in z.columns], rotation=60, ha="right", fontsize=8
    )
    ax.set_yticks(range(z.shape[0]), _labels(names, z.index), fontsize=8)
    for (i, j), v in np.ndenumerate(z.to_numpy()):
        ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=6)
    fig.colorbar(image, ax=ax, label="segment mean − overall mean (in std)")
    ax.set_title("What each segment looks like")
    fig.tight_layout()
    return fig


def _phone_heatmap(z: pd.DataFrame, limit: float):
    values = z.to_numpy().T
    with _style(True):
        fig, ax = plt.subplots(figsize=(PHONE["width"], 0.42 * values.shape[0] + 1.6))
        ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
        ax.set_yticks(range(values.shape[0]), [_text(_short(str(c), 18, 1)) for c in z.columns])
        ax.set_xticks(range(values.shape[1]), [str(s) for s in z.index])
        ax.xaxis.tick_top()
        for (i, j), v in np.ndenumerate(values):
            ax.text(j, i, f"{v:.1f}", ha="center", va="center", color=_ink(v / limit))
        ax.set_title("Segment mean − all, in std", pad=28)
        fig.tight_layout()
    return fig


def _ink(strength: float) -> str:
    """Text colour over a cell of the diverging map: white where the cell is dark."""
    return "white" if abs(strength) > 0.6 else "black"


def plot_embedding_projection(
    embeddings: np.ndarray,
    segments: np.ndarray,
    names: list[str] | None = None,
    random_state: int = 0,
    *,
    phone: bool = False,
):
    """First two principal components of the embeddings, coloured by segment."""
    rng = np.random.default_rng(random_state)
    keep = rng.choice(len(embeddings), size=min(PROJECTION_SAMPLE, len(embeddings)), replace=False)
    xy = PCA(2, random_state=random_state).fit_transform(embeddings[keep])
    k = int(segments.max()) + 1
    with _style(phone):
        fig, ax = plt.subplots(figsize=(PHONE["width"], 5.0 + 0.5 * k) if phone else (7, 6))
        for j, label in enumerate(_labels(names, k, phone)):
            mask = segments[keep] == j
            ax.scatter(
                xy[mask, 0], xy[mask, 1], s=4, alpha=0.6, label=label, color=plt.cm.tab10(j % 10)
            )
        if phone:  # below the plot, where it hides no customer
            ax.legend(markerscale=4, loc="upper left", bbox_to_anchor=(0, -0.14), frameon=False)
        else:
            ax.legend(markerscale=4, fontsize=8, loc="best")
        ax.set_xlabel("PC 1 of the embedding")
        ax.set_ylabel("PC 2 of the embedding")
        ax.set_title(f"Customer embeddings ({len(keep):,} shown)")
        fig.tight_layout()
    return fig


def plot_confusion(
    labels_true: np.ndarray,
    segments: np.ndarray,
    names: list[str] | None = None,
    *,
    phone: bool = False,
):
    """Counts of segments (rows) against known labels (columns)."""
    k = int(max(segments.max(), labels_true.max())) + 1
    matrix = confusion_matrix(segments, labels_true, labels=range(k))
    # Rows: the model's segments (fewer than the labels' classes where k is smaller).
    matrix = matrix[: int(segments.max()) + 1, matrix.sum(0) > 0]
    with _style(phone):
        size = (
            (PHONE["width"], 0.6 * matrix.shape[0] + 2)
            if phone
            else (0.6 * matrix.shape[1] + 3, 0.5 * matrix.shape[0] + 2)
        )
        fig, ax = plt.subplots(figsize=size)
        ax.imshow(matrix, cmap="Blues", aspect="auto")
        for (i, j), v in np.ndenumerate(matrix):
            ax.text(
                j,
                i,
                str(v),
                ha="center",
                va="center",
                fontsize=_size(phone, 7),
                color="white" if v > matrix.max() / 2 else "black",
            )
        # On a phone the rows are segment numbers; their names are in the page's tables.
        rows = [str(j) for j in range(matrix.shape[0])] if phone else _labels(names, len(matrix))
        ax.set_yticks(range(matrix.shape[0]), rows, fontsize=_size(phone, 8))
        ax.set_xlabel("known label")
        ax.set_ylabel("segment" if phone else "")
        ax.set_title("Segments against known labels (test split)", fontsize=_size(phone, 12))
        fig.tight_layout()
    return fig


def plot_transitions(
    counts: pd.DataFrame, shares: pd.DataFrame, names: list[str], first: str, second: str
):
    """Row shares of the transition matrix as a heatmap, each cell with its customers."""

    def label(key: str) -> str:
        return _text(f"{key}: {names[int(key)]}" if key.isdigit() else key)

    fig, ax = plt.subplots(figsize=(0.9 * counts.shape[1] + 3.5, 0.6 * counts.shape[0] + 2))
    image = ax.imshow(shares.to_numpy(), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for (i, j), v in np.ndenumerate(shares.to_numpy()):
        ax.text(
            j,
            i,
            f"{v:.0%}\n{counts.iat[i, j]:,}",
            ha="center",
            va="center",
            fontsize=7,
            color="white" if v > 0.5 else "black",
        )
    ax.set_xticks(
        range(counts.shape[1]),
        [label(c) for c in counts.columns],
        rotation=30,
        ha="right",
        fontsize=8,
    )
    ax.set_yticks(range(counts.shape[0]), [label(r) for r in counts.index], fontsize=8)
    first, second = _text(first), _text(second)
    ax.set_xlabel(f"segment at {second}")
    ax.set_ylabel(f"segment at {first}")
    fig.colorbar(image, ax=ax, label="share of the row's customers")
    ax.set_title(f"Segment migration {first} → {second}")
    fig.tight_layout()
    return fig


def segment_figures(
    features: pd.DataFrame,
    segments: np.ndarray,
    embeddings: np.ndarray,
    names: list[str],
    labels: np.ndarray | None = None,
    test_index: np.ndarray | None = None,
    *,
    phone: bool = False,
) -> dict:
    """The figures of a run's profiles, by file name; the confusion matrix only where
    labels exist, on the test rows. With ``phone``, their phone versions, named
    ``<name>_phone``."""
    suffix = "_phone" if phone else ""
    figures = {
        "segment_sizes": plot_segment_sizes(segments, names, phone=phone),
        "segment_heatmap": plot_feature_heatmap(features, segments, names, phone=phone),
        "embedding_projection": plot_embedding_projection(embeddings, segments, names, phone=phone),
    }
    if labels is not None and test_index is not None and len(test_index):
        figures["confusion_matrix"] = plot_confusion(
            labels[test_index], segments[test_index], names, phone=phone
        )
    return {name + suffix: figure for name, figure in figures.items() if figure is not None}


def write_plots(run_dir, figures: dict, tensorboard: bool = True, dpi: int = 110) -> list[Path]:
    """Save figures as ``<name>.png`` atomically, and into TensorBoard under ``evaluation``."""
    from dec.runs.rundir import RunDir

    run = RunDir(run_dir)
    paths = []
    writer = run.evaluation_writer("figures") if tensorboard else None
    for name, fig in figures.items():
        if writer is not None:
            writer.add_figure(f"segments/{name}", fig, close=False)
        paths.append(run.write_figure(name, _figures.figure_png(fig, dpi=dpi)))
    if writer is not None:
        writer.close()
    return paths
