"""Transaction logs -> one row of behaviour features per customer, at an explicit date.

Features use only transactions on or before ``as_of``; outcomes (what the customer did
after ``as_of``) are returned separately and never reach the model. They judge whether
the segments say something about the future.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from dec.data.dates import parse_date, parse_dates
from dec.errors import DataError, plain, render_settings

#: End of the calibration period used for CDNOW (Fader & Hardie use 39 weeks; we use the
#: end of Q3 1997); the hold-out period runs to the end of the log, 1998-06-30.
CDNOW_AS_OF = "1997-09-30"


def clean_transactions(frame: pd.DataFrame, source: str = "transactions") -> pd.DataFrame:
    """Parse dates and numbers; raise DataError naming the first bad value."""
    out = frame.copy()
    if len(out) == 0:
        raise DataError(f"{source} has no transactions")
    out["id"] = out["id"].astype(str).str.strip()
    dates = parse_dates(out["date"], source)
    future = dates > pd.Timestamp.now().normalize() + pd.Timedelta(days=1)
    if future.any():
        raise DataError(f"{source}: {int(future.sum())} transaction(s) are dated in the future, "
                        f"e.g. {out.loc[future, 'date'].iloc[0]!r}; fix or drop them (they "
                        "would move the default as-of date)")
    out["date"] = dates
    for column in [c for c in ("amount", "quantity") if c in out]:
        values = pd.to_numeric(out[column], errors="coerce")
        if values.isna().any() or not np.isfinite(values).all():
            bad = out.loc[values.isna() | ~np.isfinite(values.fillna(0)), column].iloc[0]
            raise DataError(f"{source}: {column} value {plain(bad)!r} is not a finite number")
        out[column] = values.astype(float)
    refunds = out["amount"] < 0
    if refunds.any():
        warnings.warn(f"{source}: {int(refunds.sum())} transaction(s) have a negative amount, "
                      f"e.g. {out.loc[refunds, 'amount'].iloc[0]:g}; they are counted as "
                      "refunds, which lower the customer's spend", stacklevel=3)
    return out


#: The CDNOW log's own column names, by role: what a run trained on CDNOW expects of a new log.
CDNOW_COLUMNS = {"id": "customer_id", "date": "date", "amount": "dollar_value",
                 "quantity": "number_of_cds"}


def load_cdnow(path: str | Path | None = None) -> pd.DataFrame:
    """The CDNOW log shipped in ``data/cdnow/`` as ``id, date, amount, quantity``."""
    if path is None:
        from dec.resources import cdnow_path

        path = cdnow_path()
    raw = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})
    raw = raw.rename(columns={v: k for k, v in CDNOW_COLUMNS.items()})
    return clean_transactions(raw[["id", "date", "amount", "quantity"]], source=str(path))


def customer_features(transactions: pd.DataFrame, as_of: str | pd.Timestamp) -> pd.DataFrame:
    """Behaviour of every customer with a purchase on or before ``as_of``.

    Purchases on the same day are one order. Columns: ``frequency`` (orders), ``recency_days``
    (since the last order), ``tenure_days`` (since the first), ``total_spend``,
    ``avg_order_value``, ``max_order_value``, ``first_order_value``, ``items_per_order`` (if
    quantities exist), ``mean_gap_days`` and ``gap_std_days`` between orders, and
    ``orders_per_month``. A one-order customer has no gap yet: ``mean_gap_days`` is set to
    their tenure (the gap is at least that long) and ``gap_std_days`` to 0.
    """
    as_of = parse_date(as_of)
    calibration = transactions[transactions["date"] <= as_of]
    if calibration.empty:
        raise DataError(f"no transactions on or before as_of={as_of.date()}; "
                        "choose a later {data.as_of} date")
    later = transactions["id"].nunique() - calibration["id"].nunique()
    if later:
        warnings.warn(render_settings(
            f"{later} customer(s) first bought after as_of={as_of.date()} and are left out "
            "(they have no history yet); choose a later {data.as_of} date to include them"),
            stacklevel=2)
    aggregations = {"amount": "sum"}
    if "quantity" in calibration:
        aggregations["quantity"] = "sum"
    orders = calibration.groupby(["id", "date"], sort=True).agg(aggregations).reset_index()
    grouped = orders.groupby("id", sort=True)
    first, last = grouped["date"].min(), grouped["date"].max()
    frequency = grouped.size()
    gaps = orders.assign(gap=grouped["date"].diff().dt.days).groupby("id")["gap"]
    tenure = (as_of - first).dt.days.astype(float)
    features = pd.DataFrame({
        "frequency": frequency.astype(float),
        "recency_days": (as_of - last).dt.days.astype(float),
        "tenure_days": tenure,
        "total_spend": grouped["amount"].sum(),
        "avg_order_value": grouped["amount"].mean(),
        "max_order_value": grouped["amount"].max(),
        "first_order_value": grouped["amount"].first(),
    })
    if "quantity" in orders:
        features["items_per_order"] = grouped["quantity"].mean()
    features["mean_gap_days"] = gaps.mean().fillna(tenure)
    features["gap_std_days"] = gaps.std(ddof=0).fillna(0.0)
    features["orders_per_month"] = frequency / np.maximum(tenure / 30.44, 1.0)
    features.index.name = "customer_id"
    if not np.isfinite(features.to_numpy()).all():
        raise DataError("purchase amounts are too large to add up (a customer's total spend "
                        "is beyond the range of floating point numbers); give them in a "
                        "larger currency unit")
    return features


def holdout_outcomes(transactions: pd.DataFrame, as_of: str | pd.Timestamp,
                     customers: pd.Index) -> pd.DataFrame:
    """What each customer did after ``as_of``: ``holdout_spend`` and ``holdout_active`` (0/1)."""
    after = transactions[transactions["date"] > parse_date(as_of)]
    spend = after.groupby("id")["amount"].sum().reindex(customers, fill_value=0.0)
    return pd.DataFrame({"holdout_spend": spend.astype(float),
                         "holdout_active": (spend.index.isin(after["id"])).astype(float)},
                        index=customers)


def transactions_dataset(name: str, log: pd.DataFrame, as_of: str | None):
    """The :class:`~dec.data.datasets.Dataset` of a log: customer features up to ``as_of``
    (default: the log's midpoint) with hold-out outcomes after it."""
    from dec.data.datasets import Dataset

    first, last = log["date"].min(), log["date"].max()
    chosen = as_of is not None
    if as_of is None:
        as_of = str((first + (last - first) / 2).date())
    features = customer_features(log, as_of)
    customers = log["id"].nunique()
    logging.getLogger("dec").info(
        "%s: %s purchases of %s customers from %s to %s; features from the purchases up to "
        "%s (%s), for the %s customers who had bought by then; holdout_spend and "
        "holdout_active (what they did after it) judge the segments and are never features",
        name, f"{len(log):,}", f"{customers:,}", first.date(), last.date(), as_of,
        "the as-of date" if chosen else render_settings(
            "the log's midpoint; choose another with {data.as_of}"),
        f"{len(features):,}")
    stamp = parse_date(as_of)
    return Dataset(name, features, None, holdout_outcomes(log, as_of, features.index),
                   holdout_weeks=(last - stamp).days / 7, as_of=str(stamp.date()))
