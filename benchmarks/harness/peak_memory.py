"""``python benchmarks/harness/peak_memory.py REPORT MODULE [ARGS...]``: run ``python -m
MODULE ARGS`` in this process and, as it exits, write its peak resident memory (kB, the
``VmHWM`` of ``/proc/self/status``) to the file REPORT.

Why not ``ru_maxrss`` from ``wait4``: Linux carries a parent's peak into the child it forks
(kept across ``exec``), so a step launched by a benchmark that had generated a large log
reported at least the benchmark's own memory (``python -c pass`` read 1,171 MB under a
1.2 GB parent); ``VmHWM`` belongs to the process's own memory map, which ``exec`` starts
afresh. Run as a file (not ``-m dec...``, which would import the package), it imports
nothing the step does not, so it adds nothing to what it measures.
"""

import atexit
import os
import runpy
import sys


def _write_peak(report: str) -> None:
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(report, "w") as handle:
        handle.write(peak)


if __name__ == "__main__":
    report, module = sys.argv[1], sys.argv[2]
    sys.path[0] = os.getcwd()  # as under ``python -m``, not this file's folder
    atexit.register(_write_peak, report)
    sys.argv = [module, *sys.argv[3:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
