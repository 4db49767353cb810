"""Figures as files: matplotlib without a display, user text as labels, PNG bytes."""

from __future__ import annotations

import io as _io

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display

import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["plt", "figure_png", "label_text"]


def label_text(value) -> str:
    """User text (column names, category values in segment names, file names) as a
    label: ``$`` escaped, so matplotlib shows it instead of parsing it as mathtext."""
    return str(value).replace("$", r"\$")


def figure_png(fig, dpi: int = 110) -> bytes:
    """The figure as PNG bytes; the figure is closed."""
    buffer = _io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()
