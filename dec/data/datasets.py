"""Load customers from a named built-in source or a file, as one :class:`Dataset`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dec.errors import DataError

BUILT_IN = ("synthetic", "digits", "cdnow")


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
    """

    name: str
    features: pd.DataFrame
    labels: np.ndarray | None = None
    outcomes: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self.features)


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
) -> Dataset:
    """Load a built-in data set or a customer table.

    Parameters
    ----------
    source : str, default="synthetic"
        ``"synthetic"``, ``"digits"``, ``"cdnow"``, or the path of a ``.csv`` or
        ``.parquet`` customer table or (with ``format="transactions"``) transaction log.
    n_samples : int, default=20000
        Number of customers for ``"synthetic"``.
    random_state : int, default=0
        Seed of the synthetic generator.
    id_column : str, optional
        Column of a table holding the customer id; without it the row number is the id.
    label_column : str, optional
        Column of known segments, kept for evaluation and removed from the features.
    drop_columns : sequence of str
        Columns to leave out of the features.
    categorical_columns : sequence of str
        Checked to exist; the preprocessor one-hot encodes them.
    format : {"table", "transactions"}, default="table"
    date_column, amount_column, quantity_column : str, optional
        Columns of a transaction log (``id_column`` names the customer).
    as_of : str, optional
        Transactions only: features from purchases up to this date, outcomes after it.
        Defaults to 1997-09-30 for CDNOW and to the log's midpoint otherwise.

    Returns
    -------
    Dataset
    """
    if source == "synthetic":
        from dec.data.synthetic import make_customers

        features, labels = make_customers(n_samples, random_state=random_state)
        dataset = Dataset("synthetic", features, labels)
    elif source == "digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        # Grey levels 0..16 scaled to [0, 1], as DEC's papers scale MNIST.
        features = pd.DataFrame(digits.data / 16.0, columns=[f"pixel_{i}" for i in range(64)])
        features.index = pd.Index([f"D{i:05d}" for i in range(len(features))], name="id")
        dataset = Dataset("digits", features, digits.target.astype(int))
    elif source == "cdnow":
        from dec.data.transactions import CDNOW_AS_OF, load_cdnow

        dataset = transactions_dataset("cdnow", load_cdnow(), as_of or CDNOW_AS_OF)
    elif format == "transactions":
        from dec.data.transactions import read_transactions

        if not (id_column and date_column and amount_column):
            raise DataError("a transaction log needs --id-col, --date-col and --amount-col")
        log = read_transactions(source, id_col=id_column, date_col=date_column,
                                amount_col=amount_column, quantity_col=quantity_column)
        dataset = transactions_dataset(Path(source).name, log, as_of)
    else:
        dataset = read_table(source, id_column=id_column, label_column=label_column)
    return _drop_and_check(dataset, drop_columns, categorical_columns)


def transactions_dataset(name: str, log: pd.DataFrame, as_of: str | None) -> Dataset:
    """Customer features up to ``as_of`` with hold-out outcomes after it."""
    from dec.data.transactions import customer_features, holdout_outcomes

    if as_of is None:
        as_of = str((log["date"].min() + (log["date"].max() - log["date"].min()) / 2).date())
    features = customer_features(log, as_of)
    return Dataset(name, features, None, holdout_outcomes(log, as_of, features.index))


def read_frame(path: Path, *, what: str, not_found_hint: str = "",
               csv_only_by_suffix: bool = True) -> pd.DataFrame:
    """Read a ``.parquet`` file, or CSV, turning every failure into one DataError line.

    With ``csv_only_by_suffix`` only ``.csv`` is read as CSV and other suffixes are
    refused; without it, anything not Parquet is tried as CSV.
    """
    kind = _table_kind(path, what, not_found_hint, csv_only_by_suffix)
    with _read_errors_as_data_error(path, kind):
        return pd.read_parquet(path) if kind == "Parquet" else pd.read_csv(path)


def iter_frames(path: Path, *, what: str, batch_rows: int) -> Iterator[pd.DataFrame]:
    """Read a ``.parquet`` or ``.csv`` file ``batch_rows`` rows at a time (bounded memory).

    Failures are DataError lines, as in :func:`read_frame`; a file without rows yields
    nothing.
    """
    kind = _table_kind(path, what, "", True)
    with _read_errors_as_data_error(path, kind):
        if kind == "Parquet":
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
                yield batch.to_pandas()
        else:
            with pd.read_csv(path, chunksize=batch_rows) as reader:
                for chunk in reader:
                    if len(chunk):
                        yield chunk


def _table_kind(path: Path, what: str, not_found_hint: str, csv_only_by_suffix: bool) -> str:
    if not path.exists():
        raise DataError(f"{what} {path} not found; check the path{not_found_hint}")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "Parquet"
    if suffix == ".csv" or not csv_only_by_suffix:
        return "CSV"
    raise DataError(f"cannot read {path}: use a .csv or .parquet file")


@contextmanager
def _read_errors_as_data_error(path: Path, kind: str):
    try:
        yield
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty; it needs a header row and one row per customer")
    except Exception as err:  # parser errors differ by engine; all mean "unreadable"
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DataError(f"cannot read {path} as {kind} ({first[:200]}); check that it is a "
                        f"complete {kind} file with a header row")


def read_table(path: str | Path, *, id_column: str | None = None,
               label_column: str | None = None) -> Dataset:
    """Read a CSV or Parquet customer table into a :class:`Dataset`."""
    path = Path(path)
    hint = "" if path.suffix else f"; built-in data sets are {', '.join(BUILT_IN)}"
    frame = read_frame(path, what="data file", not_found_hint=hint, csv_only_by_suffix=True)
    if len(frame) == 0:
        raise DataError(f"{path} has a header but no customer rows")
    frame = set_id_column(frame, id_column, path)
    labels = None
    if label_column is not None:
        if label_column not in frame.columns:
            raise DataError(f"label column '{label_column}' not in {path}; columns are: "
                            f"{list(frame.columns)}")
        labels = pd.factorize(frame.pop(label_column))[0]
    return Dataset(path.name, frame, labels)


def set_id_column(frame: pd.DataFrame, id_column: str | None, path: Path) -> pd.DataFrame:
    """Index ``frame`` by its unique ``id_column``, or by row number when there is none."""
    if id_column is None:
        frame.index = pd.RangeIndex(len(frame), name="row")
        return frame
    if id_column not in frame.columns:
        raise DataError(f"id column '{id_column}' not in {path}; columns are: "
                        f"{list(frame.columns)}")
    duplicated = frame[id_column].duplicated()
    if duplicated.any():
        raise DataError(f"id column '{id_column}' in {path} has duplicate ids, e.g. "
                        f"{frame.loc[duplicated, id_column].iloc[0]!r}; ids must be unique")
    return frame.set_index(id_column)


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


def split_indices(n_samples: int, *, val_fraction: float, test_fraction: float,
                  random_state: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded train/val/test split of row positions; the same seed gives the same split."""
    order = np.random.default_rng(random_state).permutation(n_samples)
    n_test = int(round(n_samples * test_fraction))
    n_val = int(round(n_samples * val_fraction))
    test, val, train = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    return np.sort(train), np.sort(val), np.sort(test)
