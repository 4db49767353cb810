"""The one Markdown table writer, for reports, profiles, benchmarks and the sweep, and
numbers written for people."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def markdown_table(
    header: Sequence[str], rows: Iterable[Sequence], *, align: str | None = None
) -> str:
    """A GitHub Markdown table.

    Parameters
    ----------
    header : sequence of str
    rows : iterable of sequences
        Cells are written with ``str``; format numbers before.
    align : str, optional
        One letter per column, ``l`` or ``r``; by default the first column left and the
        others right.
    """
    align = align or "l" + "r" * (len(header) - 1)
    rule = "|" + "".join("---|" if a == "l" else "---:|" for a in align)
    lines = ["| " + " | ".join(str(h) for h in header) + " |", rule]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def human(value) -> str:
    """A feature value as people write it: ``32,600``, ``412``, ``50``, ``12.5``, ``0.318``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    size = abs(value)
    if size >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}" if size >= 10 else f"{value:.3g}"
