"""Features and scoring where the data lives: purchase logs and customer tables on Spark.

:func:`customer_features` runs the package's feature query (:mod:`dec.data.log_queries`,
the text DuckDB runs, in Spark's dialect) on a Spark DataFrame of purchases.
:func:`score` applies a trained run to a Spark DataFrame of customers with ``mapInPandas``:
each Python worker loads the run once from its own files (``model.json``, the weights-only
``model.pt``, ``preprocessor.json``), so nothing but the run folder's path is shipped to
the workers. Both return lazy Spark DataFrames. Needs ``pip install 'dec[spark]'`` and Java.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd

from dec.data.dates import parse_date
from dec.data.log_queries import features_sql, outcomes_sql
from dec.errors import DataError
from dec.value import VALUE_COLUMNS

#: Text dates as the other engines read them: ``YYYYMMDD``, else ISO dates and timestamps
#: (a zone, ``...Z`` or ``+05:00``, becomes UTC); unreadable text becomes NULL and is named.
_TEXT_DATE = ("coalesce(try_to_timestamp(trim(CAST({c} AS STRING)), 'yyyyMMdd'), "
              "try_to_timestamp(trim(CAST({c} AS STRING))))")


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _log_view(frame, id_column: str, date_column: str, amount_column: str,
              quantity_column: str | None):
    """The purchases as ``id, date, amount[, quantity]`` (ids as text), after checking that
    the columns exist (DataError, one line) and, in one pass, that every date and amount
    can be read."""
    wanted = [id_column, date_column, amount_column, *([quantity_column] if quantity_column
                                                        else [])]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DataError(f"purchase log has no column(s) {missing}; columns are: "
                        f"{list(frame.columns)}")
    kind = dict(frame.dtypes)[date_column]
    date = (f"CAST({_quoted(date_column)} AS TIMESTAMP_NTZ)" if kind in ("date", "timestamp",
                                                                          "timestamp_ntz")
            else f"CAST({_TEXT_DATE.format(c=_quoted(date_column))} AS TIMESTAMP_NTZ)")
    log = frame.selectExpr(
        f"CAST({_quoted(id_column)} AS STRING) AS id", f"{date} AS date",
        f"try_cast({_quoted(amount_column)} AS DOUBLE) AS amount",
        *([f"try_cast({_quoted(quantity_column)} AS DOUBLE) AS quantity"]
          if quantity_column else []),
        f"CAST({_quoted(date_column)} AS STRING) AS date_text",
        f"CAST({_quoted(amount_column)} AS STRING) AS amount_text")
    found = log.selectExpr(
        "count(*) AS rows", "min_by(date_text, date IS NOT NULL) AS bad_date",
        "count_if(date IS NULL) AS bad_dates", "count_if(amount IS NULL OR isnan(amount) "
        "OR abs(amount) = double('inf')) AS bad_amounts",
        "min_by(amount_text, amount IS NOT NULL AND NOT isnan(amount)) AS bad_amount",
        "min(date) AS first", "max(date) AS last").first().asDict()
    if found["rows"] == 0:
        raise DataError("purchase log has no transactions")
    if found["bad_dates"]:
        raise DataError(f"cannot read date {found['bad_date']!r}; write dates as YYYY-MM-DD "
                        "or YYYYMMDD, or give the column as dates")
    if found["bad_amounts"]:
        raise DataError(f"amount value {found['bad_amount']!r} is not a finite number")
    return log.drop("date_text", "amount_text"), found


def customer_features(spark_df, as_of: str | None = None, *, id_column: str,
                      date_column: str, amount_column: str,
                      quantity_column: str | None = None, outcomes: bool = False):
    """Per-customer features of a purchase log held in Spark, as of a date.

    The same features as :func:`dec.data.transactions.customer_features` and the DuckDB
    path (:func:`dec.data.log_sql.log_features`), from the same SQL; one row per customer.

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
        ``as_of``.

    Returns
    -------
    pyspark.sql.DataFrame
        ``customer_id`` (text) and the feature columns as doubles.
    """
    spark = spark_df.sparkSession
    zone = spark.conf.get("spark.sql.session.timeZone")
    if dict(spark_df.dtypes).get(date_column) == "timestamp":
        # A timestamp is the wall-clock time the user sees, in their session's zone.
        spark_df = spark_df.withColumn(date_column, spark_df[date_column].cast("timestamp_ntz"))
    # Text with a zone becomes UTC and days are counted in UTC, as the other engines do;
    # the zone is fixed into the plan when it is analysed, so the user's setting comes back.
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    view = f"dec_log_{uuid.uuid4().hex}"
    try:
        log, found = _log_view(spark_df, id_column, date_column, amount_column,
                               quantity_column)
        stamp = parse_date(as_of) if as_of is not None else \
            pd.Timestamp(pd.Timestamp(found["last"]).date())
        log.createOrReplaceTempView(view)
        features = spark.sql(features_sql(stamp, quantity=quantity_column is not None,
                                          dialect="spark", log=view))
        columns = [f"CAST({_quoted(c)} AS DOUBLE) AS {_quoted(c)}"
                   for c in features.columns if c != "customer_id"]
        features = features.selectExpr("customer_id", *columns)
        if outcomes:
            spend = spark.sql(outcomes_sql(stamp, log=view))
            features = features.join(spend, "customer_id", "left").selectExpr(
                "*", "CAST(holdout_spend IS NOT NULL AS DOUBLE) AS holdout_active"
            ).fillna(0.0, ["holdout_spend"]).select(
                *features.columns, "holdout_spend", "holdout_active")
        return features
    finally:
        spark.catalog.dropTempView(view)
        spark.conf.set("spark.sql.session.timeZone", zone)


_MODELS: dict[str, object] = {}


def _model(run_dir: str):
    """The run, loaded once per Python worker; one torch thread, as Spark runs one task per
    core."""
    if run_dir not in _MODELS:
        import torch

        from dec import DeepEmbeddedClustering

        torch.set_num_threads(1)
        _MODELS[run_dir] = DeepEmbeddedClustering.load(run_dir)
    return _MODELS[run_dir]


def score(spark_df, run_dir, *, id_column: str | None = None, embeddings: bool = True,
          value: bool = False):
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
        Default: ``customer_id`` where there is one, else the run's id column.
    embeddings : bool, default=True
    value : bool, default=False
        Also each customer's value (:data:`dec.value.VALUE_COLUMNS`) by the models
        ``test.py --clv`` fitted, as ``export.py --clv`` adds it.

    Returns
    -------
    pyspark.sql.DataFrame
        ``id, segment, [z_0 ...], p_0 ..., [expected_purchases ... clv]``, as ``export.py``
        writes them.
    """
    from dec import DeepEmbeddedClustering
    from dec.export import score_batches
    from dec.value_report import saved_settings

    run = str(Path(run_dir).resolve())
    model = DeepEmbeddedClustering.load(run)  # here first: a bad run fails before any job
    if id_column is None:
        id_column = "customer_id" if "customer_id" in spark_df.columns else \
            model.config_.data.id_column
    if id_column not in spark_df.columns:
        raise DataError(f"no id column {id_column!r} in the customers; give id_column=")
    missing = [c for c in model.preprocessor_.feature_names_in_ if c not in spark_df.columns]
    if missing:
        raise DataError(f"the customers lack the run's feature column(s) {missing[:4]}")
    settings = saved_settings(run) if value else None
    width = model.model_.architecture["embedding_dim"]
    names = ["id", "segment", *([f"z_{j}" for j in range(width)] if embeddings else []),
             *[f"p_{j}" for j in range(model.n_clusters)], *(VALUE_COLUMNS if value else [])]
    schema = ", ".join(f"{n} {'string' if n == 'id' else 'int' if n == 'segment' else 'double'}"
                       for n in names)

    def apply(batches):
        fitted = _model(run)
        for frame in batches:
            frame = frame.set_index(frame[id_column].astype(str)).drop(columns=[id_column])
            for scored in score_batches(fitted, [frame], embeddings=embeddings,
                                        value=settings):
                yield scored.astype({n: "int32" if n == "segment" else "float64"
                                     for n in names if n != "id"})

    return spark_df.mapInPandas(apply, schema)
