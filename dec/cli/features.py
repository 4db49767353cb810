"""``python -m dec features``: a purchase log's per-customer features (and, where the log
runs past the as-of date, its hold-out outcomes) written to Parquet or CSV for use
elsewhere, computed by DuckDB straight from the files (:mod:`dec.data.logs.sql`)."""

from __future__ import annotations

from dec.cli.common import Parser, threads_arg

FORMATS = (".parquet", ".csv")


def features() -> int:
    """Per-customer features of a purchase log, computed by DuckDB from the files."""
    parser = Parser(description=features.__doc__)
    parser.add_argument(
        "--transactions",
        required=True,
        metavar="LOG",
        help="a purchase log: a .csv or .parquet file, a folder of them, or "
        "a quoted glob such as 'logs/*.parquet'",
    )
    parser.add_argument("--id-column", required=True, help="customer id column")
    parser.add_argument(
        "--date-column",
        required=True,
        help="purchase date column (dates, timestamps, YYYY-MM-DD or YYYYMMDD)",
    )
    parser.add_argument("--amount-column", required=True, help="purchase value column")
    parser.add_argument("--quantity-column", help="items per purchase (optional)")
    parser.add_argument(
        "--as-of",
        help="features from purchases up to this date (default: "
        "the log's last date, so every customer is in it); purchases after "
        "it become the outcomes holdout_spend/_active",
    )
    parser.add_argument(
        "--memory-limit",
        help="DuckDB's memory limit (default 1GB; more is "
        "faster); beyond it, it spills to --temp-directory",
    )
    parser.add_argument(
        "--temp-directory",
        help="where DuckDB spills (default: a temporary folder, removed afterwards)",
    )
    parser.add_argument("--output", required=True, help="FILE.parquet or FILE.csv")
    threads_arg(parser)
    args = parser.parse_args()
    from dec.data.sources import source_files
    from dec.utils import files, paths

    # A folder or glob is all of its files: none of them may be the output, nor may the
    # output become one of them.
    paths.check_not_read_later(args.output, args.transactions)
    output = paths.check_output_file(
        args.output, FORMATS, inputs=(args.transactions, *source_files(args.transactions))
    )
    from dec.data.logs.sql import write_features

    with files.atomic_path(output) as tmp:
        customers, columns, as_of, outcomes = write_features(
            args.transactions,
            tmp,
            output.suffix.lower().lstrip("."),
            id_column=args.id_column,
            date_column=args.date_column,
            amount_column=args.amount_column,
            quantity_column=args.quantity_column,
            as_of=args.as_of,
            memory_limit=args.memory_limit,
            temp_directory=args.temp_directory,
        )
    extra = " and hold-out outcomes" if outcomes else ""
    print(
        f"wrote {customers:,} customers x {columns} columns (features as of "
        f"{as_of.date()}{extra}) to {output}"
    )
    return 0
