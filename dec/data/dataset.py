"""The one type every data source returns: customer features, plus what is kept aside for
judging segments, and the fingerprint that tells a run's data from changed data."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


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
    found = {
        "rows": int(len(features)),
        "columns": int(features.shape[1]),
        "sha256": digest.hexdigest(),
    }
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
        return {
            "ids": hashlib.sha256(ids.tobytes()).hexdigest(),
            "names": list(map(str, features.columns)),
            "abs": np.abs(values).sum(axis=0).tolist(),
            "weighted": (weights @ values).tolist(),
        }


def _close(recorded: dict, now: dict) -> bool:
    """The same ids and columns, each column's sums equal to :data:`RELATIVE_TOLERANCE`."""
    a, b = recorded.get("close"), now.get("close")
    if (
        not a
        or not b
        or (a["ids"], a["names"]) != (b["ids"], b["names"])
        or (recorded.get("rows"), recorded.get("columns")) != (now["rows"], now["columns"])
    ):
        return False
    scale = np.maximum(np.abs(a["abs"]), np.abs(b["abs"]))
    return bool(
        np.all(np.abs(np.subtract(a["abs"], b["abs"])) <= RELATIVE_TOLERANCE * scale)
        and np.all(np.abs(np.subtract(a["weighted"], b["weighted"])) <= RELATIVE_TOLERANCE * scale)
    )
