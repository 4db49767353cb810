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
from dec.data.transactions import (clean_transactions, customer_features,  # noqa: E402
                                   holdout_outcomes, load_cdnow)
from dec.errors import DataError  # noqa: E402
from dec.rundir import RunDir  # noqa: E402

pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
              pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")]


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("dec-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.sql.session.timeZone", "America/New_York").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _pandas(log: pd.DataFrame, as_of: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        features = customer_features(log, as_of)
    features.index = features.index.astype(str)
    return features.join(holdout_outcomes(log, as_of, features.index))


def _spark(spark, frame, as_of, **columns):
    from dec.spark import customer_features as spark_features

    found = spark_features(spark.createDataFrame(frame), as_of, outcomes=True, **columns)
    return found.toPandas().set_index("customer_id")


def test_cdnow_features_equal_the_pandas_ones(spark):
    cdnow = load_cdnow()
    found = _spark(spark, cdnow, "1997-09-30", id_column="id", date_column="date",
                   amount_column="amount", quantity_column="quantity")
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
        [("00042", "2024-01-01T09:00:00", 10.0), ("00042", "2024-01-01T09:00:00", 5.0),
         ("00042", "2024-01-11T18:30:00Z", 20.0), ("00042", "2024-02-20", -4.0),
         ("7", "2024-01-05", 3.5), ("00007", "2024-01-06T02:00:00+05:00", 8.0),
         ("00007", "2024-01-09T00:00:00", 1.0), ("00007", "2024-01-30T23:59:59", 2.0),
         ("late", "2024-03-01T00:00:00", 9.0)], columns=["cust", "day", "usd"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = clean_transactions(raw.rename(columns={"cust": "id", "day": "date",
                                                       "usd": "amount"}))
    found = _spark(spark, raw, as_of, id_column="cust", date_column="day",
                   amount_column="usd")
    expected = _pandas(clean, as_of)
    assert sorted(found.index) == sorted(expected.index)
    found = found.loc[expected.index]
    np.testing.assert_allclose(found.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-9)
    if as_of == "2024-01-31":
        assert sorted(found.index) == ["00007", "00042", "7"]  # "late" has no history yet
        assert found.loc["00042", "frequency"] == 2  # the two 09:00 purchases: one order
        assert found.loc["00042", "holdout_spend"] == -4


@pytest.mark.parametrize("edit, message", [
    (lambda f: f.drop(columns=["usd"]), "has no column(s) ['usd']"),
    (lambda f: f.assign(day=f["day"].where(f.index != 1, "soon")), "cannot read date 'soon'"),
    (lambda f: f.assign(usd=f["usd"].astype(str).where(f.index != 2, "ten")),
     "amount value 'ten' is not a finite number"),
])
def test_bad_logs_are_one_line(spark, edit, message):
    from dec.spark import customer_features as spark_features

    raw = pd.DataFrame({"cust": ["a", "a", "b"], "day": ["2024-01-01", "2024-01-02", "2024-01-03"],
                        "usd": [1.0, 2.0, 3.0]})
    columns = dict(id_column="cust", date_column="day", amount_column="usd")
    with pytest.raises(DataError) as error:
        spark_features(spark.createDataFrame(edit(raw)), "2024-01-31", **columns)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_score_gives_the_segments_the_run_gives(spark, tmp_path, capsys):
    """A run trained on a purchase log scores Spark's features of that log as export.py
    scores its own customers: same segments, same probabilities and embeddings."""
    from dec.spark import customer_features as spark_features
    from dec.spark import score

    log_path = write_small_log(tmp_path)
    run = tmp_path / "run"
    code, err = cli("train", "--config", str(SMOKE), "--transactions", str(log_path),
                    "--id-column", "cust", "--date-column", "date", "--amount-column", "value",
                    "--quantity-column", "number_of_cds", "--as-of", "1997-09-30",
                    "--output-dir", str(run), capsys=capsys)
    assert code == 0, err
    code, err = cli("export", "--run", str(run), "--as-of", "1997-09-30", "--output",
                    str(tmp_path / "own.csv"), capsys=capsys)
    assert code == 0, err
    own = pd.read_csv(tmp_path / "own.csv", dtype={"id": str}).set_index("id")

    log = pd.read_csv(log_path, dtype={"cust": str, "date": str})
    features = spark_features(spark.createDataFrame(log), "1997-09-30", id_column="cust",
                              date_column="date", amount_column="value",
                              quantity_column="number_of_cds")
    scored = score(features.repartition(3), run).toPandas().set_index("id").loc[own.index]
    assert list(scored.columns) == list(own.columns)
    assert (scored["segment"] == own["segment"]).all()
    np.testing.assert_allclose(scored.to_numpy(), own.to_numpy(), atol=1e-5)

    # Customer value: the same four columns export.py --clv adds, from the same models.
    with pytest.raises(DataError, match="has no customer-value model yet"):
        score(features, run, value=True)
    RunDir(run).write_value_model({
        "purchases": {"model": "bg_nbd", "r": 0.25, "alpha": 4.8, "a": 0.71, "b": 2.1},
        "spend": {"model": "gamma_gamma", "p": 6.3, "q": 3.6, "v": 15.0},
        "horizon": "12M", "months": 12, "discount_rate": 0.1})
    code, err = cli("export", "--run", str(run), "--as-of", "1997-09-30", "--output",
                    str(tmp_path / "valued.csv"), "--clv", capsys=capsys)
    assert code == 0, err
    valued = pd.read_csv(tmp_path / "valued.csv", dtype={"id": str}).set_index("id")
    worth = score(features, run, embeddings=False, value=True).toPandas().set_index("id")
    columns = ["expected_purchases", "p_alive", "expected_spend", "clv"]
    np.testing.assert_allclose(worth.loc[valued.index, columns].to_numpy(),
                               valued[columns].to_numpy(), rtol=1e-9)


def test_score_refuses_customers_without_the_runs_features(spark, tmp_path):
    from dec import DeepEmbeddedClustering
    from dec.spark import score

    x = np.random.default_rng(0).normal(size=(60, 3))
    run = DeepEmbeddedClustering(2, hidden_dims=(8,), embedding_dim=2, pretrain_epochs=1,
                                 refine_epochs=1, random_state=0).fit(
        pd.DataFrame(x, columns=["a", "b", "c"])).save(tmp_path / "model")
    customers = spark.createDataFrame(pd.DataFrame({"customer_id": ["1", "2"], "a": [0.0, 1.0]}))
    with pytest.raises(DataError, match=r"lack the run's feature column\(s\) \['b', 'c'\]"):
        score(customers, run)
