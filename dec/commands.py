"""The user commands (train, test, predict, export, profiles): parse, call the library, print.

``scripts/<name>.py`` and ``python -m dec <name>`` both run these.
"""

from __future__ import annotations

from dec.cli import Parser, config_from_args, is_rank_zero, train_parser


def train() -> int:
    """Train a DEC/IDEC segmentation model: ``train [--gpus 1] [KEY=VALUE ...]``."""
    args = train_parser().parse_args()
    config, run_dir, resume = config_from_args(args)
    from dec.pipeline import fit
    from dec.rundir import RunDir

    run = RunDir(run_dir) if run_dir is not None else RunDir.new(config)
    fit(config, run, resume=resume, overwrite=args.overwrite)
    if not is_rank_zero():
        return 0
    print(f"run written to {run}")
    print(f"  evaluate:    python scripts/test.py --run {run}")
    print(f"  tensorboard: tensorboard --logdir {run.path.parent}")
    return 0


def _run_arg(parser: Parser, required: bool = False) -> None:
    parser.add_argument("--run", required=required,
                        help="run directory" + ("" if required else
                                                " (default: the newest under checkpoints/)"))


def _run(args):
    from dec.rundir import RunDir

    return RunDir(args.run).check() if args.run else RunDir.newest()


def test() -> int:
    """Evaluate a run on its held-out test split against KMeans and AE+KMeans."""
    parser = Parser(description=test.__doc__)
    _run_arg(parser)
    parser.add_argument("--no-profiles", action="store_true",
                        help="skip segment profiles and plots")
    args = parser.parse_args()
    from dec.data.prepare import prepare_run_data
    from dec.evaluate import evaluate, report_markdown, write_report

    run = _run(args)
    data = prepare_run_data(run)  # loaded once, for the report and the profiles
    report = evaluate(run, data=data)
    json_path, md_path = write_report(run, report)
    print(report_markdown(report))
    print(f"wrote {json_path} and {md_path}")
    if not args.no_profiles:
        from dec.profiles import profile_run

        written = profile_run(run, data=data)
        print(f"wrote segment profiles and plots: {', '.join(p.name for p in written)}")
    return 0


def _scoring_parser(description: str, data_required: bool) -> Parser:
    parser = Parser(description=description)
    _run_arg(parser, required=True)
    parser.add_argument("--data", required=data_required,
                        help="customer table (.csv or .parquet)"
                        + ("" if data_required else "; default: the run's own data"))
    parser.add_argument("--id-column", help="id column of the --data table (default: the "
                        "one the model was trained with, if present)")
    return parser


def predict() -> int:
    """Segments and segment probabilities for new customers, from a trained run."""
    parser = _scoring_parser(predict.__doc__, data_required=True)
    parser.add_argument("--output", required=True, help="FILE.csv, FILE.parquet or FILE.npz")
    args = parser.parse_args()
    from dec import DeepEmbeddedClustering
    from dec.export import check_output_path, customer_batches, score_batches, write_batches

    check_output_path(args.output, inputs=(args.data,))
    model = DeepEmbeddedClustering.load(args.run)
    batches = customer_batches(model, args.data, id_column=args.id_column)
    rows = write_batches(score_batches(model, batches, embeddings=False), args.output)
    print(f"wrote segments for {rows} customers to {args.output}")
    return 0


def export() -> int:
    """Export id, segment, embeddings z_* and probabilities p_* for every customer;
    optionally the encoder as ONNX."""
    parser = _scoring_parser(export.__doc__, data_required=False)
    parser.add_argument("--output", help="FILE.parquet, FILE.csv or FILE.npz")
    parser.add_argument("--onnx", help="also write the encoder to FILE.onnx")
    args = parser.parse_args()
    if not args.output and not args.onnx:
        parser.error("give --output FILE and/or --onnx FILE.onnx")
    from dec import DeepEmbeddedClustering
    from dec.export import check_output_path, customer_batches, export_onnx, score_batches, \
        write_batches

    for path, formats in ((args.output, None), (args.onnx, (".onnx",))):
        if path:
            check_output_path(path, **({"formats": formats} if formats else {}),
                              inputs=(args.data,))
    model = DeepEmbeddedClustering.load(args.run)
    if args.output and args.data is None and model.config_.data.source == "in-memory":
        from dec.errors import DataError

        raise DataError("this model was fitted in Python on in-memory data; pass --data PATH")
    if args.output:
        batches = customer_batches(model, args.data, id_column=args.id_column)
        rows = write_batches(score_batches(model, batches), args.output)
        print(f"wrote {rows} customers to {args.output}")
    if args.onnx:
        export_onnx(model, args.onnx)
        print(f"wrote the encoder to {args.onnx} (input: preprocessed features, "
              f"{model.preprocessor_.n_features_out} columns)")
    return 0


def profiles() -> int:
    """Segment profiles (profiles.md, profiles.csv) and plots (PNG) for a trained run."""
    parser = Parser(description=profiles.__doc__)
    _run_arg(parser)
    args = parser.parse_args()
    from dec.profiles import profile_run

    run = _run(args)
    written = profile_run(run)
    print(next(p for p in written if p.suffix == ".md").read_text())
    print(f"wrote {', '.join(str(p) for p in written)}")
    return 0


COMMANDS = {"train": train, "test": test, "predict": predict, "export": export,
            "profiles": profiles}
