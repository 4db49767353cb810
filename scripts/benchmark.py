#!/usr/bin/env python
"""{synthetic, CDNOW, digits} x {KMeans, GMM, AE+KMeans, DEC, IDEC} x seeds, on the test
splits; writes benchmarks/results.json and benchmarks/results.md."""

from dec.cli import Parser, run_cli


def main() -> int:
    from dec.benchmark import CONFIGS

    parser = Parser(description=__doc__)
    parser.add_argument("--datasets", default=",".join(CONFIGS),
                        help=f"comma-separated subset of {', '.join(CONFIGS)}")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.add_argument("--out", default="benchmarks", help="folder for results.json/.md")
    parser.add_argument("--work-dir", help="where the runs go (default checkpoints/benchmark)")
    args = parser.parse_args()
    datasets = [d for d in args.datasets.split(",") if d]
    unknown = [d for d in datasets if d not in CONFIGS]
    if unknown:
        parser.error(f"unknown data set(s) {unknown}; choose from {', '.join(CONFIGS)}")
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s]
    except ValueError:
        parser.error("--seeds must be comma-separated integers, e.g. 0,1,2")
    from dec.benchmark import run_benchmark

    run_benchmark(datasets, seeds, args.out, args.work_dir)
    print((__import__("pathlib").Path(args.out) / "results.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
