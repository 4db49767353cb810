"""The benchmark's modes (``scripts/benchmark.py --suite``, ``--stability`` ...): each runs
its harness in :mod:`benchmarks.harness`, then writes ``<name>.{json,md}`` into ``--output-dir``."""

from __future__ import annotations


def _publish(args, name: str, payload: dict, text: str) -> int:
    """Write ``<name>.json`` and ``<name>.md`` into --output-dir, print the page."""
    from pathlib import Path

    from dec.utils import files

    files.write_json(Path(args.output_dir) / f"{name}.json", payload)
    files.atomic_write_text(Path(args.output_dir) / f"{name}.md", text)
    print(text)
    return 0


def parse_names(text: str, known, parser) -> list[str]:
    names = [d for d in text.split(",") if d]
    unknown = [d for d in names if d not in known]
    if unknown:
        parser.error(f"unknown data set(s) {unknown}; choose from {', '.join(known)}")
    return names


def parse_seeds(args, parser) -> list[int]:
    try:
        return [int(s) for s in args.seeds.split(",") if s]
    except ValueError:
        parser.error("--seeds must be comma-separated integers, e.g. 0,1,2")


def stability(args, parser) -> int:
    from benchmarks.harness.benchmark import run_meta
    from benchmarks.harness.stability_check import measure, stability_check_markdown

    if args.resamples < 1:
        parser.error("--resamples must be at least 1")
    seed = parse_seeds(args, parser)[0]
    found = measure(seed=seed, resamples=args.resamples)
    meta = run_meta()
    text = stability_check_markdown(found, meta)
    return _publish(args, "stability", {"meta": meta, **found}, text)


def log_scale(args, parser) -> int:
    from benchmarks.harness.benchmark import run_meta
    from benchmarks.harness.log_scale import log_scale_benchmark, log_scale_markdown

    try:
        sizes = [int(v) for v in args.log_sizes.split(",")]
    except ValueError:
        parser.error("--log-sizes takes numbers such as 2000000,20000000")
    summary = log_scale_benchmark(sizes)
    meta = run_meta()
    text = log_scale_markdown(summary, meta)
    return _publish(args, args.name or "log_scale", {"meta": meta, **summary}, text)


def stability_choice(args, parser) -> int:
    from benchmarks.harness.benchmark import run_meta
    from benchmarks.harness.stability_choice import measure, stability_choice_markdown, summarise
    from dec.data.suite import SUITE_TABLES

    tables = parse_names(args.tables or ",".join(SUITE_TABLES), SUITE_TABLES, parser)
    seeds = parse_seeds(args, parser)
    rows = measure(tables, seeds, args.resamples)
    meta = run_meta(seeds=seeds, resamples=args.resamples)
    summary = summarise(rows)
    text = stability_choice_markdown(summary, meta)
    return _publish(
        args, "suite_stability_choice", {"meta": meta, "tables": summary, "rows": rows}, text
    )


def downstream(args, parser) -> int:
    from benchmarks.harness.benchmark import run_meta
    from benchmarks.harness.downstream import (
        TARGETS,
        downstream_benchmark,
        downstream_markdown,
        summarise,
    )

    datasets = parse_names(args.datasets or ",".join(TARGETS), TARGETS, parser)
    seeds = parse_seeds(args, parser)
    rows = downstream_benchmark(datasets, seeds)
    meta = run_meta(seeds=seeds)
    summary = summarise(rows)
    text = downstream_markdown(summary, meta)
    return _publish(args, "downstream", {"meta": meta, "summary": summary, "runs": rows}, text)


def spread(args, parser) -> int:
    from pathlib import Path

    from benchmarks.harness.benchmark import run_meta
    from benchmarks.harness.spread import measure, spread_markdown
    from dec.utils import files

    tables = "synthetic,cdnow,mlc_churn,attrition"
    datasets = parse_names(args.datasets or tables, tables.split(","), parser)
    results = Path(args.results)
    summary = files.read_json(results)["summary"] if results.exists() else {}
    found = measure(datasets)
    meta = run_meta()
    text = spread_markdown(found, summary, meta)
    return _publish(args, "spread", {"meta": meta, "spread": found}, text)


def data_kind(args, parser) -> int:
    from benchmarks.harness.data_kind import compare_kinds, kinds_markdown

    seeds = parse_seeds(args, parser)
    runs = compare_kinds(seeds)
    text = kinds_markdown(runs)
    return _publish(args, "data_kind", {"seeds": seeds, "runs": runs}, text)


def suite(args, parser) -> int:
    import time

    from benchmarks.harness.benchmark import run_meta
    from benchmarks.harness.suite import run_suite, summarise, verdict
    from benchmarks.harness.suite_report import suite_markdown
    from dec.data.suite import SUITE_TABLES

    tables = parse_names(args.tables or ",".join(SUITE_TABLES), SUITE_TABLES, parser)
    seeds = parse_seeds(args, parser)
    parsed = _variants(args, parser)
    start = time.perf_counter()
    runs = run_suite(tables, seeds, parsed)
    meta = run_meta(seeds=seeds, variants=parsed, minutes=(time.perf_counter() - start) / 60)
    summary = summarise(runs)
    text = suite_markdown(summary, meta, parsed)
    return _publish(
        args,
        args.name or "suite",
        {
            "meta": meta,
            "tables": summary,
            "verdict": {key: verdict(summary, key) for key in ["dec", *parsed]},
            "runs": [{k: v for k, v in r.items() if k != "labels"} for r in runs],
        },
        text,
    )


def _variants(args, parser) -> dict[str, list[str]]:
    parsed = {}
    for item in args.variants or []:
        label, _, overrides = item.partition(":")
        if not label or not overrides:
            parser.error(f"variant '{item}' must look like LABEL:KEY=VALUE[,KEY=VALUE]")
        parsed[label] = [o for o in overrides.split(",") if o]
    return parsed


def variants(args, parser, datasets: dict, seeds: list[int]) -> int:
    from benchmarks.harness.variants import compare, variants_markdown

    parsed = _variants(args, parser)
    rows = compare(datasets, parsed, seeds)
    text = variants_markdown(rows, f"Variants: {', '.join(parsed)}")
    return _publish(
        args, args.name or "variants", {"variants": parsed, "seeds": seeds, "rows": rows}, text
    )


def scale(args, parser) -> int:
    from benchmarks.harness.scale import scale_benchmark, write_scale

    try:
        sizes = [int(n) for n in args.scale_sizes.split(",") if n]
    except ValueError:
        parser.error("--scale-sizes must be comma-separated integers, e.g. 10000,100000")
    summary = scale_benchmark(sizes, work_dir=args.work_dir or "checkpoints/scale")
    print(write_scale(summary, args.output_dir).read_text())
    return 0


def speed_page(result: dict) -> str:
    """benchmarks/speed.md from speed.json."""
    rows = [
        ("plain PyTorch", "plain"),
        ("dec: AutoencoderModule, bare Trainer", "lightning"),
        ("dec: AutoencoderModule, the Trainer a run builds", "run_trainer"),
    ]
    table = "".join(
        f"| {name} | {result[f'{key}_median']:.2f} | "
        + (
            f"{result[f'{key}_ratio']:.3f} | {result[f'{key}_paired_ratio']:.3f} | "
            if key != "plain"
            else "1 | 1 | "
        )
        + f"{', '.join(f'{s:.2f}' for s in result[f'{key}_seconds'])} |\n"
        for name, key in rows
    )
    return (
        f"# Training loop speed\n\n{result['n_train']:,} training customers x "
        f"{result['n_features']} features, {result['epochs']} epochs of pretraining "
        f"({result['steps']:,} steps of batch {result['batch_size']}), network "
        f"{result['hidden_dims']}, {result['threads']} CPU threads, "
        f"{len(result['plain_seconds'])} alternating repeats. The run's Trainer writes a "
        "checkpoint each epoch and TensorBoard logs into a temporary folder.\n\n"
        "| loop | seconds (median) | ratio of medians | median of paired ratios | "
        "all runs |\n|---|---:|---:|---:|---|\n"
        + table
        + f"\nRatio dec / plain (bare Trainer, ratio of medians): "
        f"**{result['ratio']:.2f}**\n"
    )


def speed(args) -> int:
    from pathlib import Path

    from benchmarks.harness.speed import speed_benchmark
    from dec.utils import files

    result = speed_benchmark(n_samples=args.speed_samples, repeats=args.speed_repeats)
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    files.write_json(out / "speed.json", result)
    text = speed_page(result)
    files.atomic_write_text(out / "speed.md", text)
    print(text)
    return 0


def spark(args, parser) -> int:
    from benchmarks.harness.benchmark import run_meta
    from benchmarks.harness.spark_check import spark_benchmark, spark_markdown

    found = spark_benchmark(args.spark_rows)
    meta = run_meta()
    return _publish(args, "spark", {"meta": meta, **found}, spark_markdown(found, meta))


def clv(args) -> int:
    from benchmarks.harness.benchmark import run_meta
    from benchmarks.harness.clv_check import clv_check
    from benchmarks.harness.clv_page import clv_markdown

    found = clv_check(args.work_dir or "checkpoints/clv")
    return _publish(args, "clv", {"meta": run_meta(), **found}, clv_markdown(found))


def threads_load(args, parser) -> int:
    from benchmarks.harness.benchmark import run_meta
    from benchmarks.harness.threads import threads_benchmark, threads_markdown

    settings = [int(t) for t in args.threads_settings.split(",") if t.strip()]
    if not settings or settings[0] != 0 or any(t < 0 for t in settings):
        parser.error("--threads-settings starts with 0 (automatic), e.g. 0,1")
    found = threads_benchmark(settings, repeats=args.threads_repeats)
    meta = run_meta()
    return _publish(args, "threads", {"meta": meta, **found}, threads_markdown(found, meta))


def database(args, parser) -> int:
    import subprocess

    from benchmarks.harness.benchmark import run_meta
    from benchmarks.harness.database_read import database_benchmark, database_markdown
    from benchmarks.harness.postgres import why_no_server

    if why_no_server():
        parser.error(f"--database starts a PostgreSQL server, but {why_no_server()}")
    if args.database_customers < 1 or args.database_repeats < 1:
        parser.error("--database-customers and --database-repeats must be positive")
    found = database_benchmark(args.database_customers, repeats=args.database_repeats)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    meta = run_meta(commit=commit)
    return _publish(args, "database", {"meta": meta, **found}, database_markdown(found, meta))
