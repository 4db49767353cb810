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

from dec.errors import ConfigError, DataError, plain, render_settings
from dec.utils.dates import parse_date, parse_dates

#: End of the calibration period used for CDNOW (Fader & Hardie use 39 weeks; we use the
#: end of Q3 1997); the hold-out period runs to the end of the log, 1998-06-30.
CDNOW_AS_OF = "1997-09-30"


#: Purchases dated before this are a mistyped year or a placeholder (0001-01-01), on every
#: engine: a tenure of centuries would pass for a feature.
EARLIEST_DATE = "1900-01-01"


def dated_outside(source, count: int, example, *, future: bool) -> DataError:
    """The one line of every engine for purchases dated in the future or before
    :data:`EARLIEST_DATE`."""
    when, why = (
        ("in the future", "they would move the default as-of date")
        if future
        else (f"before {EARLIEST_DATE[:4]}", "a mistyped year or a placeholder date")
    )
    return DataError(
        f"{source}: {count} transaction(s) are dated {when}, e.g. {example!r}; "
        f"fix or drop them ({why})"
    )


def no_customer_id(source, count: int) -> DataError:
    """The one line of the pandas and DuckDB engines for purchases without a customer id."""
    return DataError(
        f"{source}: {count} transaction(s) have no customer id (the id column is "
        "empty there); fill them in or drop those rows"
    )


def clean_transactions(frame: pd.DataFrame, source: str = "transactions") -> pd.DataFrame:
    """Parse dates and numbers; raise DataError naming the first bad value."""
    out = frame.copy()
    if len(out) == 0:
        raise DataError(f"{source} has no transactions")
    ids = out["id"].astype(str).str.strip().where(out["id"].notna(), "")
    if (ids == "").any():
        raise no_customer_id(source, int((ids == "").sum()))
    out["id"] = ids
    dates = parse_dates(out["date"], source)
    for outside, future in (
        (dates > pd.Timestamp.now().normalize() + pd.Timedelta(days=1), True),
        (dates < pd.Timestamp(EARLIEST_DATE), False),
    ):
        if outside.any():
            raise dated_outside(
                source, int(outside.sum()), out.loc[outside, "date"].iloc[0], future=future
            )
    # Purchases on one day are one order, whatever their times (the time of day is dropped
    # after any zone became UTC): the rule of every engine.
    out["date"] = dates.dt.normalize()
    for column in [c for c in ("amount", "quantity") if c in out]:
        values = pd.to_numeric(out[column], errors="coerce")
        if values.isna().any() or not np.isfinite(values).all():
            bad = out.loc[values.isna() | ~np.isfinite(values.fillna(0)), column].iloc[0]
            raise DataError(f"{source}: {column} value {plain(bad)!r} is not a finite number")
        out[column] = values.astype(float)
    refunds = out["amount"] < 0
    if refunds.any():
        warnings.warn(
            f"{source}: {int(refunds.sum())} transaction(s) have a negative amount, "
            f"e.g. {out.loc[refunds, 'amount'].iloc[0]:g}; they are counted as "
            "refunds, which lower the customer's spend",
            stacklevel=3,
        )
    return out


def check_log_columns(
    id_column: str, date_column: str, amount_column: str, quantity_column: str | None = None
) -> None:
    """ConfigError where one column of a log is given two roles (dates added up as
    money, amounts taken for customers): every engine checks before it reads."""
    roles = {
        "id": id_column,
        "date": date_column,
        "amount": amount_column,
        "quantity": quantity_column,
    }
    seen: dict[str, str] = {}
    for role, column in roles.items():
        if column is None:
            continue
        if column in seen:
            raise ConfigError(
                f"column '{column}' is given both as {{data.{seen[column]}_column}} "
                f"and as {{data.{role}_column}}; give each column one role"
            )
        seen[column] = role


#: The CDNOW log's own column names, by role: what a run trained on CDNOW expects of a new log.
CDNOW_COLUMNS = {
    "id": "customer_id",
    "date": "date",
    "amount": "dollar_value",
    "quantity": "number_of_cds",
}


def load_cdnow(path: str | Path | None = None) -> pd.DataFrame:
    """The CDNOW log shipped in ``data/cdnow/`` as ``id, date, amount, quantity``."""
    if path is None:
        from dec.utils.resources import cdnow_path

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
        raise DataError(
            f"no transactions on or before as_of={as_of.date()}; choose a later {{data.as_of}} date"
        )
    later = transactions["id"].nunique() - calibration["id"].nunique()
    if later:
        warnings.warn(
            render_settings(
                f"{later} customer(s) first bought after as_of={as_of.date()} and are left out "
                "(they have no history yet); choose a later {data.as_of} date to include them"
            ),
            stacklevel=2,
        )
    aggregations = {"amount": "sum"}
    if "quantity" in calibration:
        aggregations["quantity"] = "sum"
    orders = calibration.groupby(["id", "date"], sort=True).agg(aggregations).reset_index()
    grouped = orders.groupby("id", sort=True)
    first, last = grouped["date"].min(), grouped["date"].max()
    frequency = grouped.size()
    gaps = orders.assign(gap=grouped["date"].diff().dt.days).groupby("id")["gap"]
    tenure = (as_of - first).dt.days.astype(float)
    features = pd.DataFrame(
        {
            "frequency": frequency.astype(float),
            "recency_days": (as_of - last).dt.days.astype(float),
            "tenure_days": tenure,
            "total_spend": grouped["amount"].sum(),
            "avg_order_value": grouped["amount"].mean(),
            "max_order_value": grouped["amount"].max(),
            "first_order_value": grouped["amount"].first(),
        }
    )
    if "quantity" in orders:
        features["items_per_order"] = grouped["quantity"].mean()
    features["mean_gap_days"] = gaps.mean().fillna(tenure)
    features["gap_std_days"] = gaps.std(ddof=0).fillna(0.0)
    features["orders_per_month"] = frequency / np.maximum(tenure / 30.44, 1.0)
    features.index.name = "customer_id"
    if not np.isfinite(features.to_numpy()).all():
        raise DataError(TOO_LARGE)
    return features


#: Said where a customer's spend adds up beyond floating point numbers, on every engine.
TOO_LARGE = (
    "purchase amounts are too large to add up (a customer's total spend is beyond "
    "the range of floating point numbers); give them in a larger currency unit"
)


def holdout_outcomes(
    transactions: pd.DataFrame, as_of: str | pd.Timestamp, customers: pd.Index
) -> pd.DataFrame:
    """What each customer did after ``as_of``: ``holdout_spend`` and ``holdout_active`` (0/1)."""
    after = transactions[transactions["date"] > parse_date(as_of)]
    spend = after.groupby("id")["amount"].sum().reindex(customers, fill_value=0.0)
    if not np.isfinite(spend.to_numpy()).all():
        raise DataError(TOO_LARGE)
    return pd.DataFrame(
        {
            "holdout_spend": spend.astype(float),
            "holdout_active": (spend.index.isin(after["id"])).astype(float),
        },
        index=customers,
    )


#: The outcomes of a purchase log: what each customer did after the as-of date.
OUTCOMES = ("holdout_spend", "holdout_active")


def has_holdout(as_of: pd.Timestamp, last: pd.Timestamp) -> bool:
    """Whether the log runs on after ``as_of``: outcomes exist only then, on every engine."""
    return as_of.normalize() < last.normalize()


def as_of_date(as_of, first: pd.Timestamp, last: pd.Timestamp, source) -> pd.Timestamp:
    """The as-of date of a log that runs from ``first`` to ``last``: ``as_of``, or by
    default the log's last date, so that every customer in the log has a segment.

    A date before the first purchase is refused; one on or after the last is said in one
    line (no hold-out period, so no outcomes): the same on every engine.
    """
    if as_of is None:
        return pd.Timestamp(last.date())
    stamp = parse_date(as_of)
    tomorrow = pd.Timestamp.now().normalize() + pd.Timedelta(days=1)
    if stamp > tomorrow:
        raise DataError(
            f"as_of={stamp.date()} is in the future; features are made from "
            f"purchases made so far: choose a {{data.as_of}} date up to today "
            f"(the log runs from {first.date()} to {last.date()})"
        )
    if stamp < first.normalize():
        raise DataError(
            f"as_of={stamp.date()} is before the first purchase in {source} "
            f"({first.date()}); choose a {{data.as_of}} date from {first.date()} "
            f"to {last.date()}"
        )
    if not has_holdout(stamp, last):
        warnings.warn(
            render_settings(
                f"{source}: as_of={stamp.date()} is not before the last purchase ({last.date()}), "
                "so there is no hold-out period and no outcomes to judge the segments by; choose "
                "an earlier {data.as_of} for them"
            ),
            stacklevel=3,
        )
    return stamp


def log_notice(
    name: str,
    given: bool,
    as_of: pd.Timestamp,
    last: pd.Timestamp,
    customers: int,
    engine: str = "",
) -> str:
    """The line a run logs about a log's as-of date, its customers and its outcomes."""
    when = (
        "the as-of date"
        if given
        else render_settings(
            "the log's last date, so every customer has a segment; an earlier {data.as_of} keeps "
            "a hold-out period to judge the segments by"
        )
    )
    text = (
        f"{name}: features from the purchases up to {as_of.date()} ({when}) for "
        f"{customers:,} customers{engine}"
    )
    if has_holdout(as_of, last):
        text += (
            "; holdout_spend and holdout_active (what they did after it) judge the "
            "segments and are never features"
        )
    return text


def transactions_dataset(
    name: str, log: pd.DataFrame, as_of: str | None, purchases: int | None = None
):
    """The :class:`~dec.data.dataset.Dataset` of a log: customer features up to ``as_of``
    (default: the log's last date) with hold-out outcomes after it, where the log runs on.
    ``purchases`` counts a log given as orders (one row per customer and day)."""
    from dec.data.dataset import Dataset

    first, last = log["date"].min(), log["date"].max()
    stamp = as_of_date(as_of, first, last, name)
    features = customer_features(log, stamp)
    logging.getLogger("dec").info(
        "%s (%s purchases of %s customers from %s to %s)",
        log_notice(name, as_of is not None, stamp, last, len(features)),
        f"{purchases if purchases is not None else len(log):,}",
        f"{log['id'].nunique():,}",
        first.date(),
        last.date(),
    )
    outcomes = holdout_outcomes(log, stamp, features.index) if has_holdout(stamp, last) else None
    return Dataset(
        name,
        features,
        None,
        outcomes,
        holdout_weeks=(last - stamp).days / 7 if outcomes is not None else None,
        as_of=str(stamp.date()),
        found=chosen_as_of(as_of, stamp),
    )


def chosen_as_of(as_of, stamp: pd.Timestamp) -> dict:
    """``Dataset.found`` of a log read without an as-of date: the date chosen, which the
    run records, so that its later reads are of the same date even when the log grows."""
    return {} if as_of is not None else {"as_of": str(stamp.date())}
