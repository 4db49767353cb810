"""The user commands: parse, call the library, print. Training and evaluating live here;
scoring new customers (predict, export, migrate) in :mod:`dec.cli.scoring`, choosing k
in :mod:`dec.cli.sweep`.

``scripts/<name>.py`` and ``python -m dec <name>`` both run these.
"""

from __future__ import annotations

from dec.cli.common import (
    Parser,
    as_invoked,
    config_from_args,
    is_rank_zero,
    run_arg,
    selected_run,
    train_parser,
)
from dec.cli.features import features
from dec.cli.scoring import export, migrate, predict, value_args
from dec.cli.sweep import sweep


def train() -> int:
    """Train a DEC/IDEC segmentation model: ``train [--gpus 1] [KEY=VALUE ...]``."""
    args = train_parser().parse_args()
    config, run_dir, resume = config_from_args(args)
    from dec.runs.rundir import RunDir
    from dec.training.pipeline import fit

    run = RunDir(run_dir) if run_dir is not None else RunDir.new(config)
    fit(config, run, resume=resume, overwrite=args.overwrite)
    if not is_rank_zero():
        return 0
    print(f"run written to {run}")
    print(as_invoked(f"  evaluate:    python scripts/test.py --run {run}"))
    print(f"  tensorboard: tensorboard --logdir {run.path.parent}")
    return 0


def test() -> int:
    """Evaluate a run on its held-out test split against KMeans, GMM and AE+KMeans."""
    parser = Parser(description=test.__doc__)
    run_arg(parser)
    parser.add_argument(
        "--no-profiles", action="store_true", help="skip segment profiles and plots"
    )
    _stability_args(parser)
    value_args(parser, fit=True)
    args = parser.parse_args()
    from dec.data.prepare import prepare_run_data
    from dec.evaluation.evaluate import evaluate, report_markdown, write_report
    from dec.runs.outputs import staged
    from dec.segments.report import write_report_html

    args.clv = args.clv or args.clv_posterior or args.clv_model is not None
    run = selected_run(args)
    data = prepare_run_data(run)  # loaded once, for the report and the profiles
    report = evaluate(
        run,
        data=data,
        stability=args.stability,
        stability_refit=args.stability_refit,
        value=(
            args.clv_horizon,
            args.discount_rate,
            "mcmc" if args.clv_posterior else "map",
            args.clv_model or "auto",
        )
        if args.clv
        else None,
    )
    written = []
    # One set: a failure anywhere below leaves every file of the run as it was, never a
    # new value_model.json beside the report and profiles of the last fit.
    with staged(run):
        if "value" in report:
            from dec.evaluation.value_report import settings_of

            written.append(run.write_value_model(settings_of(report["value"])))
        if not args.no_profiles:
            from dec.segments.profiles import names_by_segment, profile_run

            profiles = profile_run(run, data=data, report=report)
            # The report names the segments as the profiles do (test_report.md's tables).
            report["segment_names"] = names_by_segment(run.read_profiles(), report["n_clusters"])
        written += write_report(run, report)
        html = write_report_html(run, report, with_profiles=not args.no_profiles)
    print(report_markdown(report))
    print(f"wrote {', '.join(str(path) for path in written)}")
    if not args.no_profiles:
        print(f"wrote segment profiles and plots: {', '.join(p.name for p in profiles)}")
    print(f"wrote {html} (open it in a browser; it needs no network)")
    return 0


def _stability_args(parser: Parser) -> None:
    from dec.evaluation.bootstrap import DEFAULT_REFIT, DEFAULT_RESAMPLES, REFITS

    parser.add_argument(
        "--stability",
        nargs="?",
        type=_resamples,
        const=DEFAULT_RESAMPLES,
        default=0,
        metavar="B",
        help="also measure each segment's stability: bootstrap Jaccard over "
        f"B resamples of the training customers (default B: "
        f"{DEFAULT_RESAMPLES}; each is one refit per method)",
    )
    parser.add_argument(
        "--stability-refit",
        choices=REFITS,
        default=DEFAULT_REFIT,
        help="what a refit of the deep model is: 'full' trains it again as "
        "a new run would (default), 'refine' keeps the pretrained "
        "autoencoder (cheaper, reads higher)",
    )


def _resamples(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(
            f"expected a number of resamples from 1 to 1000, got {text!r}"
        )
    return value


def profiles() -> int:
    """Segment profiles (profiles.md, profiles.csv) and plots (PNG) for a trained run."""
    parser = Parser(description=profiles.__doc__)
    run_arg(parser)
    args = parser.parse_args()
    from dec.segments.profiles import profile_run

    run = selected_run(args)
    written = profile_run(run)
    print(next(p for p in written if p.suffix == ".md").read_text())
    print(f"wrote {', '.join(str(p) for p in written)}")
    return 0


COMMANDS = {
    "train": train,
    "test": test,
    "predict": predict,
    "export": export,
    "profiles": profiles,
    "migrate": migrate,
    "sweep": sweep,
    "features": features,
}
