"""What the value models read: each customer's ``x``, ``t_x``, ``T`` and ``m_x`` from the
package's purchase-log features, and the checks that the features are a log's.

Time is in weeks, as in the papers. From the package's log features: repeat purchases
``x = frequency - 1``, ``t_x = (tenure_days - recency_days) / 7`` (first to last purchase),
``T = tenure_days / 7`` (first purchase to ``as_of``) and the mean repeat order value
``m_x = (total_spend - first_order_value) / x``. Features no purchase log gives (no orders,
a last order before the first) are refused in one line (:func:`features_problem`), on
pandas and on Spark (:func:`spark_checked_features`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dec.errors import DataError
from dec.value.settings import shown_value

#: The log features the models read (dec/data/logs/transactions.py, dec/data/logs/queries.py).
RFM_FEATURES = ("frequency", "recency_days", "tenure_days", "total_spend", "first_order_value")


def rfm(features: pd.DataFrame) -> pd.DataFrame:
    """``x``, ``t_x``, ``T`` (weeks) and ``m_x`` (NaN without a repeat purchase) per customer.

    Raises
    ------
    DataError
        Without the log features, or where they are not what a purchase log gives
        (:func:`features_problem`): in one line naming the column, how many customers and
        one of them. The closed forms would give such a customer negative purchases or a
        negative "time since the last purchase" without a word.
    """
    missing = [c for c in RFM_FEATURES if c not in features.columns]
    if missing:
        raise DataError(
            f"customer value needs a purchase log: the features lack "
            f"{', '.join(missing)}; train on a log ({{data.format}} transactions)"
        )
    problem = features_problem(features)
    if problem is not None:
        raise DataError(problem)
    numbers = _numbers(features)
    x = numbers["frequency"].to_numpy(float) - 1.0
    repeat_spend = (numbers["total_spend"] - numbers["first_order_value"]).to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        m_x = np.where(x > 0, repeat_spend / np.maximum(x, 1.0), np.nan)
    tenure = numbers["tenure_days"].to_numpy(float)
    return pd.DataFrame(
        {
            "x": x,
            "t_x": (tenure - numbers["recency_days"].to_numpy(float)) / 7,
            "T": tenure / 7,
            "m_x": m_x,
        },
        index=features.index,
    )


def _numbers(features: pd.DataFrame) -> pd.DataFrame:
    """The log features as floats; what does not read as a number is NaN."""
    return pd.DataFrame(
        {c: pd.to_numeric(features[c], errors="coerce").astype(float) for c in RFM_FEATURES},
        index=features.index,
    )


#: What a purchase log's features always are, and the models assume: each rule is the
#: column, the customers who break it (as pandas finds them, and as a Spark SQL condition
#: for :func:`spark_checked_features`, ``{column}`` standing for the column as a double),
#: what is wrong and what the column means. Missing and infinite values are checked first,
#: so the comparisons see numbers.
FEATURE_RULES = (
    (
        "frequency",
        lambda f: (f["frequency"] < 1) | (f["frequency"] % 1 != 0),
        "{frequency} < 1 OR {frequency} % 1 != 0",
        "is not a whole number of at least 1",
        "it counts a customer's orders, the first included",
    ),
    (
        "tenure_days",
        lambda f: f["tenure_days"] < 0,
        "{tenure_days} < 0",
        "is negative",
        "it counts the days from the first order to the date scored",
    ),
    (
        "recency_days",
        lambda f: f["recency_days"] < 0,
        "{recency_days} < 0",
        "is negative",
        "it counts the days from the last order to the date scored",
    ),
    (
        "recency_days",
        lambda f: f["recency_days"] > f["tenure_days"],
        "{recency_days} > {tenure_days}",
        "is above tenure_days",
        "the last order cannot come before the first",
    ),
)


#: How each message of :func:`features_problem` (and :func:`spark_checked_features`) ends:
#: where features that hold are made.
_FROM_A_LOG = "customer value needs the features a purchase log gives: "


_FIX = "score the log itself with --transactions"


_FIX_SPARK = "compute them from the log with dec.spark.customer_features"


def features_problem(features: pd.DataFrame) -> str | None:
    """Why customers' log features (:data:`RFM_FEATURES`) cannot be valued, in one line
    naming the column, how many customers break it and one of their ids; None when every
    customer can be.

    Every value a finite number, then :data:`FEATURE_RULES`: ``frequency`` a whole number
    of at least 1 and ``0 <= recency_days <= tenure_days``. ``total_spend`` and
    ``first_order_value`` need only be finite: refunds make either one, or the repeat
    orders' mean, 0 or negative in a real log (:func:`expected_spend` reads that).
    """
    numbers = _numbers(features)
    for column in RFM_FEATURES:
        bad = ~np.isfinite(numbers[column].to_numpy())
        if bad.any():
            first = features[column].to_numpy()[bad][0]
            return (
                f"{column} is empty or not a finite number for {bad.sum():,} customer(s) "
                f"(e.g. id {shown_value(features.index[bad][0])}: {shown_value(first)}); "
                f"{_FROM_A_LOG}{_FIX}"
            )
    for column, broken, condition, what, meaning in FEATURE_RULES:
        bad = broken(numbers).to_numpy(bool)
        if bad.any():
            example = numbers[bad].iloc[0]
            shown = ", ".join(
                f"{c} {example[c]:g}" for c in RFM_FEATURES if f"{{{c}}}" in condition
            )
            return (
                f"{column} {what} for {bad.sum():,} customer(s) (e.g. id "
                f"{shown_value(features.index[bad][0])}: {shown}): {meaning}; {_FROM_A_LOG}"
                f"{_FIX}"
            )
    return None


def spark_checked_features(spark_df, id_column: str):
    """``spark_df`` (customers on Spark, e.g. for :func:`dec.spark.score`) with its log
    features checked by :data:`FEATURE_RULES` as they are read: a customer who breaks one
    raises Spark's one-line error (``raise_error``, a ``SparkRuntimeException``) naming the
    column and the customer when the result is computed, instead of a Python traceback
    from inside the scoring workers. Missing features: DataError here, before any job.
    Null values are refused too; text and infinite values are the caller's to refuse
    (:func:`dec.spark._checked_customers` does).
    """
    from pyspark.sql import functions as F

    missing = [c for c in RFM_FEATURES if c not in spark_df.columns]
    if missing:
        raise DataError(
            f"customer value needs a purchase log: the customers lack "
            f"{', '.join(missing)}; compute them with dec.spark.customer_features"
        )

    def quoted(name):
        return "`" + name.replace("`", "``") + "`"

    # try_cast: text is the caller's to name (ANSI CAST would fail on it with Spark's own
    # message); here it reads as null.
    number = {c: f"try_cast({quoted(c)} AS DOUBLE)" for c in RFM_FEATURES}
    ident = F.coalesce(F.col(quoted(id_column)).cast("string"), F.lit("?"))

    def error(head: str, shown: list[str], joiner: str):
        """Spark's one-line error: ``head``, the customer's id and the ``shown`` columns'
        values, then ``joiner`` and how to fix it."""
        values = []
        for i, c in enumerate(shown):  # concat is null if any part is: say "null"
            values += [
                F.lit(f"{', ' if i else ''}{c} "),
                F.expr(f"coalesce(CAST({number[c]} AS STRING), 'null')"),
            ]
        return F.raise_error(
            F.concat(
                F.lit(head + " (id '"),
                ident,
                F.lit("': "),
                *values,
                F.lit(f"){joiner}{_FROM_A_LOG}{_FIX_SPARK}"),
            )
        )

    finite = "{c} IS NULL OR isnan({c}) OR abs({c}) = double('inf')"
    checked = {
        c: F.when(
            F.expr(finite.format(c=number[c])),
            error(f"{c} is empty or not a finite number for a customer", [c], "; "),
        )
        for c in RFM_FEATURES
    }
    for column, _, condition, what, meaning in FEATURE_RULES:
        shown = [c for c in RFM_FEATURES if f"{{{c}}}" in condition]
        checked[column] = checked[column].when(
            F.expr(condition.format(**number)),
            error(f"{column} {what} for a customer", shown, f": {meaning}; "),
        )
    return spark_df.select(
        *[
            checked[c].otherwise(F.col(quoted(c))).alias(c) if c in checked else F.col(quoted(c))
            for c in spark_df.columns
        ]
    )
