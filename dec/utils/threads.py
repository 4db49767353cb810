"""One cap on the threads every library of a command may start.

torch's intra-op pool, the BLAS and OpenMP pools behind numpy and scikit-learn (through
threadpoolctl) and DuckDB each size themselves to the whole machine. On a shared machine
those pools compete with each other and with everyone else's work, and every step slows
down many times over (``benchmarks/threads.md``). :func:`cap_threads` sets all of them to
one number; DuckDB connections read it from :func:`thread_cap`.
"""

from __future__ import annotations

import os
import sys

__all__ = ["available_cpus", "cap_threads", "thread_cap", "THREADS_HELP"]

THREADS_HELP = (
    "most threads torch, the BLAS/OpenMP pools (scikit-learn, numpy) and DuckDB may each "
    "use (default 0: the CPUs this process may run on, at most what torch picks itself)"
)

_cap: int | None = None

#: More threads than this is a typo, not a machine (1e9 made libgomp ask for 216 GB).
MAX_THREADS = 1024

#: cgroup v2's CPU quota of this process's container.
CPU_MAX = "/sys/fs/cgroup/cpu.max"


def available_cpus() -> int:
    """The CPUs this process may run on: its CPU affinity, lowered by a cgroup CPU quota
    (a container's ``--cpus``) where one is set."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cpus = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(cpus, quota)) if quota else max(1, cpus)


def _cgroup_quota() -> int | None:
    """``cpu.max`` of cgroup v2 (``"200000 100000"`` is two CPUs); None without a quota."""
    try:
        text = open(CPU_MAX).read().split()
    except OSError:
        return None
    if len(text) != 2 or text[0] == "max":
        return None
    return max(1, int(int(text[0]) // int(text[1])))


def cap_threads(threads: int = 0, *, hint: bool = True) -> int:
    """Cap torch, the BLAS/OpenMP pools and DuckDB at ``threads`` each, at most
    :func:`available_cpus`; 0 picks :func:`available_cpus`, never more than torch's own
    choice. Returns the cap. ``hint=False`` keeps the busy-machine hint back.

    Libraries already loaded are capped now (torch, and every pool threadpoolctl finds);
    those loaded later read the cap from ``OMP_NUM_THREADS`` and its BLAS siblings, which
    are set too, so a command can cap before it imports torch or scikit-learn (and its
    worker processes inherit the cap). The automatic cap does not follow the machine's load,
    so that the same command gives the same numbers on a busy machine and an idle one;
    where the machine is busy (a one-minute load average at or above the CPUs) it says
    once that a smaller cap may run several times faster. The cap holds for the rest of
    the process.
    """
    global _cap
    from threadpoolctl import threadpool_limits

    if not 0 <= threads <= MAX_THREADS:
        raise ValueError(f"threads must be 0 (automatic) to {MAX_THREADS}, got {threads}")
    torch = sys.modules.get("torch")
    if torch is not None and _default_torch[0] == 0:
        _default_torch[0] = torch.get_num_threads()
    # More threads than CPUs only adds waiting: a larger number is taken as all of them.
    cap = min(threads, available_cpus()) if threads else None
    cap = cap or min(available_cpus(), _default_torch[0] or os.cpu_count() or 1)
    if hint and not threads and cap > 1 and not _warned:
        _say_if_busy(cap)
    # A library loaded later sizes its pool from these; an automatic cap below the
    # machine's CPUs (an affinity or a container quota) is passed on the same way.
    if threads or cap < (os.cpu_count() or cap):
        os.environ.update({name: str(cap) for name in POOL_VARIABLES})
    if torch is not None:
        torch.set_num_threads(cap)
    threadpool_limits(limits=cap)
    _cap = cap
    return cap


#: The variables by which OpenMP, OpenBLAS, MKL and numexpr size their pools at start.
POOL_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# What torch chose before any cap, so that a second automatic cap starts from it again.
_default_torch = [0]
_warned = False


def _say_if_busy(cap: int) -> None:
    global _warned
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows
        return
    if load >= available_cpus():
        import logging

        from dec.errors import render_settings

        _warned = True
        logging.getLogger("dec").warning(
            render_settings(
                f"this machine is busy (load {load:.1f} on {available_cpus()} CPUs): with "
                f"fewer threads than {cap} ({{trainer.threads}} 1) this may run several "
                "times faster (benchmarks/threads.md)"
            )
        )


def thread_cap() -> int | None:
    """The cap :func:`cap_threads` set, or None where none was set (each library's own
    default then)."""
    return _cap
