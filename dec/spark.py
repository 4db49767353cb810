"""Features and scoring where the data lives: purchase logs and customer tables on Spark.

:func:`customer_features` runs the package's feature query (:mod:`dec.data.logs.queries`,
the text DuckDB runs, in Spark's dialect) on a Spark DataFrame of purchases.
:func:`score` applies a trained run to a Spark DataFrame of customers with ``mapInPandas``:
each Python worker loads the run once from its own files (``model.json``, the weights-only
``model.pt``, ``preprocessor.json``), so nothing but the run folder's path is shipped to
the workers. Both return lazy Spark DataFrames. Needs ``pip install 'dec[spark]'`` and Java.

Nothing hostile passes silently. :func:`customer_features` checks the log in one pass when
it is called (ids, dates, amounts, quantities, sums that would overflow, the as-of date):
each problem is one :class:`~dec.errors.DataError` line. :func:`score` refuses what the
schema shows when it is called (DataError) and what only the data shows (empty ids, text or
infinite values in numeric columns) in the pass that scores: one line from Spark, naming the
customer, when the result is computed.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd

from dec.data.columns import NumericColumn
from dec.data.logs.queries import features_sql, outcomes_sql
from dec.data.logs.transactions import (
    EARLIEST_DATE,
    TOO_LARGE,
    as_of_date,
    check_log_columns,
    dated_outside,
    has_holdout,
)
from dec.errors import DataError
from dec.utils.dates import parse_date
from dec.value.clv import VALUE_COLUMNS
from dec.value.inputs import RFM_FEATURES

#: Text dates as the other engines read them: ``YYYYMMDD``, else ISO dates and timestamps
#: (a zone, ``...Z`` or ``+05:00``, becomes UTC); unreadable text becomes NULL and is named.
_TEXT_DATE = (
    "coalesce(try_to_timestamp(trim(CAST({c} AS STRING)), 'yyyyMMdd'), "
    "try_to_timestamp(trim(CAST({c} AS STRING))))"
)
#: Spark column types read as numbers (text is parsed; anything else is refused by name).
_NUMBER_TYPES = (
    "tinyint",
    "smallint",
    "int",
    "bigint",
    "float",
    "double",
    "decimal",
    "string",
    "char",
    "varchar",
    "void",
)


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _finite(c: str) -> str:
    return f"({c} IS NOT NULL AND NOT isnan({c}) AND abs({c}) != double('inf'))"


def _kind(frame, column: str) -> str:
    """The Spark type of ``column`` without its parameters: ``decimal``, ``varchar``."""
    return dict(frame.dtypes)[column].split("(")[0]


def _ntz(stamp) -> str:
    return f"TIMESTAMP_NTZ '{pd.Timestamp(stamp):%Y-%m-%d %H:%M:%S}'"


def _log_view(
    frame, id_column: str, date_column: str, amount_column: str, quantity_column: str | None
):
    """The purchases as ``id, date, amount[, quantity]`` (ids as text) and their summary.

    The columns are checked first (missing ones, or amounts that are not numbers or text:
    DataError, no job); then one pass over the log counts what :func:`_refuse` refuses.
    """
    check_log_columns(id_column, date_column, amount_column, quantity_column)
    wanted = [
        id_column,
        date_column,
        amount_column,
        *([quantity_column] if quantity_column else []),
    ]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DataError(
            f"purchase log has no column(s) {missing}; columns are: {list(frame.columns)}"
        )
    for column in [amount_column, *([quantity_column] if quantity_column else [])]:
        if _kind(frame, column) not in _NUMBER_TYPES:
            raise DataError(
                f"purchase log column {column!r} holds {_kind(frame, column)} "
                "values, not numbers; give the amounts (and quantities) as numbers "
                "or as text that reads as numbers"
            )
    kind = _kind(frame, date_column)
    date = (
        f"CAST({_quoted(date_column)} AS TIMESTAMP_NTZ)"
        if kind in ("date", "timestamp", "timestamp_ntz")
        else f"CAST({_TEXT_DATE.format(c=_quoted(date_column))} AS TIMESTAMP_NTZ)"
    )
    # Purchases on one day are one order, whatever their times, as on the other engines.
    date = f"CAST(CAST({date} AS DATE) AS TIMESTAMP_NTZ)"
    log = frame.selectExpr(
        # Whitespace around an id is dropped, as Python's str.strip() and DuckDB drop it.
        f"regexp_replace(CAST({_quoted(id_column)} AS STRING), '^\\\\s+|\\\\s+$', '') AS id",
        f"{date} AS date",
        f"try_cast({_quoted(amount_column)} AS DOUBLE) AS amount",
        *(
            [
                f"try_cast({_quoted(quantity_column)} AS DOUBLE) AS quantity",
                f"CAST({_quoted(quantity_column)} AS STRING) AS quantity_text",
            ]
            if quantity_column
            else []
        ),
        f"CAST({_quoted(date_column)} AS STRING) AS date_text",
        f"CAST({_quoted(amount_column)} AS STRING) AS amount_text",
    )
    tomorrow = _ntz(pd.Timestamp.now().normalize() + pd.Timedelta(days=1))

    def blank(name):
        return f"({name}_text IS NULL OR trim({name}_text) = '')"

    blank_date = blank("date")
    # Every count in one aggregate: each pass reads the whole log again. Examples are the
    # smallest offending text, so a message names the same value every time.
    counts = {
        "rows": "count(*)",
        "no_ids": "count_if(id IS NULL OR trim(id) = '')",
        "no_dates": f"count_if({blank_date})",
        "bad_dates": f"count_if(date IS NULL AND NOT {blank_date})",
        "bad_date": f"min(date_text) FILTER (WHERE date IS NULL AND NOT {blank_date})",
        "future": f"count_if(date > {tomorrow})",
        "future_date": f"min(date_text) FILTER (WHERE date > {tomorrow})",
        "early": f"count_if(date < {_ntz(EARLIEST_DATE)})",
        "early_date": f"min(date_text) FILTER (WHERE date < {_ntz(EARLIEST_DATE)})",
        # Dates as text: a year past 9999 is a date to Spark but not to Python.
        "first": "CAST(min(date) AS STRING)",
        "last": "CAST(max(date) AS STRING)",
    }
    for name in ["amount", *(["quantity"] if quantity_column else [])]:
        counts.update(
            {
                f"no_{name}s": f"count_if({blank(name)})",
                f"bad_{name}s": f"count_if(NOT {blank(name)} AND NOT {_finite(name)})",
                f"bad_{name}": f"min({name}_text) FILTER (WHERE NOT {blank(name)} AND "
                f"NOT {_finite(name)})",
                # A sum over the whole log that stays finite keeps every customer's sums
                # (features and hold-out spend) finite without a pass per customer; only a log
                # whose total is near 1.8e308 could be refused for a sum no customer reaches.
                f"{name}_total": f"sum(abs({name}))",
            }
        )
    found = log.selectExpr(*[f"{sql} AS {name}" for name, sql in counts.items()]).first().asDict()
    _refuse(
        found,
        id_column=id_column,
        date_column=date_column,
        amount_column=amount_column,
        quantity_column=quantity_column,
    )
    return log.drop("date_text", "amount_text", "quantity_text"), found


def _refuse(
    found: dict,
    *,
    id_column: str,
    date_column: str,
    amount_column: str,
    quantity_column: str | None,
) -> None:
    """The first problem of the log's summary ``found`` as one DataError line, naming how
    many purchases have it, an example and what to do, in the words of the other engines
    (:func:`dec.data.logs.transactions.clean_transactions`, :func:`dec.data.logs.read._summary`)."""
    if found["rows"] == 0:
        raise DataError("purchase log has no transactions")
    if found["no_ids"]:
        raise _empty(found["no_ids"], "customer id", id_column)
    if found["no_dates"]:
        raise _empty(found["no_dates"], "date", date_column)
    if found["bad_dates"]:
        raise DataError(
            f"cannot read date {found['bad_date']!r} ({found['bad_dates']} "
            f"transaction(s) in column {date_column!r}); write dates as YYYY-MM-DD "
            "or YYYYMMDD, or give the column as dates"
        )
    for key, future in (("future", True), ("early", False)):
        if found[key]:
            raise dated_outside("purchase log", found[key], found[f"{key}_date"], future=future)
    for name, column in [("amount", amount_column), ("quantity", quantity_column)]:
        if column is None:
            continue
        if found[f"no_{name}s"]:
            raise _empty(found[f"no_{name}s"], name, column)
        if found[f"bad_{name}s"]:
            raise DataError(
                f"{name} value {found[f'bad_{name}']!r} is not a finite number "
                f"({found[f'bad_{name}s']} transaction(s) in column {column!r}); "
                "fix or drop them"
            )
    if found["amount_total"] == float("inf"):
        raise DataError(TOO_LARGE)
    if found.get("quantity_total") == float("inf"):
        raise DataError(
            f"purchase quantities in column {quantity_column!r} are too large to "
            "add up (their total is beyond the range of floating point numbers); "
            "fix them"
        )


def _empty(count: int, what: str, column: str) -> DataError:
    return DataError(
        f"purchase log: {count} transaction(s) have no {what} (column "
        f"{column!r} is empty or null); fill them in or drop those rows"
    )


def customer_features(
    spark_df,
    as_of: str | None = None,
    *,
    id_column: str,
    date_column: str,
    amount_column: str,
    quantity_column: str | None = None,
    outcomes: bool = False,
):
    """Per-customer features of a purchase log held in Spark, as of a date.

    The same features as :func:`dec.data.logs.transactions.customer_features` and the DuckDB
    path (:func:`dec.data.logs.sql.log_features`), from the same SQL; one row per customer.

    Parameters
    ----------
    spark_df : pyspark.sql.DataFrame
        One row per purchase.
    as_of : str, optional
        Features from purchases up to this date; default: the log's last date.
    id_column, date_column, amount_column : str
    quantity_column : str, optional
    outcomes : bool, default=False
        Also ``holdout_spend`` and ``holdout_active``: what each customer did after
        ``as_of``, where the log runs on after it (as on the other engines).

    Returns
    -------
    pyspark.sql.DataFrame
        ``customer_id`` (text) and the feature columns as doubles.

    Raises
    ------
    DataError
        Here, not when the features are computed, after one pass over the log: for a
        missing column, a purchase without an id, date or amount, an unreadable date, one
        in the future or before 1900, an amount or quantity that is not a finite number,
        amounts too large to add up, or an ``as_of`` before the first purchase. An
        ``as_of`` on or after the last purchase is a warning (no hold-out period), as on
        the other engines (:func:`dec.data.logs.transactions.as_of_date`).
    ConfigError
        For an ``as_of`` that is not a date (before any job).
    """
    spark = spark_df.sparkSession
    if as_of is not None:
        parse_date(as_of)  # an as-of date that is no date is refused before any job
    zone = spark.conf.get("spark.sql.session.timeZone")
    if dict(spark_df.dtypes).get(date_column) == "timestamp":
        # A timestamp is the wall-clock time the user sees, in their session's zone.
        spark_df = spark_df.withColumn(date_column, spark_df[date_column].cast("timestamp_ntz"))
    # Text with a zone becomes UTC and days are counted in UTC, as the other engines do;
    # the zone is fixed into the plan when it is analysed, so the user's setting comes back.
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    view = f"dec_log_{uuid.uuid4().hex}"
    try:
        log, found = _log_view(spark_df, id_column, date_column, amount_column, quantity_column)
        first, last = pd.Timestamp(found["first"]), pd.Timestamp(found["last"])
        # The rule of every engine: a date before the first purchase refused, one on or
        # after the last said (no hold-out period).
        stamp = as_of_date(as_of, first, last, "the purchase log")
        if first > stamp:  # on the first day, but before its first purchase's time
            raise DataError(
                f"no transactions on or before as_of={stamp.date()}; choose a "
                "later {data.as_of} date"
            )
        log.createOrReplaceTempView(view)
        features = spark.sql(
            features_sql(stamp, quantity=quantity_column is not None, dialect="spark", log=view)
        )
        columns = [
            f"CAST({_quoted(c)} AS DOUBLE) AS {_quoted(c)}"
            for c in features.columns
            if c != "customer_id"
        ]
        features = features.selectExpr("customer_id", *columns)
        if outcomes and has_holdout(stamp, last):  # no hold-out period: no outcomes
            spend = spark.sql(outcomes_sql(stamp, log=view))
            features = (
                features.join(spend, "customer_id", "left")
                .selectExpr("*", "CAST(holdout_spend IS NOT NULL AS DOUBLE) AS holdout_active")
                .fillna(0.0, ["holdout_spend"])
                .select(*features.columns, "holdout_spend", "holdout_active")
            )
        return features
    finally:
        spark.catalog.dropTempView(view)
        spark.conf.set("spark.sql.session.timeZone", zone)


_MODELS: dict[tuple, object] = {}


def _model(run_dir: str, version: tuple):
    """The run, loaded once per Python worker and ``version`` (the sha256 of its manifest,
    read by the driver: a run retrained into the same folder is loaded again, never scored
    with the model a reused worker kept); one torch thread, as Spark runs one task per
    core."""
    key = (run_dir, version)
    if key not in _MODELS:
        import torch

        from dec.estimator import DeepEmbeddedClustering

        torch.set_num_threads(1)
        _MODELS.clear()
        _MODELS[key] = DeepEmbeddedClustering.load(run_dir)
    return _MODELS[key]


def _checked_customers(spark_df, id_column: str, numeric: list[str]):
    """``spark_df`` with the ``numeric`` columns as doubles, checked as they are read.

    A numeric column of a type that is not a number is refused here (DataError). Ids that
    are empty or null, and text or infinite values in the numeric columns, can only be seen
    in the data: each row raises its own one-line error (``raise_error``) when the result
    is computed, so no pass over the customers runs before the one that scores them (when
    they come from :func:`customer_features`, that pass computes the features).
    """
    from pyspark.sql import functions as F

    wrong = [c for c in numeric if _kind(spark_df, c) not in (*_NUMBER_TYPES, "boolean")]
    if wrong:
        raise DataError(
            f"the customers' column {wrong[0]!r} holds {_kind(spark_df, wrong[0])} "
            "values, but the run reads it as numbers; give it as numbers (cast "
            "it to double)"
        )
    ident = F.col(_quoted(id_column)).cast("string")
    shown = F.coalesce(ident, F.lit("?"))

    def error(*parts):
        """Spark's one-line error of the row, from text and the row's columns."""
        return F.raise_error(F.concat(*[F.lit(p) if isinstance(p, str) else p for p in parts]))

    checked = {
        id_column: F.when(
            ident.isNull() | (F.trim(ident) == ""),
            error(
                f"the customers' id column {id_column!r} is empty or null for a customer; every "
                "customer needs an id: fill it in or drop the row"
            ),
        ).otherwise(F.col(_quoted(id_column)))
    }
    for name in numeric:
        raw = F.col(_quoted(name))
        number = F.expr(f"try_cast({_quoted(name)} AS DOUBLE)")
        checked[name] = (
            F.when(
                number.isNull() & raw.isNotNull(),
                error(
                    f"the customers' column {name!r} must be numeric but holds text such as '",
                    raw.cast("string"),
                    "' (customer '",
                    shown,
                    "'); fix or empty those cells",
                ),
            )
            .when(
                F.abs(number) == float("inf"),
                error(
                    f"the customers' column {name!r} holds an infinite value (customer '",
                    shown,
                    "'); replace it with a finite number or leave the cell empty",
                ),
            )
            .otherwise(number)
        )
    return spark_df.select(
        *[checked[c].alias(c) if c in checked else F.col(_quoted(c)) for c in spark_df.columns]
    )


def score(
    spark_df, run_dir, *, id_column: str | None = None, embeddings: bool = True, value: bool = False
):
    """Segments, probabilities ``p_*`` and (``embeddings``) embeddings ``z_*`` of every
    customer in a Spark DataFrame, by a trained run.

    Parameters
    ----------
    spark_df : pyspark.sql.DataFrame
        One row per customer with the run's feature columns (from :func:`customer_features`
        for a run trained on a purchase log).
    run_dir : str or Path
        A run folder (``scripts/train.py``) or a saved estimator; every worker must see it.
    id_column : str, optional
        Default: ``customer_id`` where there is one (:func:`customer_features`), else
        ``id`` where there is one (a file ``python -m dec features`` wrote), else the
        run's id column.
    embeddings : bool, default=True
    value : bool, default=False
        Also each customer's value (:data:`dec.value.clv.VALUE_COLUMNS`) by the models
        ``test.py --clv`` fitted, as ``export.py --clv`` adds it.

    Returns
    -------
    pyspark.sql.DataFrame
        ``id, segment, [z_0 ...], p_0 ..., [expected_purchases ... clv]``, as ``export.py``
        writes them: the id column is ``id`` whatever ``id_column`` is.

    Raises
    ------
    DataError
        Here, before any job: for a run that cannot be loaded, a missing id or feature
        column, or a numeric feature column of a type that is not a number (dates, arrays).
    pyspark.errors.SparkRuntimeException
        When the result is computed (written, collected), one line ``[USER_RAISED_EXCEPTION]
        the customers: ...`` naming the customer: for an empty or null id, and text or an
        infinite value in a numeric feature column. These are checked in the same pass that
        scores, so ``score`` stays lazy and reads the customers once.
    """
    from dec.estimator import DeepEmbeddedClustering
    from dec.evaluation.value_report import saved_settings
    from dec.scoring.export import ID_COLUMN, score_batches

    run = str(Path(run_dir).resolve())
    model = DeepEmbeddedClustering.load(run)  # here first: a bad run fails before any job
    if id_column is None:
        id_column = next(
            (c for c in ("customer_id", ID_COLUMN) if c in spark_df.columns),
            model.config_.data.id_column,
        )
    if id_column not in spark_df.columns:
        raise DataError(f"no id column {id_column!r} in the customers; give id_column=")
    missing = [c for c in model.preprocessor_.feature_names_in_ if c not in spark_df.columns]
    if missing:
        raise DataError(f"the customers lack the run's feature column(s) {missing[:4]}")
    numeric = [c.name for c in model.preprocessor_.columns_ if isinstance(c, NumericColumn)]
    numeric += [c for c in RFM_FEATURES if value and c in spark_df.columns and c not in numeric]
    spark_df = _checked_customers(spark_df, id_column, numeric)
    if value:  # after the checks above, so text and infinities keep their own messages
        from dec.value.inputs import spark_checked_features

        spark_df = spark_checked_features(spark_df, id_column)
    settings = saved_settings(run) if value else None
    width = model.model_.architecture["embedding_dim"]
    names = [
        ID_COLUMN,
        "segment",
        *([f"z_{j}" for j in range(width)] if embeddings else []),
        *[f"p_{j}" for j in range(model.n_clusters)],
        *(VALUE_COLUMNS if value else []),
    ]
    schema = ", ".join(
        f"{n} {'string' if n == ID_COLUMN else 'int' if n == 'segment' else 'double'}"
        for n in names
    )

    from dec.utils.files import sha256

    version = (sha256(Path(run) / "manifest.json"),)

    def apply(batches):
        fitted = _model(run, version)
        for frame in batches:
            frame = frame.set_index(frame[id_column].astype(str)).drop(columns=[id_column])
            for scored in score_batches(fitted, [frame], embeddings=embeddings, value=settings):
                yield scored.astype(
                    {n: "int32" if n == "segment" else "float64" for n in names if n != ID_COLUMN}
                )

    return spark_df.mapInPandas(apply, schema)
