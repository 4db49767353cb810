"""Load customers from a named built-in source or a file, as one :class:`Dataset`."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dec.data.readers import ROW_INDEX, folder_parts, read_table, split_outcomes
from dec.data.roles import file_roles, outcome_names
from dec.data.suite import SUITE_TABLES, load_suite_table, suite_file
from dec.errors import DataError


@dataclass
class Dataset:
    """Customer features plus what is kept aside for judging segments.

    Attributes
    ----------
    name : str
        Source name (``"synthetic"``, ``"digits"``) or file name.
    features : DataFrame of shape (n_customers, n_columns)
        One row per customer, indexed by customer id. Only this reaches the model.
    labels : ndarray of shape (n_customers,) or None
        Ground truth where it exists, for evaluation only.
    outcomes : DataFrame or None
        Facts about the period after the features, for evaluation only.
    holdout_weeks : float or None
        For a purchase log, the weeks from ``as_of`` to the log's last date: the period
        the outcomes cover.
    as_of : str or None
        For a purchase log, the date its features were made at (``YYYY-MM-DD``).
    found : dict
        What the loader found or chose on its own, for the run's config to record: a
        table file's ``id_column`` and ``outcome_columns`` (:mod:`dec.data.roles`), a
        log's default ``as_of``.
    """

    name: str
    features: pd.DataFrame
    labels: np.ndarray | None = None
    outcomes: pd.DataFrame | None = None
    holdout_weeks: float | None = None
    as_of: str | None = None
    found: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.features)

    def fingerprint(self) -> dict:
        """Rows, columns and a sha256 of the features (ids and values, in order): a run
        records it, so that resuming or evaluating on other data is caught."""
        return _fingerprint(self.features)

    def matches(self, recorded: dict) -> bool:
        """Whether ``recorded`` (a run's :meth:`fingerprint`) is of these features.

        Exact, or the same ids and columns with values equal to a relative 1e-12 (DuckDB
        adds a large log's purchases on several threads, in an order that changes from run
        to run, so its sums differ in the last bits). Runs from before ids were read as
        text recorded ids such as ``00042`` as the number 42; the same file still matches.
        """
        now = self.fingerprint()
        if all(recorded.get(key) == now[key] for key in EXACT) or _close(recorded, now):
            return True
        index = self.features.index
        if index.dtype != object and not pd.api.types.is_string_dtype(index):
            return False
        try:
            numeric = pd.Index(pd.to_numeric(index), name=index.name)
        except (ValueError, TypeError):
            return False
        legacy = _fingerprint(self.features.set_axis(numeric))
        return all(recorded.get(key) == legacy[key] for key in EXACT)


#: The fingerprint's exact part: what every run has recorded.
EXACT = ("rows", "columns", "sha256")
#: Relative difference of a column's sums that still counts as the same values.
RELATIVE_TOLERANCE = 1e-12


def _fingerprint(features: pd.DataFrame) -> dict:
    import hashlib

    hashed = pd.util.hash_pandas_object(features, index=True).to_numpy()
    digest = hashlib.sha256(hashed.tobytes())
    digest.update("\0".join(map(str, features.columns)).encode())
    found = {"rows": int(len(features)), "columns": int(features.shape[1]),
             "sha256": digest.hexdigest()}
    if all(pd.api.types.is_numeric_dtype(t) for t in features.dtypes):
        found["close"] = _sums(features)
    return found


def _sums(features: pd.DataFrame) -> dict:
    """The ids' and column names' sha256, and per column the sum of absolute values and a
    sum weighted by a hash of each id (moving a value to another customer changes it)."""
    import hashlib

    ids = pd.util.hash_pandas_object(features.index.to_series(), index=False).to_numpy()
    weights = (ids >> np.uint64(11)).astype(np.float64) / 2.0**53
    values = features.to_numpy(dtype=np.float64)
    with np.errstate(all="ignore"):
        return {"ids": hashlib.sha256(ids.tobytes()).hexdigest(),
                "names": list(map(str, features.columns)),
                "abs": np.abs(values).sum(axis=0).tolist(),
                "weighted": (weights @ values).tolist()}


def _close(recorded: dict, now: dict) -> bool:
    """The same ids and columns, each column's sums equal to :data:`RELATIVE_TOLERANCE`."""
    a, b = recorded.get("close"), now.get("close")
    if not a or not b or (a["ids"], a["names"]) != (b["ids"], b["names"]) or \
            (recorded.get("rows"), recorded.get("columns")) != (now["rows"], now["columns"]):
        return False
    scale = np.maximum(np.abs(a["abs"]), np.abs(b["abs"]))
    return bool(np.all(np.abs(np.subtract(a["abs"], b["abs"])) <= RELATIVE_TOLERANCE * scale)
                and np.all(np.abs(np.subtract(a["weighted"], b["weighted"]))
                           <= RELATIVE_TOLERANCE * scale))


def load_dataset(source: str = "synthetic", *, n_samples: int = 20000, random_state: int = 0,
                 id_column: str | None = None, label_column: str | None = None,
                 drop_columns=(), categorical_columns=(), format: str = "table",
                 date_column: str | None = None, amount_column: str | None = None,
                 quantity_column: str | None = None, as_of: str | None = None,
                 outcome_columns=(), log_engine: str = "pandas",
                 log_memory_limit: str | None = None, log_temp_directory: str | None = None
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
        from the files, a folder or a glob (:mod:`dec.data.log_sql`; memory bounded by
        customers), with its memory limit (``"4GB"``) and spill folder ``log_*``.

    Returns
    -------
    Dataset
    """
    if source == "synthetic":
        dataset = _synthetic(n_samples, random_state)
    elif source == "digits":
        dataset = _digits()
    elif source in PACKAGED_TABLES:
        dataset = _packaged_table(source)
    elif source in SUITE_TABLES:
        dataset = load_suite_table(source)
    elif source == "cdnow":
        from dec.data.transactions import CDNOW_AS_OF, load_cdnow, transactions_dataset

        dataset = transactions_dataset("cdnow", load_cdnow(), as_of or CDNOW_AS_OF)
    elif format == "transactions":
        dataset = _log_file(source, id_column, date_column, amount_column, quantity_column,
                            as_of, log_engine, memory_limit=log_memory_limit,
                            temp_directory=log_temp_directory)
    else:
        dataset = _table_file(source, id_column, label_column, list(drop_columns),
                              list(outcome_columns))
    return _drop_and_check(dataset, drop_columns, categorical_columns)


def _table_file(source, id_column, label_column, drop_columns, outcome_columns) -> Dataset:
    """A customer table whose id and outcomes are named, declared by the file, or found by
    the rules of :mod:`dec.data.roles`; what was found is recorded in ``Dataset.found``."""
    frame, labels = read_table(source, id_column=id_column, label_column=label_column,
                               exclude=drop_columns + outcome_columns)
    declared = file_roles(source).get("outcome_columns", [])
    extra = [c for c in dict.fromkeys([*declared, *outcome_names(frame.columns)])
             if c in frame.columns and c not in outcome_columns and c not in drop_columns]
    if extra:
        warnings.warn(f"{Path(source).name}: {', '.join(extra)} "
                      f"{'is an outcome' if len(extra) == 1 else 'are outcomes'} (what customers "
                      "did after the features' date): kept to judge the segments, never a "
                      "feature", stacklevel=3)
    frame, outcomes = split_outcomes(frame, outcome_columns + extra, source)
    found = {}
    if id_column is None and frame.index.name != ROW_INDEX:
        found["id_column"] = frame.index.name
    if extra:
        found["outcome_columns"] = outcome_columns + extra
    return Dataset(Path(source).name, frame, labels, outcomes, found=found)


#: Real customer tables shipped in ``data/modeldata/`` (provenance in data/README.md):
#: name -> (id column, outcome column). The outcome judges the segments, never a feature.
PACKAGED_TABLES = {"mlc_churn": ("rownames", "churn"), "attrition": ("rownames", "Attrition")}


def source_files(source: str) -> list[Path]:
    """The files the data source ``source`` (a config's ``data.source``) is read from:
    none for generated data; every log file for a folder or a glob."""
    from dec.resources import cdnow_path, shipped_data

    if source == "cdnow":
        return [cdnow_path()]
    if source in PACKAGED_TABLES:
        return [shipped_data(f"modeldata/{source}.csv.gz")]
    if source in SUITE_TABLES and suite_file(source) is not None:
        return [suite_file(source)]
    if source in ("synthetic", "digits", "in-memory"):
        return []
    path = Path(source)
    if path.is_dir():  # a folder of log files (the DuckDB reader's kind of source)
        return folder_parts(path)
    if not path.exists() and any(c in source for c in "*?["):  # a glob of log files
        import glob

        return sorted(Path(p) for p in glob.glob(source))
    return [path]


def _packaged_table(name: str) -> Dataset:
    from dec.resources import shipped_data

    id_column, outcome = PACKAGED_TABLES[name]
    path = shipped_data(f"modeldata/{name}.csv.gz")
    frame, _ = read_table(path, id_column=id_column)
    frame.index.name = "customer_id"
    frame, outcomes = split_outcomes(frame, [outcome], path)
    return Dataset(name, frame, None, outcomes)


def _synthetic(n_samples: int, random_state: int) -> Dataset:
    from dec.data.synthetic import make_customers

    features, labels = make_customers(n_samples, random_state=random_state)
    return Dataset("synthetic", features, labels)


def _digits() -> Dataset:
    from sklearn.datasets import load_digits

    digits = load_digits()
    # Grey levels 0..16 scaled to [0, 1], as DEC's papers scale MNIST.
    features = pd.DataFrame(digits.data / 16.0, columns=[f"pixel_{i}" for i in range(64)])
    features.index = pd.Index([f"D{i:05d}" for i in range(len(features))], name="id")
    return Dataset("digits", features, digits.target.astype(int))


def _log_file(source, id_column, date_column, amount_column, quantity_column,
              as_of, log_engine: str = "pandas", **duckdb_settings) -> Dataset:
    from dec.data.readers import read_transactions
    from dec.data.transactions import transactions_dataset

    if not (id_column and date_column and amount_column):
        raise DataError("a transaction log needs {data.id_column}, {data.date_column} and "
                        "{data.amount_column}")
    if log_engine == "duckdb":
        from dec.data.log_sql import log_dataset

        return log_dataset(source, id_column=id_column, date_column=date_column,
                           amount_column=amount_column, quantity_column=quantity_column,
                           as_of=as_of, **duckdb_settings)
    log = read_transactions(source, id_col=id_column, date_col=date_column,
                            amount_col=amount_column, quantity_col=quantity_column)
    return transactions_dataset(Path(source).name, log, as_of)


def _drop_and_check(dataset: Dataset, drop_columns, categorical_columns) -> Dataset:
    columns = dataset.features.columns
    for kind, names in (("drop", drop_columns), ("categorical", categorical_columns)):
        unknown = [c for c in names if c not in columns]
        if unknown:
            raise DataError(f"{kind} column(s) {unknown} not in the data; columns are: "
                            f"{list(columns)}")
    if drop_columns:
        dataset.features = dataset.features.drop(columns=list(drop_columns))
    if dataset.features.shape[1] == 0:
        raise DataError("no feature columns left after dropping")
    return dataset
