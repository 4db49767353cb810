"""Figures as files: matplotlib without a display, user text as labels, PNG bytes."""

from __future__ import annotations

import io as _io

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display

import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["plt", "figure_png", "label_text", "smallest_text_share", "PHONE"]

#: Phone versions of the figures: drawn 5 in wide at 144 dpi, shown at most 360 CSS px wide
#: (2 image pixels a CSS pixel), so a 13 pt label reads as 13 px, over the 11 px floor a
#: phone page keeps.
PHONE = {"width": 5.0, "dpi": 144, "text": 13}

#: PNG text key holding the smallest label's height as a share of the image width.
TEXT_KEY = "Smallest text share"


def label_text(value) -> str:
    """User text (column names, category values in segment names, file names) as a
    label: ``$`` escaped, so matplotlib shows it instead of parsing it as mathtext."""
    return str(value).replace("$", r"\$")


def figure_png(fig, dpi: int = 110) -> bytes:
    """The figure as PNG bytes; the figure is closed.

    The PNG carries its smallest label's font size as a share of the image width (text key
    :data:`TEXT_KEY`), so a page that shows it can tell how big its text reads.
    """
    share = _smallest_label_pt(fig) / 72 / fig.get_figwidth()
    buffer = _io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={TEXT_KEY: f"{share:.5f}"})
    plt.close(fig)
    return buffer.getvalue()


def _smallest_label_pt(fig) -> float:
    from matplotlib.text import Text

    sizes = [
        t.get_fontsize()
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_figure() is not None
    ]
    return min(sizes, default=0.0)


def smallest_text_share(png: bytes) -> float | None:
    """The smallest label's font size as a share of the image width, as
    :func:`figure_png` recorded it; None for a PNG written otherwise. Shown ``w`` pixels
    wide, the image's smallest text is ``share * w`` pixels high."""
    from PIL import Image

    value = Image.open(_io.BytesIO(png)).text.get(TEXT_KEY)
    return float(value) if value else None
