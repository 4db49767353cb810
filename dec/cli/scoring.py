"""The commands that score customers with a trained run: predict, export and migrate
(tables or purchase logs). ``scripts/<name>.py`` and ``python -m dec <name>`` run them."""

from __future__ import annotations

from dec.cli.common import Parser, run_arg


def _scoring_parser(description: str, data_required: bool) -> Parser:
    parser = Parser(description=description)
    run_arg(parser, required=True)
    parser.add_argument(
        "--data",
        required=data_required,
        help="customer table (.csv or .parquet, or a database URL with --table or --query)"
        + ("" if data_required else "; default: the run's own data"),
    )
    parser.add_argument(
        "--id-column",
        help="id column of the --data table or "
        "--transactions log (default: the one the model was trained with)",
    )
    _log_args(parser)
    database_args(parser)
    return parser


def database_args(parser: Parser) -> None:
    """``--table``/``--query`` for a database ``--data`` or ``--transactions``, and for a
    database ``--output`` its table and ``--overwrite`` (:func:`database_targets`)."""
    parser.add_argument(
        "--table",
        help="the table of a database --data or --transactions URL, or, where only --output "
        "is a database URL, the table to write",
    )
    parser.add_argument("--query", help="a SELECT query instead of --table, for a database input")
    parser.add_argument(
        "--output-table", help="the table to write where --output and the input are databases"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the --output table if it exists (in one transaction)",
    )


def database_targets(parser: Parser, args, inputs) -> tuple[dict, str | None]:
    """Which table each database URL means: ``({"table": ..., "query": ...}`` of the
    input, the output table``)``; usage errors for a table or query with no database."""
    from dec.utils.urls import is_database_url

    reads = any(is_database_url(i) for i in inputs if i)
    writes = is_database_url(getattr(args, "output", None))
    output_table = getattr(args, "output_table", None)
    if (args.table or args.query) and not (reads or writes):
        parser.error(
            "--table and --query go with a database URL as --data, --transactions or --output"
        )
    if args.query and not reads:
        parser.error("--query reads a database: give a database URL as --data or --transactions")
    if output_table and not writes:
        parser.error("--output-table goes with a database URL as --output")
    if getattr(args, "overwrite", False) and not writes:
        parser.error("--overwrite replaces a database --output table; a file is replaced anyway")
    if writes and not reads:
        return {}, output_table or args.table
    return {"table": args.table, "query": args.query}, output_table


def _log_args(parser: Parser) -> None:
    """The options that score a purchase log instead of a customer table."""
    parser.add_argument(
        "--transactions",
        metavar="LOG",
        help="score a purchase log (.csv, "
        ".parquet, or a database URL with --table or --query; many rows per customer) instead "
        "of a customer table; the run must have been trained on a log",
    )
    parser.add_argument(
        "--date-column", help="--transactions: purchase date column (default: the run's)"
    )
    parser.add_argument(
        "--amount-column", help="--transactions: purchase value column (default: the run's)"
    )
    parser.add_argument(
        "--quantity-column", help="--transactions: items per purchase (default: the run's)"
    )


def value_args(parser: Parser, fit: bool) -> None:
    """--clv and its horizon and discount rate (test.py fits; the scoring commands reuse)."""
    from dec.evaluation.value_report import DEFAULT_DISCOUNT_RATE, DEFAULT_HORIZON
    from dec.value.fit import PURCHASE_MODELS

    parser.add_argument(
        "--clv",
        action="store_true",
        help=(
            "also fit customer-value models (BG/NBD or Pareto/NBD, and Gamma-Gamma; needs "
            "dec[clv]) on the training customers and report each segment's value; purchase "
            "logs only"
            if fit
            else "add expected_purchases, p_alive, expected_spend and clv per customer "
            "(the value models test.py --clv fitted); purchase logs only"
        ),
    )
    parser.add_argument(
        "--clv-horizon",
        type=_horizon,
        default=None if not fit else DEFAULT_HORIZON,
        metavar="12M",
        help="how far ahead value counts: "
        f"months (12M) or years (1Y); default {DEFAULT_HORIZON}"
        + ("" if fit else ", or test.py's"),
    )
    parser.add_argument(
        "--discount-rate",
        type=_rate,
        default=None if not fit else DEFAULT_DISCOUNT_RATE,
        metavar="RATE",
        help=f"yearly discount rate of future spend (default "
        f"{DEFAULT_DISCOUNT_RATE:g}" + (")" if fit else ", or test.py's)"),
    )
    if fit:
        parser.add_argument(
            "--clv-posterior",
            action="store_true",
            help="with --clv: sample the models' full posterior (NUTS, about "
            "20 s more) and give each segment's value a 90 %% interval",
        )
        parser.add_argument(
            "--clv-model",
            choices=("auto", *PURCHASE_MODELS),
            default=None,
            help="with --clv: the purchase model; auto (the "
            "default) chooses the one that best predicted the last third of "
            "the log before as_of",
        )


def _horizon(text: str) -> str:
    """``--clv-horizon`` as ``12M`` or ``2Y``, once it parses: checked while the flags are
    read, before any work."""
    from dec.value.settings import parse_horizon

    _flag_check(parse_horizon, "--clv-horizon", text)
    return text.strip().upper()


def _rate(text: str) -> float:
    """``--discount-rate`` as a number: finite and at least 0. Not ``type=float``, which
    takes ``nan``, ``inf`` and ``-1`` and gives NaN, zero or infinite values."""
    from dec.value.settings import check_discount_rate

    return _flag_check(check_discount_rate, "--discount-rate", text)


def _flag_check(check, flag: str, text: str):
    """``check(text)``, its DataError as argparse's one line (which names the flag)."""
    import argparse

    from dec.errors import DataError

    try:
        return check(text)
    except DataError as err:
        raise argparse.ArgumentTypeError(str(err).removeprefix(f"{flag} ")) from None


def _value_settings(run: str, args) -> dict | None:
    """With --clv: the run's value_model.json with the horizon and rate given; else None.
    Checked before any scoring, so a run without one fails in one line."""
    if not args.clv:
        return None
    from dec.evaluation.value_report import saved_settings
    from dec.value.settings import parse_horizon

    settings = saved_settings(run)
    if args.clv_horizon is not None:
        settings.update(horizon=args.clv_horizon, months=parse_horizon(args.clv_horizon))
    if args.discount_rate is not None:
        settings["discount_rate"] = args.discount_rate
    return settings


def _batches(model, args, *, as_of: str | None, data: str | None, reading: dict | None = None):
    """The customers to score: from ``--transactions`` (or, given ``as_of``, the run's own
    log) at that date, else from the table ``data`` (or the run's own data); ``reading``
    names a database input's table or query."""
    from dec.scoring.export import customer_batches, log_customers

    reading = reading or {}

    if args.transactions or as_of:
        return [
            log_customers(
                model,
                args.transactions,
                as_of=as_of,
                id_column=args.id_column,
                date_column=args.date_column,
                amount_column=args.amount_column,
                quantity_column=args.quantity_column,
                **reading,
            )
        ]
    return customer_batches(model, data, id_column=args.id_column, **reading)


def _check_kept(
    model,
    run: str,
    outputs,
    transactions: str | None = None,
    *,
    table: str | None = None,
    scored=(),
) -> None:
    """Before any scoring: no output lands on the data the run was trained on, on one of
    the run's own files, or on a file of the ``transactions`` folder or glob being scored,
    however the path is spelt; a database output ``table`` is neither the run's table nor
    one being read (``scored``: ``(source, reading)`` pairs, :func:`_check_table_kept`)."""
    from dec.data.sources import source_files
    from dec.runs.rundir import RunDir
    from dec.utils import paths
    from dec.utils.urls import is_database_url

    databases = [o for o in outputs if is_database_url(o)]
    outputs = [o for o in outputs if not is_database_url(o)]
    if databases:
        _check_table_kept(model, databases[0], table, scored)

    kept = [
        (path, "the data the run was trained on")
        for path in source_files(model.config_.data.source)
    ]
    kept += [
        (path, "the purchase log being scored")
        for path in (source_files(transactions) if transactions else [])
    ]
    kept += [(path, "the run's own file") for path in RunDir(run).own_files()]
    paths.check_outputs_kept(outputs, kept)
    for output in (o for o in outputs if o is not None):
        for source in (model.config_.data.source, transactions):
            if source:
                paths.check_not_read_later(output, source)


def _check_table_kept(model, output: str, table: str, scored: list[tuple]) -> None:
    """A database output table is neither the table the run was trained on nor one being
    scored (``(source, reading)`` pairs), however the URL or the name is spelt."""
    from dec.data.database.connect import table_identity
    from dec.errors import OutputPathError
    from dec.utils.urls import is_database_url

    d = model.config_.data
    kept = [(d.source, d.table, "the table the run was trained on")]
    kept += [
        (source, reading.get("table"), "a table being scored")
        for source, reading in scored
        if source
    ]
    target = table_identity(output, table)
    for source, name, what in kept:
        if is_database_url(source) and name and table_identity(source, name) == target:
            raise OutputPathError(
                f"output table {table} is {what}; write another table so it is kept"
            )


def _snapshot_readings(parser: Parser, args) -> list[dict]:
    """The table or query of each snapshot: one for a database --transactions log (both
    dates), one per database --data table, in order; none for files."""
    from dec.utils.urls import is_database_url

    given = [{"table": t} for t in args.table] + [{"query": q} for q in args.query]
    if args.transactions and is_database_url(args.transactions):
        if len(given) != 1:
            parser.error("a database --transactions log needs one --table or --query")
        return [given[0], given[0]]
    databases = [is_database_url(d) for d in args.data]
    if given and not any(databases):
        parser.error("--table and --query go with a database URL as --data or --transactions")
    if any(databases):
        if args.table and args.query:
            parser.error("give the two snapshots as --table twice or --query twice, not both")
        if len(given) != sum(databases):
            parser.error("give one --table (or --query) per database --data, in their order")
        found = iter(given)
        return [next(found) if database else {} for database in databases]
    return [{}, {}]


def _snapshot_name(snapshot: str, reading: dict) -> str:
    """How messages name a snapshot: its date, file, or table."""
    from dec.utils.urls import is_database_url

    if not is_database_url(snapshot):
        return snapshot
    return reading.get("table") or "the query"


def _one_source(parser: Parser, args, *, required: bool) -> None:
    if args.data and args.transactions:
        parser.error("give --data (a customer table) or --transactions (a purchase log), not both")
    if required and not (args.data or args.transactions):
        parser.error("give the customers to score: --data TABLE or --transactions LOG")
    if args.data and getattr(args, "as_of", None):
        parser.error("--as-of applies to purchase logs; with a --data table leave it out")


def predict() -> int:
    """Segments and segment probabilities for new customers, from a trained run."""
    parser = _scoring_parser(predict.__doc__, data_required=False)
    parser.add_argument(
        "--as-of",
        help="--transactions: features from purchases up to this "
        "date (default: the log's last date)",
    )
    parser.add_argument(
        "--output",
        required=True,
        help="FILE.csv, FILE.parquet or FILE.npz, or a database URL (with --table NAME)",
    )
    value_args(parser, fit=False)
    args = parser.parse_args()
    _one_source(parser, args, required=True)
    reading, table = database_targets(parser, args, (args.data, args.transactions))
    from dec.estimator import DeepEmbeddedClustering
    from dec.scoring.export import check_output, score_batches, write_output

    target = check_output(
        args.output, table, overwrite=args.overwrite, inputs=(args.data, args.transactions)
    )
    model = DeepEmbeddedClustering.load(args.run)
    _check_kept(
        model,
        args.run,
        [args.output],
        args.transactions,
        table=table,
        scored=[(args.data or args.transactions, reading)],
    )
    value = _value_settings(args.run, args)
    batches = _batches(model, args, as_of=args.as_of, data=args.data, reading=reading)
    scores = score_batches(model, batches, embeddings=False, value=value)
    rows = write_output(scores, args.output, table, overwrite=args.overwrite)
    print(f"wrote segments for {rows} customers to {target}")
    return 0


def export() -> int:
    """Export id, segment, embeddings z_* and probabilities p_* for every customer;
    optionally the encoder as ONNX."""
    parser = _scoring_parser(export.__doc__, data_required=False)
    parser.add_argument(
        "--as-of",
        help="score a purchase log (--transactions, or the run's "
        "own) with features up to this date (default: the log's last date)",
    )
    parser.add_argument(
        "--output", help="FILE.parquet, FILE.csv or FILE.npz, or a database URL (with --table NAME)"
    )
    parser.add_argument("--onnx", help="also write the encoder to FILE.onnx")
    value_args(parser, fit=False)
    args = parser.parse_args()
    if not args.output and not args.onnx:
        parser.error("give --output FILE and/or --onnx FILE.onnx")
    _one_source(parser, args, required=False)
    reading, table = database_targets(parser, args, (args.data, args.transactions))
    from dec.estimator import DeepEmbeddedClustering
    from dec.scoring.export import (
        check_output,
        check_output_path,
        export_onnx,
        score_batches,
        write_output,
    )

    target = None
    if args.output:
        target = check_output(
            args.output, table, overwrite=args.overwrite, inputs=(args.data, args.transactions)
        )
    if args.onnx:
        check_output_path(args.onnx, formats=(".onnx",), inputs=(args.data, args.transactions))
    model = DeepEmbeddedClustering.load(args.run)
    _check_kept(
        model,
        args.run,
        [args.output, args.onnx],
        args.transactions,
        table=table,
        scored=[(args.data or args.transactions, reading)],
    )
    if (
        args.output
        and not (args.data or args.transactions)
        and model.config_.data.source == "in-memory"
    ):
        from dec.errors import DataError

        raise DataError("this model was fitted in Python on in-memory data; pass --data PATH")
    value = _value_settings(args.run, args)
    if args.output:
        batches = _batches(model, args, as_of=args.as_of, data=args.data, reading=reading)
        scores = score_batches(model, batches, value=value)
        rows = write_output(scores, args.output, table, overwrite=args.overwrite)
        print(f"wrote {rows} customers to {target}")
    if args.onnx:
        export_onnx(model, args.onnx)
        print(
            f"wrote the encoder to {args.onnx} (input: preprocessed features, "
            f"{model.preprocessor_.n_features_out} columns)"
        )
    return 0


def migrate() -> int:
    """Who moved between segments: score the same customers at two snapshots (two --as-of
    dates of a purchase log, or two --data tables) and write the transition matrix, the
    movers and a heatmap."""
    parser = Parser(description=migrate.__doc__)
    run_arg(parser, required=True)
    parser.add_argument(
        "--as-of",
        action="append",
        default=[],
        metavar="DATE",
        help="twice: the two snapshot dates of the purchase log (--transactions, or the run's own)",
    )
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="TABLE",
        help="twice: the customer tables of the two snapshots (same id column)",
    )
    parser.add_argument("--id-column", help="id column of the tables or log (default: the run's)")
    _log_args(parser)
    parser.add_argument(
        "--table",
        action="append",
        default=[],
        help="the table of a database --transactions URL, or, twice, the tables of two "
        "database --data URLs (in their order)",
    )
    parser.add_argument(
        "--query",
        action="append",
        default=[],
        help="a SELECT query instead of --table (once per database input)",
    )
    parser.add_argument(
        "--output",
        required=True,
        help="movers FILE.parquet or FILE.csv; FILE.transitions.{csv,md,png} are written beside "
        "it; or a database URL: the movers as a table (--table, or --output-table where the "
        "snapshots are database tables too)",
    )
    parser.add_argument("--output-table", help="the movers table of a database --output")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace the --output table if it exists"
    )
    value_args(parser, fit=False)
    args = parser.parse_args()
    if (len(args.as_of), len(args.data)) not in ((2, 0), (0, 2)):
        parser.error(
            "give two snapshots: --as-of D1 --as-of D2 (a purchase log) or "
            "--data T1 --data T2 (customer tables)"
        )
    if args.data and args.transactions:
        parser.error("--transactions goes with --as-of; tables are given with --data")
    output_table = _movers_table(parser, args)
    readings = _snapshot_readings(parser, args)
    import warnings

    import pandas as pd

    from dec.estimator import DeepEmbeddedClustering
    from dec.scoring.export import check_output, write_output
    from dec.scoring.migrate import (
        check_ids,
        check_migration_paths,
        check_overlap,
        check_snapshot_dates,
        migration_summary,
        segment_names,
        write_migration,
    )

    if output_table:
        target = check_output(args.output, output_table, overwrite=args.overwrite)
        paths = {}
    else:
        paths = check_migration_paths(args.output, inputs=(*args.data, args.transactions))
    check_snapshot_dates(args.as_of)
    model = DeepEmbeddedClustering.load(args.run)
    _check_kept(
        model,
        args.run,
        [*paths.values(), *([args.output] if output_table else [])],
        args.transactions,
        table=output_table,
        scored=[
            (source, reading)
            for source, reading in zip([*args.data, args.transactions], [*readings, readings[0]])
            if source
        ],
    )
    value = _value_settings(args.run, args)
    snapshots = args.as_of or args.data
    frames, segments = [], []
    for snapshot, reading in zip(snapshots, readings):
        with warnings.catch_warnings():
            # Customers without purchases by the first date are counted as new, not lost.
            warnings.filterwarnings("ignore", ".*first bought after as_of.*")
            frame = pd.concat(
                list(
                    _batches(
                        model,
                        args,
                        as_of=snapshot if args.as_of else None,
                        data=None if args.as_of else snapshot,
                        reading=reading,
                    )
                )
            )
        check_ids(frame, _snapshot_name(snapshot, reading))
        frames.append(frame)
        segments.append(pd.Series(model.predict(frame), index=frame.index.astype(str)))
    # a database snapshot is named by its table: its URL may hold a password
    titles = [_snapshot_name(s, r) for s, r in zip(snapshots, readings)]
    check_overlap(segments[0].index, segments[1].index, *titles)
    names = segment_names(args.run, frames[0], segments[0].to_numpy(), model.n_clusters)
    worth = None
    if value is not None:
        from dec.value.clv import value_arrays

        worth = pd.Series(value_arrays(frames[1], value)["clv"], index=frames[1].index.astype(str))
    if output_table:
        _, text, moved = migration_summary(segments[0], segments[1], names, *titles, worth=worth)
        rows = write_output(iter([moved]), args.output, output_table, overwrite=args.overwrite)
        print(text)
        print(f"wrote {rows} movers to {target}")
        return 0
    write_migration(segments[0], segments[1], names, paths, *titles, worth=worth)
    print(paths["md"].read_text())
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    return 0


def _movers_table(parser: Parser, args) -> str | None:
    """The movers table of a database --output: --output-table, or the one --table where no
    snapshot is a database table (that --table is then the output's, not an input's)."""
    from dec.utils.urls import is_database_url

    if not is_database_url(args.output):
        if args.output_table or args.overwrite:
            parser.error("--output-table and --overwrite go with a database URL as --output")
        return None
    reads = any(is_database_url(s) for s in (*args.data, args.transactions) if s)
    if args.output_table:
        return args.output_table
    if not reads and len(args.table) == 1 and not args.query:
        return args.table.pop()
    parser.error(
        "a database --output needs the movers table: --output-table NAME"
        + ("" if reads else " (or one --table NAME)")
    )
