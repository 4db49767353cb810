"""``scripts/benchmark.py``: the benchmark command line. The default run is {synthetic,
CDNOW, digits, mlc_churn, attrition} x {KMeans, GMM, AE+KMeans, DEC, IDEC} x seeds on the
test splits (benchmarks/results.{json,md}); each other mode is a flag, run by
:mod:`benchmarks.harness.benchmark_modes`."""

from __future__ import annotations

from benchmarks.harness.benchmark_modes import (
    clv,
    data_kind,
    database,
    downstream,
    log_scale,
    parse_names,
    parse_seeds,
    scale,
    spark,
    speed,
    spread,
    stability,
    stability_choice,
    suite,
    threads_load,
    variants,
)
from dec.cli.common import Parser

DESCRIPTION = """{synthetic, CDNOW, digits} x {KMeans, GMM, AE+KMeans, DEC, IDEC} x seeds, on
the test splits; writes benchmarks/results.json and benchmarks/results.md."""


def main() -> int:
    from benchmarks.harness.benchmark import CONFIGS

    parser = Parser(description=DESCRIPTION)
    parser.add_argument(
        "--datasets",
        help=f"comma-separated subset of {', '.join(CONFIGS)} "
        "(default: all; with --downstream: synthetic, cdnow, digits)",
    )
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.add_renamed(
        "--output-dir",
        "--out",
        default="benchmarks",
        metavar="DIR",
        help="folder for results.json/.md and each mode's files (default: benchmarks)",
    )
    parser.add_argument("--work-dir", help="where the runs go (default checkpoints/benchmark)")
    parser.add_argument(
        "--speed",
        action="store_true",
        help="instead: time the package's training loop against a plain "
        "PyTorch loop on 200,000 synthetic customers",
    )
    parser.add_argument("--speed-samples", type=int, default=200_000)
    parser.add_argument(
        "--speed-repeats",
        type=int,
        default=7,
        help="alternating repeats of each loop for --speed (median reported; "
        "3 moved the ratio from 1.15 to 1.45 between two runs)",
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="instead: train, test and export configs/large.yaml at 10k, 100k "
        "and 1M customers; time and peak memory to benchmarks/scale.md",
    )
    parser.add_argument(
        "--scale-sizes",
        default="10000,100000,1000000",
        help="comma-separated numbers of customers for --scale",
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        metavar="LABEL:KEY=V[,KEY=V]",
        help="instead: compare config variants on the validation split (the "
        "choice) and the test split, e.g. t:model.kernel=student_t "
        "m:model.kernel=mahalanobis; writes --output-dir/<--name>.{md,json}",
    )
    parser.add_argument(
        "--name",
        help="file name for --variants (default: variants), "
        "--suite (default: suite) or --log-scale (default: log_scale)",
    )
    parser.add_argument(
        "--data-kind",
        action="store_true",
        help="instead: the estimator's defaults on digits as a raw array "
        "(data_kind auto vs table vs KMeans); writes --output-dir/data_kind.md",
    )
    parser.add_argument(
        "--downstream",
        action="store_true",
        help="instead: fit linear and gradient-boosting models on features, "
        "embeddings, both + segments, and PCA; test R²/AUC/accuracy to "
        "--output-dir/downstream.{md,json}",
    )
    parser.add_argument(
        "--spread",
        action="store_true",
        help="instead: prediction strength of k and the test metric of 30 "
        "KMeans local optima on each table's inputs, with the benchmark's "
        "methods placed among them; writes --output-dir/spread.{md,json}",
    )
    parser.add_argument(
        "--results",
        default="benchmarks/results.json",
        help="the benchmark results --spread places among the optima",
    )
    parser.add_argument(
        "--suite",
        action="store_true",
        help="instead: the public suite of labelled tables x {KMeans, "
        "BIC-chosen GMM, Ward, AE+KMeans, the default model, --variants} "
        "x --seeds, k = the number of classes; writes --output-dir/suite.{md,json}",
    )
    parser.add_argument("--tables", help="--suite: comma-separated tables (default: all)")
    parser.add_argument(
        "--stability",
        action="store_true",
        help="instead: per-segment bootstrap Jaccard of one default run with "
        "refits from the pretrained autoencoder and full refits, beside "
        "KMeans and GMM; writes --output-dir/stability.{md,json}",
    )
    parser.add_argument(
        "--resamples", type=int, default=10, help="--stability: bootstrap resamples per method"
    )
    parser.add_argument(
        "--stability-choice",
        action="store_true",
        help="instead: on the suite's tables (--tables), choose among the "
        "default model, KMeans and the BIC-GMM by bootstrap stability, "
        "without labels; writes --output-dir/suite_stability_choice.{md,json}",
    )
    parser.add_argument(
        "--log-scale",
        action="store_true",
        help="instead: generated purchase logs (--log-sizes rows): features "
        "with DuckDB and training with each log engine, time and peak "
        "memory; writes --output-dir/log_scale.{md,json}",
    )
    parser.add_argument(
        "--log-sizes",
        default="2000000,20000000,200000000",
        help="comma-separated numbers of purchases for --log-scale",
    )
    parser.add_argument(
        "--spark",
        action="store_true",
        help="instead: dec.spark in local[2] mode on a generated log of "
        "--spark-rows purchases (features, scoring); writes "
        "--output-dir/spark.{md,json}",
    )
    parser.add_argument("--spark-rows", type=int, default=2_000_000)
    parser.add_argument(
        "--clv",
        action="store_true",
        help="instead: customer value on CDNOW against the hold-out period, "
        "beside the published fits; writes --output-dir/clv.{md,json}",
    )
    parser.add_argument(
        "--threads-load",
        action="store_true",
        help="instead: the default train and test with each of --threads-settings, idle "
        "and with every core busy; writes --output-dir/threads.{md,json}",
    )
    parser.add_argument("--threads-settings", default="0,1", help="--threads values, 0 first")
    parser.add_argument("--threads-repeats", type=int, default=1, metavar="N")
    parser.add_argument(
        "--database",
        action="store_true",
        help="instead: --database-customers generated customers read from Parquet, SQLite "
        "and a throwaway PostgreSQL server (time, peak memory), and their segments written "
        "back; writes --output-dir/database.{md,json}",
    )
    parser.add_argument("--database-customers", type=int, default=1_000_000, metavar="N")
    parser.add_argument("--database-repeats", type=int, default=2, metavar="N")
    args = parser.parse_args()
    if args.database:
        return database(args, parser)
    if args.threads_load:
        return threads_load(args, parser)
    if args.spark:
        return spark(args, parser)
    if args.clv:
        return clv(args)
    if args.log_scale:
        return log_scale(args, parser)
    if args.stability:
        return stability(args, parser)
    if args.stability_choice:
        return stability_choice(args, parser)
    if args.suite:
        return suite(args, parser)
    if args.spread:
        return spread(args, parser)
    if args.downstream:
        return downstream(args, parser)
    if args.data_kind:
        return data_kind(args, parser)
    if args.speed:
        return speed(args)
    if args.scale:
        return scale(args, parser)
    datasets = parse_names(args.datasets or ",".join(CONFIGS), CONFIGS, parser)
    seeds = parse_seeds(args, parser)
    if args.variants:
        return variants(args, parser, {d: CONFIGS[d] for d in datasets}, seeds)
    from benchmarks.harness.benchmark import run_benchmark

    run_benchmark(datasets, seeds, args.output_dir, args.work_dir)
    print((__import__("pathlib").Path(args.output_dir) / "results.md").read_text())
    return 0
