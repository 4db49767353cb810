"""The command line: one module per command group; :mod:`~dec.cli.commands` lists them
for the ``dec`` console script and ``python -m dec``."""
