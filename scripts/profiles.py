#!/usr/bin/env python
# Not "profile.py": that name would shadow the standard library module torch imports.
"""Segment profiles (profiles.md, profiles.csv) and plots (PNG) for a trained run."""

from dec.cli import Parser, run_cli


def main() -> int:
    parser = Parser(description=__doc__)
    parser.add_argument("--run", help="run directory (default: the newest under checkpoints/)")
    args = parser.parse_args()
    from dec import io
    from dec.profiles import profile_run

    run_dir = io.check_run_dir(args.run) if args.run else io.newest_run()
    written = profile_run(run_dir)
    print((run_dir / "profiles.md").read_text())
    print(f"wrote {', '.join(str(p) for p in written)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
