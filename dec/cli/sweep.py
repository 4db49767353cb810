"""``sweep``: choose k. ``scripts/sweep.py`` and ``python -m dec sweep`` both run it, with
train's data flags (``--data``, ``--id-column``, ``--transactions`` ...)."""

from __future__ import annotations

from pathlib import Path

from dec.cli.common import Parser, config_args, config_values

DESCRIPTION = """Choose k: silhouette, Davies-Bouldin, Calinski-Harabasz, agreement (seeds and
bootstrap resamples), prediction strength and the embedding's silhouette for each k and
each combination of --grid values; recommends the largest k whose prediction strength
reaches 0.8, or, where none does, the best silhouette on the pretrained embeddings."""


#: Where a sweep writes unless --output-dir says.
DEFAULT_OUTPUT_DIR = "checkpoints/sweep"

#: The most values of k one sweep trains.
MAX_KS = 1000


def sweep_parser() -> Parser:
    parser = Parser(description=DESCRIPTION)
    # k, seeds and the output folder are the sweep's own: --k, --seeds, --output-dir.
    config_args(parser, skip=("--n-clusters", "--seed", "--output-dir"))
    parser.add_argument("--k", default="2-10", help="range like 2-10 or a list like 3,5,8")
    parser.add_argument(
        "--grid",
        nargs="*",
        default=[],
        metavar="KEY=V1,V2",
        help="config values to sweep too, e.g. refine.gamma=0,10",
    )
    parser.add_argument("--seeds", help="seeds per k (agreement across seeds; default 0,1)")
    parser.add_argument("--bootstrap", type=int, default=2, help="bootstrap resamples per k")
    parser.add_renamed(
        "--output-dir",
        "--out",
        # Not output_dir: that is train's run folder, which config_values reads.
        dest="sweep_dir",
        default=DEFAULT_OUTPUT_DIR,
        metavar="DIR",
        help="folder for sweep.csv, sweep_seeds.csv, sweep.md and sweep.png "
        f"(default: {DEFAULT_OUTPUT_DIR})",
    )
    parser.add_argument(
        "--work-dir", help="keep every run's folder here (default: runs stay in memory)"
    )
    parser.add_argument(
        "--rules",
        action="store_true",
        help="instead: per seed (--seeds, default 0,1,2), which k prediction "
        "strength and the embedding's silhouette pick on data with a "
        "planted k (synthetic: 5, digits: 10); writes --output-dir/k_rules.md",
    )
    parser.add_argument(
        "--halvings",
        type=int,
        default=10,
        help="--rules: random halvings averaged per prediction strength",
    )
    return parser


def sweep() -> int:
    """Choose k (see :data:`DESCRIPTION`)."""
    parser = sweep_parser()
    args = parser.parse_args()
    if args.rules:
        return _rules(args, parser)
    try:
        if "-" in args.k:
            low, high = (int(v) for v in args.k.split("-"))
            if high - low >= MAX_KS:
                parser.error(
                    f"--k {args.k} is {high - low + 1:,} values of k, and a sweep "
                    f"trains each; give at most {MAX_KS:,}"
                )
            ks = list(range(low, high + 1))
        else:
            low = high = None
            ks = [int(v) for v in args.k.split(",")]
        seeds = [int(v) for v in (args.seeds or "0,1").split(",")]
    except ValueError:
        parser.error("--k takes 2-10 or 3,5,8 and --seeds 0,1,2")
    if low is not None and low > high:
        parser.error(f"--k {args.k} runs backwards; write the smaller k first, e.g. {high}-{low}")
    if not ks or min(ks) < 2:
        parser.error("k must be at least 2")
    if not all(0 <= seed < 2**32 for seed in seeds):
        parser.error(f"--seeds {args.seeds}: each seed must be between 0 and {2**32 - 1}")
    if args.bootstrap < 0:
        parser.error(f"--bootstrap {args.bootstrap}: give 0 or more resamples per k")
    for flag, values in (("--k", ks), ("--seeds", seeds)):
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            parser.error(
                f"{flag} names {twice[0]} twice; give each once (the sweep compares "
                "different seeds, and each k once)"
            )
    if args.work_dir:
        from dec.utils.paths import check_writable_dir

        check_writable_dir(args.work_dir, what="work folder", setting="--work-dir")
    from dec.evaluation.sweep import parse_grid, run_sweep

    config = config_values(args)
    run_sweep(
        config,
        ks,
        parse_grid(args.grid),
        seeds,
        args.bootstrap,
        Path(args.sweep_dir),
        Path(args.work_dir) if args.work_dir else None,
        out_setting="--output-dir",
    )
    print((Path(args.sweep_dir) / "sweep.md").read_text())
    print(f"plot: {Path(args.sweep_dir) / 'sweep.png'}")
    return 0


def _rules(args, parser) -> int:
    from dec.evaluation.k_rules import k_rules_markdown, measure
    from dec.utils import files
    from dec.utils.meta import run_meta

    try:
        seeds = [int(v) for v in (args.seeds or "0,1,2").split(",")]
    except ValueError:
        parser.error("--seeds takes 0,1,2")
    if args.halvings < 1:
        parser.error("--halvings must be at least 1")
    rows = measure(seeds=seeds, overrides=args.overrides, halvings=args.halvings)
    meta = {**run_meta(), "overrides": list(args.overrides)}
    text = k_rules_markdown(rows, meta)
    out = Path(args.sweep_dir)
    files.write_json(out / "k_rules.json", {"meta": meta, "rows": rows})
    files.atomic_write_text(out / "k_rules.md", text)
    print(text)
    return 0
