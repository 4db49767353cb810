"""Customer value: the closed forms against values worked out by hand and against
pymc-marketing's own predictions; test.py --clv, export/predict --clv and their errors."""

import math

import numpy as np
import pandas as pd
import pytest
from conftest import cli, log_features, one_error

from dec import value
from dec.errors import DataError

BG = dict(r=1.0, alpha=1.0, a=2.0, b=3.0)


def _hyp2f1_series(a, b, c, z, terms=200):
    """Gauss's series, summed term by term."""
    total, term = 0.0, 1.0
    for n in range(terms):
        total += term
        term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z
    return total


def test_rfm_from_the_log_features():
    features = pd.DataFrame(
        {
            "frequency": [3.0, 1.0],
            "recency_days": [14.0, 70.0],
            "tenure_days": [70.0, 70.0],
            "total_spend": [100.0, 40.0],
            "first_order_value": [40.0, 40.0],
        },
        index=["a", "b"],
    )
    rfm = value.rfm(features)
    assert rfm.loc["a"].tolist() == [2.0, 8.0, 10.0, 30.0]  # x, t_x, T (weeks), m_x
    assert rfm.loc["b", "x"] == 0 and rfm.loc["b", "t_x"] == 0 and math.isnan(rfm.loc["b", "m_x"])
    with pytest.raises(DataError, match="needs a purchase log"):
        value.rfm(features.drop(columns="first_order_value"))


def test_p_alive_by_hand():
    # odds = a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x) = 2/3 * (3/2)**2 = 1.5
    assert value.p_alive(1, 1, 2, **BG) == pytest.approx(1 / 2.5)
    assert value.p_alive(0, 0, 2, **BG) == 1.0  # no repeat purchase: cannot have dropped out


def test_expected_purchases_by_hand():
    # (a + b + x - 1) / (a - 1) = 5; ((alpha + T) / (alpha + T + t)) ** 2 = 9/16; z = 1/4
    expected = 5 * (1 - 9 / 16 * _hyp2f1_series(2, 4, 5, 0.25)) * 0.4
    assert value.expected_purchases(1.0, 1, 1, 2, **BG) == pytest.approx(expected, rel=1e-12)
    assert value.expected_purchases(0.0, 1, 1, 2, **BG) == pytest.approx(0.0, abs=1e-12)


def test_expected_spend_by_hand():
    # (p (v + x m_x)) / (p x + q - 1): 6 (15 + 40) / 15 = 22; without repeats p v / (q - 1)
    spend = value.expected_spend([2, 0], [20.0, np.nan], p=6.0, q=4.0, v=15.0)
    assert spend.tolist() == pytest.approx([22.0, 30.0])


def test_repeat_orders_averaging_0_or_less_are_valued_at_0_not_below():
    """Refunds: the formula ``p (v + x m_x) / (p x + q - 1)`` at m_x = -50 gave -34."""
    spend = value.expected_spend([2, 2, 2, 0], [-50.0, 0.0, 1e-9, np.nan], p=6.0, q=4.0, v=15.0)
    assert spend.tolist() == pytest.approx([6.0, 6.0, 6.0, 30.0])  # 6 * 15 / 15; p v / (q - 1)
    # never more for a customer who returned more: no jump at 0
    means = np.linspace(-100, 100, 201)
    assert (
        np.diff(value.expected_spend(np.full(201, 3.0), means, p=6.0, q=4.0, v=15.0)) >= 0
    ).all()


#: value_model.json's content, as the scoring commands read it.
SETTINGS = {
    "purchases": {"model": "bg_nbd", "r": 0.25, "alpha": 4.8, "a": 0.71, "b": 2.1},
    "spend": {"model": "gamma_gamma", "p": 6.3, "q": 3.6, "v": 15.0},
    "horizon": "12M",
    "months": 12,
    "discount_rate": 0.1,
}


def _with_refunds(n: int = 200, refunders: int = 30) -> pd.DataFrame:
    """Log features in which some repeat buyers' refunds exceed their repeat orders, and
    one customer's repeat orders were all free."""
    features = log_features(n, seed=1)
    features.index = [f"c{i}" for i in range(n)]
    repeaters = features.index[features["frequency"] > 1]
    refund = repeaters[:refunders]
    features.loc[refund, "total_spend"] = features.loc[refund, "first_order_value"] - 40.0
    features.loc[repeaters[refunders], "total_spend"] = features.loc[
        repeaters[refunders], "first_order_value"
    ]
    return features


def test_refunds_never_give_a_negative_expected_spend_or_clv_and_are_said_once():
    features = _with_refunds()
    with pytest.warns(UserWarning) as said:
        worth = value.value_arrays(features, SETTINGS)
    assert (worth["expected_spend"] > 0).all() and (worth["clv"] > 0).all()
    lines = [str(w.message) for w in said if "average 0 or less" in str(w.message)]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert lines[0].startswith(
        "31 of 200 customers scored bought again but their repeat "
        "orders average 0 or less (refunds or free orders; e.g. id 'c"
    )
    # a refunder is worth what a customer with the same orders averaging 0 is
    low = value.nonpositive_spend(value.rfm(features))
    zero = features.assign(total_spend=features["first_order_value"])
    with pytest.warns(UserWarning, match="average 0 or less"):
        at_zero = value.value_arrays(zero, SETTINGS)
    assert worth["clv"][low] == pytest.approx(at_zero["clv"][low])


def test_the_report_of_a_log_with_refunds_has_no_negative_value(recwarn):
    from dec.evaluation.value_report import segment_value, value_sentences, value_table

    features = _with_refunds()
    segments = np.arange(len(features)) % 3
    draws = {
        "purchases": {k: [v] * 3 for k, v in SETTINGS["purchases"].items() if k != "model"},
        "spend": {k: [v] * 3 for k, v in SETTINGS["spend"].items() if k != "model"},
    }
    block = segment_value(features, segments, {**SETTINGS, "draws": draws})
    assert all(row["clv_mean"] > 0 and 0 < row["clv_share"] < 1 for row in block["segments"])
    assert sum(row["clv_share"] for row in block["segments"]) == pytest.approx(1.0)
    assert all(row["clv_total_interval"][0] > 0 for row in block["segments"])
    assert block["nonpositive_spend_customers"] == 31
    assert any(
        s.startswith(
            "31 of the test customers bought again but their repeat orders average 0 or less"
        )
        for s in value_sentences(block)
    )
    assert all("-" not in cell for row in value_table(block)[1] for cell in row)
    # said once, not once more for each posterior draw
    assert len([w for w in recwarn if "average 0 or less" in str(w.message)]) == 1


#: Features no purchase log gives, each for customer 'c2': (column, value, message).
IMPOSSIBLE = {
    "no orders": (
        "frequency",
        0.0,
        "frequency is not a whole number of at least 1 for 1 "
        "customer(s) (e.g. id 'c2': frequency 0): it counts a "
        "customer's orders, the first included; customer value "
        "needs the features a purchase log gives: score the log "
        "itself with --transactions",
    ),
    "negative orders": ("frequency", -5.0, "frequency is not a whole number of at least 1"),
    "half an order": ("frequency", 2.5, "(e.g. id 'c2': frequency 2.5)"),
    "last before first": (
        "recency_days",
        500.0,
        "recency_days is above tenure_days for 1 "
        "customer(s) (e.g. id 'c2': recency_days 500, "
        "tenure_days 90): the last order cannot come "
        "before the first",
    ),
    "negative recency": ("recency_days", -3.0, "recency_days is negative for 1 customer(s)"),
    "negative tenure": ("tenure_days", -1.0, "tenure_days is negative for 1 customer(s)"),
    "empty": (
        "total_spend",
        np.nan,
        "total_spend is empty or not a finite number for 1 customer(s) (e.g. id 'c2': nan)",
    ),
    "infinite": (
        "first_order_value",
        np.inf,
        "first_order_value is empty or not a finite number for 1 customer(s) (e.g. id 'c2': inf)",
    ),
    "text": (
        "frequency",
        "three",
        "frequency is empty or not a finite number for 1 customer(s) (e.g. id 'c2': 'three')",
    ),
}


@pytest.mark.parametrize("case", IMPOSSIBLE)
def test_features_no_log_gives_are_one_line_naming_the_column_and_a_customer(case):
    """predict --clv on a customer table: before, frequency 0 gave -0.28 purchases, a last
    order before the first a value blamed on value_model.json."""
    column, bad, message = IMPOSSIBLE[case]
    features = log_features(5).astype({column: object})
    features.index = [f"c{i}" for i in range(5)]
    features.loc["c2", ["frequency", "tenure_days", "recency_days"]] = [3.0, 90.0, 10.0]
    features.loc["c2", column] = bad
    with pytest.raises(DataError) as error:
        value.value_arrays(features, SETTINGS)
    text = str(error.value)
    assert message in text and "\n" not in text and text.endswith("with --transactions"), text
    assert value.features_problem(features.drop(index="c2")) is None


def test_a_refund_larger_than_the_orders_is_a_possible_feature():
    """first_order_value above total_spend, or either negative: refunds in a real log."""
    features = log_features(5).assign(
        first_order_value=[50.0, -10.0, 5.0, 0.0, 1.0], total_spend=[20.0, -30.0, -5.0, 0.0, 1.0]
    )
    assert value.features_problem(features) is None


def test_value_is_each_months_purchases_times_spend_discounted():
    one = value.discounted_value(1, 0.0, [1], [1], [2], [10.0], BG)
    assert one == pytest.approx(10 * value.expected_purchases(value.WEEKS_PER_MONTH, 1, 1, 2, **BG))
    undiscounted = value.discounted_value(12, 0.0, [1], [1], [2], [10.0], BG)
    assert undiscounted == pytest.approx(
        10 * value.expected_purchases(12 * value.WEEKS_PER_MONTH, 1, 1, 2, **BG)
    )
    assert value.discounted_value(12, 0.1, [1], [1], [2], [10.0], BG) < undiscounted
    assert (1 + value.monthly_rate(0.1)) ** 12 == pytest.approx(1.1)


@pytest.mark.parametrize("text, months", [("12M", 12), ("1y", 12), ("2Y", 24), (" 6M ", 6)])
def test_horizons(text, months):
    assert value.parse_horizon(text) == months


@pytest.mark.parametrize("text", ["12", "M", "0M", "11Y", "twelve months", ""])
def test_bad_horizons(text):
    with pytest.raises(DataError, match="not a horizon"):
        value.parse_horizon(text)


@pytest.mark.slow
def test_closed_forms_equal_pymc_marketings_predictions():
    clv = pytest.importorskip("pymc_marketing.clv")
    from dec.value.fit import fit_value_model

    features = log_features()
    n = len(features)
    fitted = fit_value_model(features)
    rfm = value.rfm(features)
    data = pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "frequency": rfm["x"],
            "recency": rfm["t_x"],
            "T": rfm["T"],
            "monetary_value": rfm["m_x"].fillna(0),
        }
    )
    bg = clv.BetaGeoModel()
    bg.fit(data[["customer_id", "frequency", "recency", "T"]], method="map", progressbar=False)
    params = value.parameters(fitted, "purchases")
    ours = value.expected_purchases(10.0, rfm["x"], rfm["t_x"], rfm["T"], **params)
    assert np.allclose(ours, bg.expected_purchases(future_t=10.0).values.ravel(), rtol=1e-6)
    assert np.allclose(
        value.p_alive(rfm["x"], rfm["t_x"], rfm["T"], **params),
        bg.expected_probability_alive().values.ravel(),
        rtol=1e-6,
    )
    spend = value.expected_spend(rfm["x"], rfm["m_x"], **value.parameters(fitted, "spend"))
    theirs = clv.customer_lifetime_value(
        bg,
        data.assign(future_spend=spend),
        future_t=12,
        discount_rate=value.monthly_rate(0.1),
        time_unit="W",
    )
    ours = value.discounted_value(12, 0.1, rfm["x"], rfm["t_x"], rfm["T"], spend, params)
    assert np.allclose(ours, theirs.values.ravel(), rtol=1e-6)


@pytest.fixture(scope="module")
def cdnow_run(cdnow_copy):
    from dec.runs.rundir import RunDir

    return RunDir(cdnow_copy)


@pytest.mark.slow
def test_test_py_clv_reports_each_segments_value_and_export_adds_the_columns(
    cdnow_run, tmp_path, capsys
):
    pytest.importorskip("pymc_marketing")
    code, err = cli(
        "export", "--run", cdnow_run.path, "--output", tmp_path / "a.csv", "--clv", capsys=capsys
    )
    assert code != 0 and one_error(err, "has no customer-value model yet")
    code, _ = cli("test", "--run", cdnow_run.path, "--clv", "--no-profiles", capsys=capsys)
    assert code == 0
    block = cdnow_run.read_report()["value"]
    assert block["horizon"] == "12M" and block["holdout_weeks"] == pytest.approx(39.0)
    assert sum(s["customers"] for s in block["segments"]) == block["customers"]
    assert sum(s["clv_share"] for s in block["segments"]) == pytest.approx(1.0)
    assert -1 <= block["rank_correlation"] <= 1
    keys = {
        "segment",
        "customers",
        "clv_mean",
        "clv_total",
        "p_alive_mean",
        "predicted_holdout_spend",
        "observed_holdout_spend",
    }
    assert all(keys <= set(s) for s in block["segments"])
    assert "What each segment is worth" in (cdnow_run.path / "report.html").read_text()
    settings = cdnow_run.read_value_model()
    assert settings["purchases"]["model"] == "bg_nbd" and settings["months"] == 12
    choice = settings["choice"]  # chosen on the training customers' last 13 weeks
    assert choice["model"] == min(choice["mse"], key=choice["mse"].get)
    assert (
        choice["held_back_weeks"] == 13 and 0 < choice["customers"] <= block["models"]["customers"]
    )
    assert (
        "it best predicted the training customers' last 13 weeks"
        in (cdnow_run.path / "test_report.md").read_text()
    )
    code, _ = cli(
        "export", "--run", cdnow_run.path, "--output", tmp_path / "a.csv", "--clv", capsys=capsys
    )
    exported = pd.read_csv(tmp_path / "a.csv", dtype={"id": str})
    assert code == 0 and list(exported.columns[-4:]) == list(value.VALUE_COLUMNS)
    assert exported["p_alive"].between(0, 1).all() and (exported["clv"] >= 0).all()
    code, _ = cli(
        "export",
        "--run",
        cdnow_run.path,
        "--output",
        tmp_path / "b.csv",
        "--clv",
        "--clv-horizon",
        "2Y",
        capsys=capsys,
    )
    longer = pd.read_csv(tmp_path / "b.csv", dtype={"id": str})
    assert code == 0 and (longer["clv"] >= exported["clv"]).all()
    code, _ = cli(
        "migrate",
        "--run",
        cdnow_run.path,
        "--as-of",
        "1997-06-30",
        "--as-of",
        "1997-09-30",
        "--output",
        tmp_path / "moved.csv",
        "--clv",
        capsys=capsys,
    )
    assert code == 0 and "clv" in pd.read_csv(tmp_path / "moved.csv").columns
    assert "The most value moved from segment" in (tmp_path / "moved.transitions.md").read_text()
    code, _ = cli(
        "test", "--run", cdnow_run.path, "--clv-model", "pareto_nbd", "--no-profiles", capsys=capsys
    )
    settings = cdnow_run.read_value_model()
    assert code == 0 and settings["purchases"]["model"] == "pareto_nbd" and "choice" not in settings
    code, _ = cli(
        "export", "--run", cdnow_run.path, "--output", tmp_path / "c.csv", "--clv", capsys=capsys
    )
    pareto = pd.read_csv(tmp_path / "c.csv", dtype={"id": str})
    assert code == 0 and np.isfinite(pareto[list(value.VALUE_COLUMNS)].to_numpy()).all()
    # BG/NBD lets a customer leave only after a repeat purchase; the Pareto/NBD at any time
    assert (pareto["p_alive"] == 1).sum() < (exported["p_alive"] == 1).sum() / 10


def test_clv_on_a_table_run_is_one_line(smoke_run, tmp_path, capsys):
    code, err = cli(
        "export", "--run", smoke_run, "--output", tmp_path / "a.csv", "--clv", capsys=capsys
    )
    assert code != 0 and one_error(err, "--clv needs a run trained on a purchase log")
    # test.py says the same, also for a table of a log's features (the rule of every
    # --clv command: export, predict, migrate and dec.spark.score refuse such a run too).
    code, err = cli("test", "--run", smoke_run, "--clv", "--no-profiles", capsys=capsys)
    assert code != 0 and one_error(err, "--clv needs a run trained on a purchase log")
    from dec.evaluation.value_report import (
        saved_settings,  # dec.spark.score(value=True) reads it too
    )

    with pytest.raises(DataError, match="--clv needs a run trained on a purchase log"):
        saved_settings(smoke_run)


def test_without_pymc_marketing_the_fit_says_how_to_install_it(monkeypatch):
    import sys

    from dec.errors import ConfigError
    from dec.value.fit import _clv_module

    monkeypatch.setitem(sys.modules, "pymc_marketing", None)  # import fails as if absent
    with pytest.raises(ConfigError, match=r"pip install 'dec\[clv\]'"):
        _clv_module()


def test_too_few_repeat_buyers_is_one_data_error():
    pytest.importorskip("pymc_marketing")
    from dec.value.fit import fit_value_model

    features = pd.DataFrame(
        {
            "frequency": [1.0] * 30 + [2.0] * 5,
            "recency_days": 10.0,
            "tenure_days": 100.0,
            "total_spend": 50.0,
            "first_order_value": 20.0,
        }
    )
    with pytest.raises(DataError, match="only 5 customers bought more than once"):
        fit_value_model(features)


def test_a_log_whose_repeat_orders_are_all_free_says_so():
    """Before: "only 0 customers bought more than once", though 30 did."""
    pytest.importorskip("pymc_marketing")
    from dec.value.fit import fit_value_model

    features = pd.DataFrame(
        {
            "frequency": [1.0] * 10 + [3.0] * 30,
            "recency_days": 10.0,
            "tenure_days": 100.0,
            "total_spend": 0.0,
            "first_order_value": 0.0,
        }
    )
    with pytest.raises(DataError) as error:
        fit_value_model(features)
    assert str(error.value) == (
        "only 0 customers bought more than once before as_of with a positive mean spend on "
        "their repeat orders; 30 more bought again but their repeat orders average 0 or less "
        "(amounts of 0, refunds), which the spend model cannot learn from; the spend model "
        "needs at least 20: check that the amount column the run was trained on holds order "
        "values (--amount-column)"
    )


def test_a_heavy_buyer_gets_a_number_not_nan():
    """Fader & Hardie's "#NUM!" problem: the plain form of eq. (10) gives NaN at x = 2,000."""
    params = dict(r=0.25, alpha=4.8, a=0.71, b=2.1)
    heavy = value.expected_purchases(52.0, [2000.0, 500.0], [78.0, 78.0], [78.0, 78.0], **params)
    assert np.isfinite(heavy).all() and heavy[0] > heavy[1] > 200
    x, t_x, T, t = 5.0, 10.0, 78.0, 52.0
    z = t / (params["alpha"] + T + t)
    plain = (
        (params["a"] + params["b"] + x - 1)
        / (params["a"] - 1)
        * (
            1
            - (1 - z) ** (params["r"] + x)
            * _hyp2f1_series(params["r"] + x, params["b"] + x, params["a"] + params["b"] + x - 1, z)
        )
        * value.p_alive(x, t_x, T, **params)
    )
    assert value.expected_purchases(t, x, t_x, T, **params) == pytest.approx(plain, rel=1e-10)


@pytest.mark.slow
def test_the_full_posterior_gives_each_segment_an_interval(cdnow_run, capsys, monkeypatch):
    pytest.importorskip("pymc_marketing")
    # A shorter chain than test.py's (dec.value.fit.SAMPLER): the intervals' plumbing is
    # what is tested here, not how well 500 draws cover them.
    monkeypatch.setattr("dec.value.fit.SAMPLER", {"draws": 150, "tune": 150, "chains": 2})
    code, _ = cli(
        "test", "--run", cdnow_run.path, "--clv-posterior", "--no-profiles", capsys=capsys
    )
    assert code == 0
    block = cdnow_run.read_report()["value"]
    assert block["models"]["method"] == "mcmc"
    for row in block["segments"]:
        low, high = row["clv_total_interval"]
        assert 0 < low < high
        spend_low, spend_high = row["predicted_holdout_spend_interval"]
        assert spend_low < spend_high
    settings = cdnow_run.read_value_model()
    assert settings["method"] == "mcmc" and "draws" not in settings  # scoring uses the means
    assert "90% interval" in (cdnow_run.path / "test_report.md").read_text()


@pytest.fixture(scope="module")
def spark():
    import shutil

    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java, and none is installed")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("dec-value-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")
def test_spark_checks_the_features_by_the_same_rules_in_one_line(spark):
    """What dec.spark.score(value=True) applies before its workers score: before, a last
    order before the first was a Java and Python traceback blaming value_model.json."""
    from pyspark.errors import SparkRuntimeException

    features = log_features(4)
    features.insert(0, "customer_id", ["a", "b", "c", "d"])
    checked = value.spark_checked_features(spark.createDataFrame(features), "customer_id")
    pd.testing.assert_frame_equal(checked.toPandas(), features, check_dtype=False)
    cases = {
        "recency_days": (
            1e4,
            "recency_days is above tenure_days for a customer (id 'c': "
            "recency_days 10000.0, tenure_days ",
        ),
        "frequency": (
            0.0,
            "frequency is not a whole number of at least 1 for a customer "
            "(id 'c': frequency 0.0): it counts a customer's orders, the "
            "first included; customer value needs the features a purchase "
            "log gives: compute them from the log with "
            "dec.spark.customer_features",
        ),
        "tenure_days": (-1.0, "tenure_days is negative for a customer (id 'c'"),
        "total_spend": (
            math.nan,
            "total_spend is empty or not a finite number for a customer (id 'c'",
        ),
    }
    for column, (bad, message) in cases.items():
        edited = features.copy()
        edited.loc[2, column] = bad
        # the rule is the pandas one too
        assert value.features_problem(edited.set_index("customer_id")).startswith(
            message.split(" for a customer")[0]
        )
        with pytest.raises(SparkRuntimeException) as error:
            value.spark_checked_features(spark.createDataFrame(edited), "customer_id").collect()
        text = str(error.value)
        assert message in text and "\n" not in text, text
    with pytest.raises(DataError, match="the customers lack first_order_value"):
        value.spark_checked_features(
            spark.createDataFrame(features.drop(columns="first_order_value")), "customer_id"
        )
