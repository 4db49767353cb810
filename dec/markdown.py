"""The one Markdown table writer, for reports, profiles, benchmarks and the sweep."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def markdown_table(header: Sequence[str], rows: Iterable[Sequence], *,
                   align: str | None = None) -> str:
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
