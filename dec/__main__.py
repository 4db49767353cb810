"""``dec COMMAND [ARGS]`` (the console script) and ``python -m dec COMMAND [ARGS]``: the
scripts' commands from any working directory."""

import sys

from dec.cli.commands import COMMANDS
from dec.cli.common import run_cli

#: One line each for ``dec --help``; each command's own --help says the rest.
SUMMARIES = {
    "train": "train a segmentation model (autoencoder + DEC/IDEC) into a run folder",
    "test": "compare a run with KMeans, GMM and AE+KMeans on its held-out test customers",
    "predict": "segments and probabilities for new customers (a table or a purchase log)",
    "export": "id, segment, embeddings and probabilities of every customer, or ONNX",
    "profiles": "segment profiles and plots of a run",
    "migrate": "who moved between segments from one snapshot to another",
    "sweep": "choose the number of segments k",
    "features": "a purchase log's per-customer features, computed by DuckDB, to a file",
}


def usage() -> str:
    """The commands, one line each."""
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {SUMMARIES.get(name, '')}" for name in COMMANDS]
    return (
        "usage: dec COMMAND [ARGS]  (each command takes --help; dec --version)\n\ncommands:\n"
        + "\n".join(lines)
    )


def main() -> int:
    if len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help"):
        print(usage())
        return 0
    if len(sys.argv) == 2 and sys.argv[1] in ("-V", "--version"):
        from dec import __version__

        print(f"dec {__version__}")
        return 0
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(usage(), file=sys.stderr)
        return 2
    command = sys.argv.pop(1)
    sys.argv[0] = f"dec {command}"
    return run_cli(COMMANDS[command])


if __name__ == "__main__":
    raise SystemExit(main())
