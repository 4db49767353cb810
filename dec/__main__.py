"""``python -m dec COMMAND [ARGS]``: the scripts' commands from any working directory."""

import sys

from dec.cli import run_cli
from dec.commands import COMMANDS


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(f"usage: python -m dec {{{','.join(COMMANDS)}}} [ARGS]  (each takes --help)",
              file=sys.stderr)
        return 2
    command = sys.argv.pop(1)
    sys.argv[0] = f"dec {command}"
    return run_cli(COMMANDS[command])


if __name__ == "__main__":
    raise SystemExit(main())
