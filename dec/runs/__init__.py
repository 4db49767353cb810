"""The run folder: its one owner (:mod:`~dec.runs.rundir`), the lock and manifest
(:mod:`~dec.runs.guard`), what training and ``test.py`` add (:mod:`~dec.runs.outputs`)."""
