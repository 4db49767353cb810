#!/usr/bin/env python
"""{synthetic, CDNOW, digits} x {KMeans, GMM, AE+KMeans, DEC, IDEC} x seeds, on the test
splits; writes benchmarks/results.json and benchmarks/results.md."""

from dec.cli import Parser, run_cli


def main() -> int:
    from dec.experiments.benchmark import CONFIGS

    parser = Parser(description=__doc__)
    parser.add_argument("--datasets", help=f"comma-separated subset of {', '.join(CONFIGS)} "
                        "(default: all; with --downstream: synthetic, cdnow, digits)")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.add_argument("--out", default="benchmarks", help="folder for results.json/.md")
    parser.add_argument("--work-dir", help="where the runs go (default checkpoints/benchmark)")
    parser.add_argument("--speed", action="store_true",
                        help="instead: time the package's training loop against a plain "
                             "PyTorch loop on 200,000 synthetic customers")
    parser.add_argument("--speed-samples", type=int, default=200_000)
    parser.add_argument("--speed-repeats", type=int, default=7,
                        help="alternating repeats of each loop for --speed (median reported; "
                             "3 moved the ratio from 1.15 to 1.45 between two runs)")
    parser.add_argument("--scale", action="store_true",
                        help="instead: train, test and export configs/large.yaml at 10k, 100k "
                             "and 1M customers; time and peak memory to benchmarks/scale.md")
    parser.add_argument("--scale-sizes", default="10000,100000,1000000",
                        help="comma-separated numbers of customers for --scale")
    parser.add_argument("--variants", nargs="+", metavar="LABEL:KEY=V[,KEY=V]",
                        help="instead: compare config variants on the validation split (the "
                             "choice) and the test split, e.g. t:model.kernel=student_t "
                             "m:model.kernel=mahalanobis; writes --out/<--name>.{md,json}")
    parser.add_argument("--name", help="file name for --variants (default: variants) or "
                        "--suite (default: suite)")
    parser.add_argument("--data-kind", action="store_true",
                        help="instead: the estimator's defaults on digits as a raw array "
                             "(data_kind auto vs table vs KMeans); writes --out/data_kind.md")
    parser.add_argument("--downstream", action="store_true",
                        help="instead: fit linear and gradient-boosting models on features, "
                             "embeddings, both + segments, and PCA; test R²/AUC/accuracy to "
                             "--out/downstream.{md,json}")
    parser.add_argument("--spread", action="store_true",
                        help="instead: prediction strength of k and the test metric of 30 "
                             "KMeans local optima on each table's inputs, with the benchmark's "
                             "methods placed among them; writes --out/spread.{md,json}")
    parser.add_argument("--results", default="benchmarks/results.json",
                        help="the benchmark results --spread places among the optima")
    parser.add_argument("--suite", action="store_true",
                        help="instead: the public suite of labelled tables x {KMeans, "
                             "BIC-chosen GMM, Ward, AE+KMeans, the default model, --variants} "
                             "x --seeds, k = the number of classes; writes --out/suite.{md,json}")
    parser.add_argument("--tables", help="--suite: comma-separated tables (default: all)")
    parser.add_argument("--stability", action="store_true",
                        help="instead: per-segment bootstrap Jaccard of one default run with "
                             "refits from the pretrained autoencoder and full refits, beside "
                             "KMeans and GMM; writes --out/stability.{md,json}")
    parser.add_argument("--resamples", type=int, default=10,
                        help="--stability: bootstrap resamples per method")
    parser.add_argument("--stability-choice", action="store_true",
                        help="instead: on the suite's tables (--tables), choose among the "
                             "default model, KMeans and the BIC-GMM by bootstrap stability, "
                             "without labels; writes --out/suite_stability_choice.{md,json}")
    parser.add_argument("--log-scale", action="store_true",
                        help="instead: generated purchase logs (--log-sizes rows): features "
                             "with DuckDB and training with each log engine, time and peak "
                             "memory; writes --out/log_scale.{md,json}")
    parser.add_argument("--log-sizes", default="2000000,20000000",
                        help="comma-separated numbers of purchases for --log-scale")
    args = parser.parse_args()
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
    datasets = _names(args.datasets or ",".join(CONFIGS), CONFIGS, parser)
    seeds = _seeds(args, parser)
    if args.variants:
        return variants(args, parser, {d: CONFIGS[d] for d in datasets}, seeds)
    from dec.experiments.benchmark import run_benchmark

    run_benchmark(datasets, seeds, args.out, args.work_dir)
    print((__import__("pathlib").Path(args.out) / "results.md").read_text())
    return 0


def _names(text: str, known, parser) -> list[str]:
    names = [d for d in text.split(",") if d]
    unknown = [d for d in names if d not in known]
    if unknown:
        parser.error(f"unknown data set(s) {unknown}; choose from {', '.join(known)}")
    return names


def _seeds(args, parser) -> list[int]:
    try:
        return [int(s) for s in args.seeds.split(",") if s]
    except ValueError:
        parser.error("--seeds must be comma-separated integers, e.g. 0,1,2")


def stability(args, parser) -> int:
    from pathlib import Path

    from dec import files
    from dec.experiments.benchmark import run_meta
    from dec.experiments.stability_check import measure, stability_check_markdown

    if args.resamples < 1:
        parser.error("--resamples must be at least 1")
    seed = _seeds(args, parser)[0]
    found = measure(seed=seed, resamples=args.resamples)
    meta = run_meta()
    text = stability_check_markdown(found, meta)
    files.write_json(Path(args.out) / "stability.json", {"meta": meta, **found})
    files.atomic_write_text(Path(args.out) / "stability.md", text)
    print(text)
    return 0


def log_scale(args, parser) -> int:
    from pathlib import Path

    from dec import files
    from dec.experiments.benchmark import run_meta
    from dec.experiments.log_scale import log_scale_benchmark, log_scale_markdown

    try:
        sizes = [int(v) for v in args.log_sizes.split(",")]
    except ValueError:
        parser.error("--log-sizes takes numbers such as 2000000,20000000")
    summary = log_scale_benchmark(sizes)
    meta = run_meta()
    text = log_scale_markdown(summary, meta)
    files.write_json(Path(args.out) / "log_scale.json", {"meta": meta, **summary})
    files.atomic_write_text(Path(args.out) / "log_scale.md", text)
    print(text)
    return 0


def stability_choice(args, parser) -> int:
    from pathlib import Path

    from dec import files
    from dec.data.suite import SUITE_TABLES
    from dec.experiments.benchmark import run_meta
    from dec.experiments.stability_choice import (measure, stability_choice_markdown,
                                                  summarise)

    tables = _names(args.tables or ",".join(SUITE_TABLES), SUITE_TABLES, parser)
    seeds = _seeds(args, parser)
    rows = measure(tables, seeds, args.resamples)
    meta = run_meta(seeds=seeds, resamples=args.resamples)
    summary = summarise(rows)
    text = stability_choice_markdown(summary, meta)
    files.write_json(Path(args.out) / "suite_stability_choice.json",
                     {"meta": meta, "tables": summary, "rows": rows})
    files.atomic_write_text(Path(args.out) / "suite_stability_choice.md", text)
    print(text)
    return 0


def downstream(args, parser) -> int:
    from pathlib import Path

    from dec import files
    from dec.experiments.benchmark import run_meta
    from dec.experiments.downstream import (TARGETS, downstream_benchmark,
                                            downstream_markdown, summarise)

    datasets = _names(args.datasets or ",".join(TARGETS), TARGETS, parser)
    seeds = _seeds(args, parser)
    rows = downstream_benchmark(datasets, seeds)
    meta = run_meta(seeds=seeds)
    summary = summarise(rows)
    text = downstream_markdown(summary, meta)
    files.write_json(Path(args.out) / "downstream.json",
                     {"meta": meta, "summary": summary, "runs": rows})
    files.atomic_write_text(Path(args.out) / "downstream.md", text)
    print(text)
    return 0


def spread(args, parser) -> int:
    from pathlib import Path

    from dec import files
    from dec.experiments.benchmark import run_meta
    from dec.experiments.spread import measure, spread_markdown

    tables = "synthetic,cdnow,mlc_churn,attrition"
    datasets = _names(args.datasets or tables, tables.split(","), parser)
    results = Path(args.results)
    summary = files.read_json(results)["summary"] if results.exists() else {}
    found = measure(datasets)
    meta = run_meta()
    text = spread_markdown(found, summary, meta)
    files.write_json(Path(args.out) / "spread.json", {"meta": meta, "spread": found})
    files.atomic_write_text(Path(args.out) / "spread.md", text)
    print(text)
    return 0


def data_kind(args, parser) -> int:
    from pathlib import Path

    from dec import files
    from dec.experiments.data_kind import compare_kinds, kinds_markdown

    seeds = _seeds(args, parser)
    runs = compare_kinds(seeds)
    text = kinds_markdown(runs)
    files.write_json(Path(args.out) / "data_kind.json", {"seeds": seeds, "runs": runs})
    files.atomic_write_text(Path(args.out) / "data_kind.md", text)
    print(text)
    return 0


def suite(args, parser) -> int:
    import time
    from pathlib import Path

    from dec import files
    from dec.data.suite import SUITE_TABLES
    from dec.experiments.benchmark import run_meta
    from dec.experiments.suite import run_suite, summarise, verdict
    from dec.experiments.suite_report import suite_markdown

    tables = _names(args.tables or ",".join(SUITE_TABLES), SUITE_TABLES, parser)
    seeds = _seeds(args, parser)
    parsed = _variants(args, parser)
    start = time.perf_counter()
    runs = run_suite(tables, seeds, parsed)
    meta = run_meta(seeds=seeds, variants=parsed, minutes=(time.perf_counter() - start) / 60)
    summary = summarise(runs)
    text = suite_markdown(summary, meta, parsed)
    out, name = Path(args.out), args.name or "suite"
    files.write_json(out / f"{name}.json", {
        "meta": meta, "tables": summary,
        "verdict": {key: verdict(summary, key) for key in ["dec", *parsed]},
        "runs": [{k: v for k, v in r.items() if k != "labels"} for r in runs]})
    files.atomic_write_text(out / f"{name}.md", text)
    print(text)
    return 0


def _variants(args, parser) -> dict[str, list[str]]:
    parsed = {}
    for item in args.variants or []:
        label, _, overrides = item.partition(":")
        if not label or not overrides:
            parser.error(f"variant '{item}' must look like LABEL:KEY=VALUE[,KEY=VALUE]")
        parsed[label] = [o for o in overrides.split(",") if o]
    return parsed


def variants(args, parser, datasets: dict, seeds: list[int]) -> int:
    from pathlib import Path

    from dec import files
    from dec.experiments.variants import compare, variants_markdown

    parsed = _variants(args, parser)
    rows = compare(datasets, parsed, seeds)
    out = Path(args.out)
    text = variants_markdown(rows, f"Variants: {', '.join(parsed)}")
    name = args.name or "variants"
    files.write_json(out / f"{name}.json", {"variants": parsed, "seeds": seeds, "rows": rows})
    files.atomic_write_text(out / f"{name}.md", text)
    print(text)
    return 0


def scale(args, parser) -> int:
    from dec.experiments.scale import scale_benchmark, write_scale

    try:
        sizes = [int(n) for n in args.scale_sizes.split(",") if n]
    except ValueError:
        parser.error("--scale-sizes must be comma-separated integers, e.g. 10000,100000")
    summary = scale_benchmark(sizes, work_dir=args.work_dir or "checkpoints/scale")
    print(write_scale(summary, args.out).read_text())
    return 0


def speed(args) -> int:
    from pathlib import Path

    from dec import files
    from dec.experiments.speed import speed_benchmark

    result = speed_benchmark(n_samples=args.speed_samples, repeats=args.speed_repeats)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files.write_json(out / "speed.json", result)
    text = (f"# Training loop speed\n\n{result['n_train']:,} training customers x "
            f"{result['n_features']} features, {result['epochs']} epochs of pretraining "
            f"({result['steps']:,} steps of batch {result['batch_size']}), network "
            f"{result['hidden_dims']}, {result['threads']} CPU threads, median of "
            f"{len(result['plain_seconds'])} alternating repeats.\n\n"
            f"| loop | seconds (median) | all runs |\n|---|---:|---|\n"
            f"| plain PyTorch | {result['plain_median']:.2f} | "
            f"{', '.join(f'{s:.2f}' for s in result['plain_seconds'])} |\n"
            f"| dec (Lightning Trainer + AutoencoderModule) | {result['lightning_median']:.2f} | "
            f"{', '.join(f'{s:.2f}' for s in result['lightning_seconds'])} |\n\n"
            f"Ratio dec / plain: **{result['ratio']:.2f}**\n")
    files.atomic_write_text(out / "speed.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
