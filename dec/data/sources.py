"""The one dispatcher: customers from a named built-in source, a table file or a purchase
log, as one :class:`~dec.data.dataset.Dataset`."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from dec.data.builtin import PACKAGED_TABLES, digits, packaged_table, synthetic
from dec.data.dataset import Dataset
from dec.data.readers import ROW_INDEX, customer_table, folder_parts, read_table, split_outcomes
from dec.data.roles import file_roles, outcome_names
from dec.data.suite import SUITE_TABLES, load_suite_table, suite_file
from dec.errors import ConfigError, DataError
from dec.utils.urls import is_database_url


def load_dataset(
    source: str = "synthetic",
    *,
    n_samples: int = 20000,
    random_state: int = 0,
    id_column: str | None = None,
    label_column: str | None = None,
    drop_columns=(),
    categorical_columns=(),
    format: str = "table",
    date_column: str | None = None,
    amount_column: str | None = None,
    quantity_column: str | None = None,
    as_of: str | None = None,
    outcome_columns=(),
    log_engine: str = "pandas",
    log_memory_limit: str | None = None,
    log_temp_directory: str | None = None,
    table: str | None = None,
    query: str | None = None,
) -> Dataset:
    """Load a built-in data set or a customer table.

    Parameters
    ----------
    source : str, default="synthetic"
        ``"synthetic"``, ``"digits"``, ``"cdnow"``, ``"mlc_churn"``, ``"attrition"``, a
        table of the public suite (:data:`dec.data.suite.SUITE_TABLES`), or the path of a ``.csv`` or
        ``.parquet`` customer table or (with ``format="transactions"``) transaction log.
    n_samples, random_state : int, default=20000, 0
        Number of customers and seed for ``"synthetic"``.
    id_column, label_column : str, optional
        Customer id column (else the row number is the id); known segments, kept for
        evaluation and removed from the features.
    drop_columns, categorical_columns : sequence of str
        Columns to leave out; columns the preprocessor one-hot encodes (checked to exist).
    format, date_column, amount_column, quantity_column : str, optional
        ``"transactions"`` for a log, and its columns (``id_column`` names the customer).
    as_of : str, optional
        Transactions only: features up to this date, outcomes after it (default:
        1997-09-30 for CDNOW, else the log's last date: every customer, no outcomes).
    outcome_columns : sequence of str
        Table columns that judge the segments, never features (yes/no becomes 1/0).
    log_engine : {"pandas", "duckdb"}, default="pandas"
        Who reads a transaction log file: pandas (any date spelling) or DuckDB straight
        from the files, a folder or a glob (:mod:`dec.data.logs.sql`; memory bounded by
        customers), with its memory limit (``"4GB"``) and spill folder ``log_*``.

    Returns
    -------
    Dataset
    """
    if is_database_url(source):
        dataset = _database(
            source,
            table,
            query,
            format,
            id_column,
            label_column,
            list(drop_columns),
            list(outcome_columns),
            (date_column, amount_column, quantity_column, as_of),
        )
    elif table or query:
        raise ConfigError(
            f"{{data.table}} and {{data.query}} read a database; {source!r} is not a database "
            "URL such as sqlite:///shop.db or postgresql://user@host/db"
        )
    elif source == "synthetic":
        dataset = synthetic(n_samples, random_state)
    elif source == "digits":
        dataset = digits()
    elif source in PACKAGED_TABLES:
        dataset = packaged_table(source)
    elif source in SUITE_TABLES:
        dataset = load_suite_table(source)
    elif source == "cdnow":
        from dec.data.logs.transactions import CDNOW_AS_OF, load_cdnow, transactions_dataset

        dataset = transactions_dataset("cdnow", load_cdnow(), as_of or CDNOW_AS_OF)
    elif format == "transactions":
        dataset = _log_file(
            source,
            id_column,
            date_column,
            amount_column,
            quantity_column,
            as_of,
            log_engine,
            memory_limit=log_memory_limit,
            temp_directory=log_temp_directory,
        )
    else:
        dataset = _table_file(
            source, id_column, label_column, list(drop_columns), list(outcome_columns)
        )
    return _drop_and_check(dataset, drop_columns, categorical_columns)


def _database(source, table, query, format, id_column, label_column, drop, outcomes, log):
    """Customers from a database table or query: a customer table, or a purchase log whose
    orders are added up as they are read (:func:`dec.data.database.read.read_orders`)."""
    from dec.data.database.connect import where
    from dec.data.database.read import INTEGER_IDS, check_source, read_frame, read_orders

    check_source(source, table, query)
    name, label = table or "query", where(source, table, query)
    if format == "transactions":
        from dec.data.logs.transactions import transactions_dataset

        date_column, amount_column, quantity_column, as_of = log
        _check_log_roles(id_column, date_column, amount_column)
        orders, purchases = read_orders(
            source,
            table=table,
            query=query,
            id_column=id_column,
            date_column=date_column,
            amount_column=amount_column,
            quantity_column=quantity_column,
        )
        dataset = transactions_dataset(name, orders, as_of, purchases=purchases)
        dataset.features.attrs.update(orders.attrs)  # integer ids stay integers when written
        return dataset
    frame = read_frame(source, table=table, query=query)
    kinds = frame.dtypes.to_dict()
    frame, labels = customer_table(
        frame, label, id_column=id_column, label_column=label_column, exclude=drop + outcomes
    )
    if frame.index.name in kinds and pd.api.types.is_integer_dtype(kinds[frame.index.name]):
        frame.attrs[INTEGER_IDS] = True
    return _with_outcomes(frame, labels, name, label, [], id_column, drop, outcomes)


def _table_file(source, id_column, label_column, drop_columns, outcome_columns) -> Dataset:
    """A customer table whose id and outcomes are named, declared by the file, or found by
    the rules of :mod:`dec.data.roles`; what was found is recorded in ``Dataset.found``."""
    frame, labels = read_table(
        source,
        id_column=id_column,
        label_column=label_column,
        exclude=drop_columns + outcome_columns,
    )
    declared = file_roles(source).get("outcome_columns", [])
    return _with_outcomes(
        frame,
        labels,
        Path(source).name,
        source,
        declared,
        id_column,
        drop_columns,
        outcome_columns,
    )


def _with_outcomes(
    frame, labels, name, source, declared, id_column, drop_columns, outcome_columns
) -> Dataset:
    """The :class:`Dataset` of a customer table: outcomes named, declared or named
    ``holdout_*`` moved out of the features (said once); what was found recorded."""
    extra = [
        c
        for c in dict.fromkeys([*declared, *outcome_names(frame.columns)])
        if c in frame.columns and c not in outcome_columns and c not in drop_columns
    ]
    if extra:
        warnings.warn(
            f"{name}: {', '.join(extra)} "
            f"{'is an outcome' if len(extra) == 1 else 'are outcomes'} (what customers "
            "did after the features' date): kept to judge the segments, never a "
            "feature",
            stacklevel=3,
        )
    frame, outcomes = split_outcomes(frame, outcome_columns + extra, source)
    found = {}
    if id_column is None and frame.index.name != ROW_INDEX:
        found["id_column"] = frame.index.name
    if extra:
        found["outcome_columns"] = outcome_columns + extra
    return Dataset(name, frame, labels, outcomes, found=found)


def source_files(source: str) -> list[Path]:
    """The files the data source ``source`` (a config's ``data.source``) is read from:
    none for generated data; every log file for a folder or a glob."""
    from dec.utils.resources import cdnow_path, shipped_data

    if source == "cdnow":
        return [cdnow_path()]
    if source in PACKAGED_TABLES:
        return [shipped_data(f"modeldata/{source}.csv.gz")]
    if source in SUITE_TABLES and suite_file(source) is not None:
        return [suite_file(source)]
    if source in ("synthetic", "digits", "in-memory") or is_database_url(source):
        return []
    path = Path(source)
    if path.is_dir():  # a folder of log files (the DuckDB reader's kind of source)
        return folder_parts(path)
    if not path.exists() and any(c in source for c in "*?["):  # a glob of log files
        import glob

        return sorted(Path(p) for p in glob.glob(source))
    return [path]


def _log_file(
    source,
    id_column,
    date_column,
    amount_column,
    quantity_column,
    as_of,
    log_engine: str = "pandas",
    **duckdb_settings,
) -> Dataset:
    from dec.data.logs.transactions import transactions_dataset
    from dec.data.readers import read_transactions

    _check_log_roles(id_column, date_column, amount_column)
    if log_engine == "duckdb":
        from dec.data.logs.sql import log_dataset

        return log_dataset(
            source,
            id_column=id_column,
            date_column=date_column,
            amount_column=amount_column,
            quantity_column=quantity_column,
            as_of=as_of,
            **duckdb_settings,
        )
    log = read_transactions(
        source,
        id_col=id_column,
        date_col=date_column,
        amount_col=amount_column,
        quantity_col=quantity_column,
    )
    return transactions_dataset(Path(source).name, log, as_of)


def _check_log_roles(id_column, date_column, amount_column) -> None:
    """A purchase log, from a file or a database, names its id, date and amount columns."""
    if not (id_column and date_column and amount_column):
        raise DataError(
            "a transaction log needs {data.id_column}, {data.date_column} and {data.amount_column}"
        )


def _drop_and_check(dataset: Dataset, drop_columns, categorical_columns) -> Dataset:
    columns = dataset.features.columns
    for kind, names in (("drop", drop_columns), ("categorical", categorical_columns)):
        unknown = [c for c in names if c not in columns]
        if unknown:
            raise DataError(
                f"{kind} column(s) {unknown} not in the data; columns are: {list(columns)}"
            )
    if drop_columns:
        dataset.features = dataset.features.drop(columns=list(drop_columns))
    if dataset.features.shape[1] == 0:
        raise DataError("no feature columns left after dropping")
    return dataset
