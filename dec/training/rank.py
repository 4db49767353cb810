"""Which process of a distributed (DDP) run this is, without importing torch: the command
line asks before every log line, and commands without a model (``python -m dec features``)
should not load torch and Lightning (about 1.5 s and 360 MB) to answer."""

from __future__ import annotations

import os
import sys

#: Where launchers put a process's rank, in the order Lightning reads them
#: (``lightning_fabric.utilities.rank_zero._get_rank``).
RANK_VARIABLES = ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK")


def is_rank_zero() -> bool:
    """True except in the extra processes of a distributed run.

    Once Lightning is loaded, its own answer (it reads the launcher's environment when
    imported); before that, the same environment read the same way.
    """
    if "pytorch_lightning" in sys.modules:
        from pytorch_lightning.utilities import rank_zero_only

        return getattr(rank_zero_only, "rank", 0) == 0
    for name in RANK_VARIABLES:
        if name in os.environ:
            try:
                return int(os.environ[name]) == 0
            except ValueError:
                return True
    return True
