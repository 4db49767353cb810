"""The one Markdown table writer, for reports, profiles, benchmarks and the sweep, and
numbers written for people: one format per kind of quantity, the same in ``report.html``,
``test_report.md`` and ``profiles.md`` (:func:`human` for amounts, :func:`score` for
metrics, :func:`percent` for shares and rates)."""

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
    """A feature value as people write it, three significant digits at least:
    ``32,612``, ``412``, ``50``, ``12.5``, ``0.318``, ``1,000`` (999.7)."""
    if _missing(value):
        return "n/a"
    value = float(value)
    if abs(value) >= 999.5:
        return f"{value:,.0f}"
    rounded = float(f"{value:.3g}") + 0.0  # + 0.0: never "-0"
    return f"{rounded:,.0f}" if rounded.is_integer() else f"{rounded:.3g}"


def _missing(value) -> bool:
    """None, NaN, an infinity or pandas' NA: what a report writes as ``n/a``."""
    try:
        return value is None or not math.isfinite(float(value))
    except (TypeError, ValueError):  # pd.NA, text
        return True


def score(value) -> str:
    """A metric (silhouette, eta², seconds): ``0.131``, or ``1,994.7`` from 100 on."""
    if _missing(value):
        return "n/a"
    value = float(value)
    return f"{value:,.1f}" if abs(value) >= 100 else f"{round(value, 3) + 0.0:.3f}"


def percent(share) -> str:
    """A share or a rate, 0 to 1, as ``46.6%``."""
    return "n/a" if _missing(share) else f"{100 * share:.1f}%"


def outcome(value, rate: bool) -> str:
    """An outcome's mean in a segment: a rate (0/1 outcome) as :func:`percent`, else as
    :func:`human`."""
    return percent(value) if rate else human(value)
