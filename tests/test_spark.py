"""``dec.spark`` in Spark's local mode: the same features as pandas from the same SQL, and
the same segments as the run's own scoring. Skipped where pyspark or Java is missing."""

import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java, and none is installed", allow_module_level=True)

from conftest import SMOKE, cli, write_small_log  # noqa: E402

from dec.data.logs.transactions import (  # noqa: E402
    clean_transactions,
    customer_features,
    holdout_outcomes,
    load_cdnow,
)
from dec.errors import DataError  # noqa: E402
from dec.runs.rundir import RunDir  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
]


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("dec-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "America/New_York")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _pandas(log: pd.DataFrame, as_of: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        features = customer_features(log, as_of)
    features.index = features.index.astype(str)
    if pd.Timestamp(as_of) >= log["date"].max():  # no hold-out period: no outcomes, anywhere
        return features
    return features.join(holdout_outcomes(log, as_of, features.index))


def _spark(spark, frame, as_of, **columns):
    from dec.spark import customer_features as spark_features

    found = spark_features(spark.createDataFrame(frame), as_of, outcomes=True, **columns)
    return found.toPandas().set_index("customer_id")


def test_cdnow_features_equal_the_pandas_ones(spark):
    cdnow = load_cdnow()
    found = _spark(
        spark,
        cdnow,
        "1997-09-30",
        id_column="id",
        date_column="date",
        amount_column="amount",
        quantity_column="quantity",
    )
    expected = _pandas(cdnow, "1997-09-30")
    assert list(found.columns) == list(expected.columns) and len(found) == 23_570
    found = found.loc[expected.index]
    np.testing.assert_allclose(found.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-9)
    # the user's time zone comes back after the query (days are counted in UTC inside it)
    assert spark.conf.get("spark.sql.session.timeZone") == "America/New_York"


@pytest.mark.parametrize("as_of", ["2024-01-31", "2024-03-31"])  # the second across DST
def test_edge_cases_and_text_dates_equal_the_pandas_ones(spark, as_of):
    """Same-timestamp orders, one-order customers, a refund, ids with zeros, zones (one that
    moves a purchase to the day before in UTC), times of day; YYYYMMDD dates are in the
    scoring test below."""
    raw = pd.DataFrame(
        [
            ("00042", "2024-01-01T09:00:00", 10.0),
            ("00042", "2024-01-01T09:00:00", 5.0),
            ("00042", "2024-01-11T18:30:00Z", 20.0),
            ("00042", "2024-02-20", -4.0),
            ("7", "2024-01-05", 3.5),
            ("00007", "2024-01-06T02:00:00+05:00", 8.0),
            ("00007", "2024-01-09T00:00:00", 1.0),
            ("00007", "2024-01-30T23:59:59", 2.0),
            ("late", "2024-03-01T00:00:00", 9.0),
        ],
        columns=["cust", "day", "usd"],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = clean_transactions(
            raw.rename(columns={"cust": "id", "day": "date", "usd": "amount"})
        )
    found = _spark(spark, raw, as_of, id_column="cust", date_column="day", amount_column="usd")
    expected = _pandas(clean, as_of)
    assert sorted(found.index) == sorted(expected.index)
    found = found.loc[expected.index]
    np.testing.assert_allclose(found.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-9)
    if as_of == "2024-01-31":
        assert sorted(found.index) == ["00007", "00042", "7"]  # "late" has no history yet
        assert found.loc["00042", "frequency"] == 2  # the two 09:00 purchases: one order
        assert found.loc["00042", "holdout_spend"] == -4


#: A three-purchase log that every hostile input below spoils in one way.
LOG = pd.DataFrame(
    {
        "cust": ["a", "a", "b"],
        "day": ["2024-01-01", "2024-01-02", "2024-01-03"],
        "usd": [1.0, 2.0, 3.0],
        "n": [1.0, 1.0, 2.0],
    }
)


def _row(column, value):
    """The log with the middle purchase's ``column`` set to ``value``."""
    return lambda f: f.assign(**{column: [f[column][0], value, f[column][2]]})


@pytest.mark.parametrize(
    "edit, options, message",
    [
        pytest.param(
            lambda f: f.drop(columns=["usd"]), {}, "has no column(s) ['usd']", id="missing-column"
        ),
        pytest.param(
            _row("cust", None),
            {},
            "1 transaction(s) have no customer id (column 'cust' is empty or null)",
            id="null-id",
        ),
        pytest.param(_row("cust", "  "), {}, "1 transaction(s) have no customer id", id="blank-id"),
        pytest.param(_row("day", "soon"), {}, "cannot read date 'soon'", id="unreadable-date"),
        pytest.param(
            _row("day", None), {}, "1 transaction(s) have no date (column 'day'", id="null-date"
        ),
        pytest.param(
            _row("day", "2999-01-01"),
            {},
            "1 transaction(s) are dated in the future, e.g. '2999-01-01'; fix or drop",
            id="future-date",
        ),
        pytest.param(
            _row("day", "99999-01-01"),
            {},  # a date to Spark, not to Python
            "are dated in the future, e.g. '99999-01-01'",
            id="year-99999",
        ),
        pytest.param(
            _row("day", "1850-01-01"),
            {},
            "1 transaction(s) are dated before 1900, e.g. '1850-01-01'",
            id="before-1900",
        ),
        pytest.param(
            lambda f: f.assign(usd=f["usd"].astype(str).where(f.index != 2, "ten")),
            {},
            "amount value 'ten' is not a finite number",
            id="text-amount",
        ),
        pytest.param(
            _row("usd", None), {}, "1 transaction(s) have no amount (column 'usd'", id="null-amount"
        ),
        pytest.param(
            _row("usd", np.inf),
            {},
            "amount value 'Infinity' is not a finite number",
            id="infinite-amount",
        ),
        pytest.param(
            lambda f: f.assign(usd=[1e308, 1e308, 3.0]),
            {},
            ("purchase amounts are too large to add up", "give them in a larger currency unit"),
            id="amounts-overflow",
        ),
        pytest.param(
            lambda f: f.assign(usd=pd.to_datetime(f["day"])),
            {},
            "column 'usd' holds timestamp values, not numbers",
            id="amount-of-dates",
        ),
        pytest.param(
            _row("n", "x"),
            {"quantity_column": "n"},
            "quantity value 'x' is not a finite number",
            id="text-quantity",
        ),
        pytest.param(
            lambda f: f,
            {"as_of": "2023-06-01"},
            "as_of=2023-06-01 is before the first purchase in the purchase log (2024-01-01)",
            id="as-of-before-the-log",
        ),
    ],
)
def test_bad_logs_are_one_line(spark, edit, options, message):
    """Each hostile log is one DataError line from the one pass that checks the log."""
    from dec.spark import customer_features as spark_features

    options = {"as_of": "2024-01-31", **options}
    frame = edit(LOG.copy()).astype({"n": str} if "quantity_column" in options else {})
    with pytest.raises(DataError) as error:
        spark_features(
            spark.createDataFrame(frame),
            id_column="cust",
            date_column="day",
            amount_column="usd",
            **options,
        )
    words = [message] if isinstance(message, str) else message
    assert all(w in str(error.value) for w in words) and "\n" not in str(error.value)


def test_an_as_of_after_the_logs_last_purchase_is_stated(spark):
    """As on the other engines (dec.data.logs.transactions.as_of_date): said, not refused."""
    from dec.spark import customer_features as spark_features

    with pytest.warns(
        UserWarning,
        match=r"as_of=2024-02-02 is not before the last purchase "
        r"\(2024-01-03\), so there is no hold-out period",
    ):
        found = spark_features(
            spark.createDataFrame(LOG),
            "2024-02-02",
            id_column="cust",
            date_column="day",
            amount_column="usd",
            outcomes=True,
        )
    assert found.count() == 2
    assert not any(c.startswith("holdout_") for c in found.columns)  # as DuckDB and pandas


def test_score_gives_the_segments_the_run_gives(spark, tmp_path, capsys):
    """A run trained on a purchase log scores Spark's features of that log as export.py
    scores its own customers: same segments, same probabilities and embeddings."""
    from dec.spark import customer_features as spark_features
    from dec.spark import score

    log_path = write_small_log(tmp_path)
    run = tmp_path / "run"
    code, err = cli(
        "train",
        "--config",
        str(SMOKE),
        "--transactions",
        str(log_path),
        "--id-column",
        "cust",
        "--date-column",
        "date",
        "--amount-column",
        "value",
        "--quantity-column",
        "number_of_cds",
        "--as-of",
        "1997-09-30",
        "--output-dir",
        str(run),
        capsys=capsys,
    )
    assert code == 0, err
    code, err = cli(
        "export",
        "--run",
        str(run),
        "--as-of",
        "1997-09-30",
        "--output",
        str(tmp_path / "own.csv"),
        capsys=capsys,
    )
    assert code == 0, err
    own = pd.read_csv(tmp_path / "own.csv", dtype={"id": str}).set_index("id")

    log = pd.read_csv(log_path, dtype={"cust": str, "date": str})
    features = spark_features(
        spark.createDataFrame(log),
        "1997-09-30",
        id_column="cust",
        date_column="date",
        amount_column="value",
        quantity_column="number_of_cds",
    )
    scored = score(features.repartition(3), run).toPandas().set_index("id").loc[own.index]
    assert list(scored.columns) == list(own.columns)
    assert (scored["segment"] == own["segment"]).all()
    np.testing.assert_allclose(scored.to_numpy(), own.to_numpy(), atol=1e-5)

    # Customer value: the same four columns export.py --clv adds, from the same models.
    with pytest.raises(DataError, match="has no customer-value model yet"):
        score(features, run, value=True)
    RunDir(run).write_value_model(
        {
            "purchases": {"model": "bg_nbd", "r": 0.25, "alpha": 4.8, "a": 0.71, "b": 2.1},
            "spend": {"model": "gamma_gamma", "p": 6.3, "q": 3.6, "v": 15.0},
            "horizon": "12M",
            "months": 12,
            "discount_rate": 0.1,
        }
    )
    code, err = cli(
        "export",
        "--run",
        str(run),
        "--as-of",
        "1997-09-30",
        "--output",
        str(tmp_path / "valued.csv"),
        "--clv",
        capsys=capsys,
    )
    assert code == 0, err
    valued = pd.read_csv(tmp_path / "valued.csv", dtype={"id": str}).set_index("id")
    worth = score(features, run, embeddings=False, value=True).toPandas().set_index("id")
    columns = ["expected_purchases", "p_alive", "expected_spend", "clv"]
    np.testing.assert_allclose(
        worth.loc[valued.index, columns].to_numpy(), valued[columns].to_numpy(), rtol=1e-9
    )


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """A two-segment run on three numeric columns ``a, b, c``: quick to fit and to load."""
    from dec import DeepEmbeddedClustering

    x = np.random.default_rng(0).normal(size=(60, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return (
            DeepEmbeddedClustering(
                2,
                hidden_dims=(8,),
                embedding_dim=2,
                pretrain_epochs=1,
                refine_epochs=1,
                random_state=0,
            )
            .fit(pd.DataFrame(x, columns=["a", "b", "c"]))
            .save(tmp_path_factory.mktemp("run"))
        )


CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["1", "2", "3"],
        "a": [0.0, 1.0, 2.0],
        "b": [0.5, -1.0, 0.0],
        "c": [1.0, 0.0, -0.5],
    }
)


def _customer(column, value):
    """The customers with customer 2's ``column`` set to ``value``."""
    return lambda f: f.assign(**{column: [f[column][0], value, f[column][2]]})


@pytest.mark.parametrize(
    "edit, lazy, message",
    [
        pytest.param(
            lambda f: f.drop(columns=["b", "c"]),
            False,
            "lack the run's feature column(s) ['b', 'c']",
            id="missing-features",
        ),
        pytest.param(
            lambda f: f.assign(a=pd.to_datetime(["2024-01-01"] * 3)),
            False,
            "column 'a' holds timestamp values, but the run reads it as numbers",
            id="dates-as-features",
        ),
        pytest.param(
            _customer("customer_id", None),
            True,
            "id column 'customer_id' is empty or null for a customer",
            id="null-id",
        ),
        pytest.param(
            _customer("customer_id", " "),
            True,
            "id column 'customer_id' is empty or null for a customer",
            id="blank-id",
        ),
        pytest.param(
            lambda f: f.assign(a=["0", "abc", "2"]),
            True,
            "column 'a' must be numeric but holds text such as 'abc' (customer '2')",
            id="text-in-numbers",
        ),
        pytest.param(
            _customer("b", np.inf),
            True,
            "column 'b' holds an infinite value (customer '2')",
            id="infinite-value",
        ),
    ],
)
def test_score_refuses_bad_customers(spark, small_run, edit, lazy, message):
    """What the schema shows is a DataError at the call; what only the data shows is one
    line from Spark when the result is computed (score stays lazy: no extra pass)."""
    from pyspark.errors import SparkRuntimeException

    from dec.spark import score

    customers = spark.createDataFrame(edit(CUSTOMERS.copy()))
    if lazy:
        scored = score(customers, small_run)
        with pytest.raises(SparkRuntimeException) as error:
            scored.collect()
    else:
        with pytest.raises(DataError) as error:
            score(customers, small_run)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_score_reads_numbers_written_as_text(spark, small_run):
    from dec.spark import score

    numbers = score(spark.createDataFrame(CUSTOMERS), small_run).toPandas()
    text = score(spark.createDataFrame(CUSTOMERS.astype({"a": str})), small_run).toPandas()
    pd.testing.assert_frame_equal(
        numbers.sort_values("id", ignore_index=True), text.sort_values("id", ignore_index=True)
    )


def test_a_run_retrained_into_the_same_folder_is_loaded_again(spark, small_run, tmp_path):
    """Spark reuses its Python workers: the model a worker keeps must be the run's current
    one, not the one that was in the folder before."""
    import shutil

    from dec import DeepEmbeddedClustering
    from dec.spark import score

    folder = tmp_path / "run"
    shutil.copytree(small_run, folder)
    first = score(spark.createDataFrame(CUSTOMERS), folder).toPandas()
    x = np.random.default_rng(1).normal(size=(60, 3)) * 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        other = DeepEmbeddedClustering(
            2, hidden_dims=(8,), embedding_dim=2, pretrain_epochs=1, refine_epochs=1, random_state=7
        ).fit(pd.DataFrame(x, columns=["a", "b", "c"]))
    shutil.rmtree(folder)
    other.save(folder)
    again = score(spark.createDataFrame(CUSTOMERS), folder).toPandas()
    expected = other.transform(CUSTOMERS.set_index("customer_id"))
    np.testing.assert_allclose(again[["z_0", "z_1"]].to_numpy(), expected, atol=1e-5)
    assert not np.allclose(first[["z_0", "z_1"]].to_numpy(), expected, atol=1e-5)


def test_score_names_the_id_column_id_whatever_the_input_called_it(spark, small_run):
    """As export.py: ``id``, from the customers' own id column (here ``CustomerID``); and a
    table ``python -m dec features`` wrote, whose id is ``id``, is scored without
    ``id_column=``."""
    from dec.spark import score

    renamed = CUSTOMERS.rename(columns={"customer_id": "CustomerID"})
    found = score(spark.createDataFrame(renamed), small_run, id_column="CustomerID").toPandas()
    assert list(found.columns[:2]) == ["id", "segment"] and "CustomerID" not in found.columns
    assert sorted(found["id"]) == ["1", "2", "3"]
    features_file = CUSTOMERS.rename(columns={"customer_id": "id"})
    found = score(spark.createDataFrame(features_file), small_run).toPandas()
    assert sorted(found["id"]) == ["1", "2", "3"]
