#!/usr/bin/env python
"""Evaluate a run on its held-out test split against KMeans and AE+KMeans."""

from dec.cli import Parser, run_cli


def main() -> int:
    parser = Parser(description=__doc__)
    parser.add_argument("--run", help="run directory (default: the newest under checkpoints/)")
    parser.add_argument("--no-profiles", action="store_true",
                        help="skip segment profiles and plots")
    args = parser.parse_args()
    from dec import io
    from dec.evaluate import evaluate, report_markdown, write_report
    from dec.pipeline import prepare_run_data

    run_dir = io.check_run_dir(args.run) if args.run else io.newest_run()
    data = prepare_run_data(run_dir)  # loaded once, for the report and the profiles
    report = evaluate(run_dir, data=data)
    json_path, md_path = write_report(run_dir, report)
    print(report_markdown(report))
    print(f"wrote {json_path} and {md_path}")
    if not args.no_profiles:
        from dec.profiles import profile_run

        written = profile_run(run_dir, data=data)
        print(f"wrote segment profiles and plots: {', '.join(p.name for p in written)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
