"""What every result file records about its run: the date (UTC) and the machine."""

from __future__ import annotations

import platform
from datetime import datetime, timezone


def machine() -> str:
    """Where a benchmark ran, in words: architecture, threads, CPU or CUDA."""
    import torch

    return (
        f"{platform.machine()}, {torch.get_num_threads()} threads, "
        f"{'CUDA' if torch.cuda.is_available() else 'CPU'}"
    )


def run_meta(**extra) -> dict:
    """What every result file records about its run: the date (UTC) and the machine."""
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "machine": machine(), **extra}
