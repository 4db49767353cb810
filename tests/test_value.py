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
    features = pd.DataFrame({"frequency": [3.0, 1.0], "recency_days": [14.0, 70.0],
                             "tenure_days": [70.0, 70.0], "total_spend": [100.0, 40.0],
                             "first_order_value": [40.0, 40.0]}, index=["a", "b"])
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


def test_value_is_each_months_purchases_times_spend_discounted():
    one = value.discounted_value(1, 0.0, [1], [1], [2], [10.0], BG)
    assert one == pytest.approx(10 * value.expected_purchases(value.WEEKS_PER_MONTH, 1, 1, 2, **BG))
    undiscounted = value.discounted_value(12, 0.0, [1], [1], [2], [10.0], BG)
    assert undiscounted == pytest.approx(
        10 * value.expected_purchases(12 * value.WEEKS_PER_MONTH, 1, 1, 2, **BG))
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
    from dec.value_fit import fit_value_model

    features = log_features()
    n = len(features)
    fitted = fit_value_model(features)
    rfm = value.rfm(features)
    data = pd.DataFrame({"customer_id": np.arange(n), "frequency": rfm["x"], "recency":
                         rfm["t_x"], "T": rfm["T"], "monetary_value": rfm["m_x"].fillna(0)})
    bg = clv.BetaGeoModel()
    bg.fit(data[["customer_id", "frequency", "recency", "T"]], method="map", progressbar=False)
    params = value.parameters(fitted, "purchases")
    ours = value.expected_purchases(10.0, rfm["x"], rfm["t_x"], rfm["T"], **params)
    assert np.allclose(ours, bg.expected_purchases(future_t=10.0).values.ravel(), rtol=1e-6)
    assert np.allclose(value.p_alive(rfm["x"], rfm["t_x"], rfm["T"], **params),
                       bg.expected_probability_alive().values.ravel(), rtol=1e-6)
    spend = value.expected_spend(rfm["x"], rfm["m_x"], **value.parameters(fitted, "spend"))
    theirs = clv.customer_lifetime_value(bg, data.assign(future_spend=spend), future_t=12,
                                         discount_rate=value.monthly_rate(0.1), time_unit="W")
    ours = value.discounted_value(12, 0.1, rfm["x"], rfm["t_x"], rfm["T"], spend, params)
    assert np.allclose(ours, theirs.values.ravel(), rtol=1e-6)


@pytest.fixture(scope="module")
def cdnow_run(tmp_path_factory):
    from dec.config import load_config
    from dec.pipeline import fit

    config = load_config("cdnow", ["pretrain.epochs=2", "refine.epochs=2",
                                   "trainer.enable_progress_bar=false"])
    return fit(config, tmp_path_factory.mktemp("runs") / "cdnow").run_dir


@pytest.mark.slow
def test_test_py_clv_reports_each_segments_value_and_export_adds_the_columns(
        cdnow_run, tmp_path, capsys):
    pytest.importorskip("pymc_marketing")
    code, err = cli("export", "--run", cdnow_run.path, "--output", tmp_path / "a.csv", "--clv",
                    capsys=capsys)
    assert code != 0 and one_error(err, "has no customer-value model yet")
    code, _ = cli("test", "--run", cdnow_run.path, "--clv", "--no-profiles", capsys=capsys)
    assert code == 0
    block = cdnow_run.read_report()["value"]
    assert block["horizon"] == "12M" and block["holdout_weeks"] == pytest.approx(39.0)
    assert sum(s["customers"] for s in block["segments"]) == block["customers"]
    assert sum(s["clv_share"] for s in block["segments"]) == pytest.approx(1.0)
    assert -1 <= block["rank_correlation"] <= 1
    keys = {"segment", "customers", "clv_mean", "clv_total", "p_alive_mean",
            "predicted_holdout_spend", "observed_holdout_spend"}
    assert all(keys <= set(s) for s in block["segments"])
    assert "What each segment is worth" in (cdnow_run.path / "report.html").read_text()
    settings = cdnow_run.read_value_model()
    assert settings["purchases"]["model"] == "bg_nbd" and settings["months"] == 12
    choice = settings["choice"]  # chosen on the training customers' last 13 weeks
    assert choice["model"] == min(choice["mse"], key=choice["mse"].get)
    assert choice["held_back_weeks"] == 13 and 0 < choice["customers"] <= block["models"][
        "customers"]
    assert "it best predicted the training customers' last 13 weeks" in (
        cdnow_run.path / "test_report.md").read_text()
    code, _ = cli("export", "--run", cdnow_run.path, "--output", tmp_path / "a.csv", "--clv",
                  capsys=capsys)
    exported = pd.read_csv(tmp_path / "a.csv", dtype={"id": str})
    assert code == 0 and list(exported.columns[-4:]) == list(value.VALUE_COLUMNS)
    assert exported["p_alive"].between(0, 1).all() and (exported["clv"] >= 0).all()
    code, _ = cli("export", "--run", cdnow_run.path, "--output", tmp_path / "b.csv", "--clv",
                  "--clv-horizon", "2Y", capsys=capsys)
    longer = pd.read_csv(tmp_path / "b.csv", dtype={"id": str})
    assert code == 0 and (longer["clv"] >= exported["clv"]).all()
    code, _ = cli("migrate", "--run", cdnow_run.path, "--as-of", "1997-06-30", "--as-of",
                  "1997-09-30", "--output", tmp_path / "moved.csv", "--clv", capsys=capsys)
    assert code == 0 and "clv" in pd.read_csv(tmp_path / "moved.csv").columns
    assert "The most value moved from segment" in (
        tmp_path / "moved.transitions.md").read_text()
    code, _ = cli("test", "--run", cdnow_run.path, "--clv-model", "pareto_nbd", "--no-profiles",
                  capsys=capsys)
    settings = cdnow_run.read_value_model()
    assert code == 0 and settings["purchases"]["model"] == "pareto_nbd" and "choice" not in settings
    code, _ = cli("export", "--run", cdnow_run.path, "--output", tmp_path / "c.csv", "--clv",
                  capsys=capsys)
    pareto = pd.read_csv(tmp_path / "c.csv", dtype={"id": str})
    assert code == 0 and np.isfinite(pareto[list(value.VALUE_COLUMNS)].to_numpy()).all()
    # BG/NBD lets a customer leave only after a repeat purchase; the Pareto/NBD at any time
    assert (pareto["p_alive"] == 1).sum() < (exported["p_alive"] == 1).sum() / 10


def test_clv_on_a_table_run_is_one_line(smoke_run, tmp_path, capsys):
    code, err = cli("export", "--run", smoke_run, "--output", tmp_path / "a.csv", "--clv",
                    capsys=capsys)
    assert code != 0 and one_error(err, "--clv needs a run trained on a purchase log")
    code, err = cli("test", "--run", smoke_run, "--clv", "--no-profiles", capsys=capsys)
    assert code != 0 and one_error(err, "customer value needs a purchase log")
    from dec.value_report import saved_settings  # dec.spark.score(value=True) reads it too

    with pytest.raises(DataError, match="--clv needs a run trained on a purchase log"):
        saved_settings(smoke_run)


def test_without_pymc_marketing_the_fit_says_how_to_install_it(monkeypatch):
    import sys

    from dec.errors import ConfigError
    from dec.value_fit import _clv_module

    monkeypatch.setitem(sys.modules, "pymc_marketing", None)  # import fails as if absent
    with pytest.raises(ConfigError, match=r"pip install 'dec\[clv\]'"):
        _clv_module()


def test_too_few_repeat_buyers_is_one_data_error():
    pytest.importorskip("pymc_marketing")
    from dec.value_fit import fit_value_model

    features = pd.DataFrame({"frequency": [1.0] * 30 + [2.0] * 5, "recency_days": 10.0,
                             "tenure_days": 100.0, "total_spend": 50.0,
                             "first_order_value": 20.0})
    with pytest.raises(DataError, match="only 5 customers bought more than once"):
        fit_value_model(features)


def test_a_heavy_buyer_gets_a_number_not_nan():
    """Fader & Hardie's "#NUM!" problem: the plain form of eq. (10) gives NaN at x = 2,000."""
    params = dict(r=0.25, alpha=4.8, a=0.71, b=2.1)
    heavy = value.expected_purchases(52.0, [2000.0, 500.0], [78.0, 78.0], [78.0, 78.0], **params)
    assert np.isfinite(heavy).all() and heavy[0] > heavy[1] > 200
    x, t_x, T, t = 5.0, 10.0, 78.0, 52.0
    z = t / (params["alpha"] + T + t)
    plain = (params["a"] + params["b"] + x - 1) / (params["a"] - 1) * (
        1 - (1 - z) ** (params["r"] + x) * _hyp2f1_series(
            params["r"] + x, params["b"] + x, params["a"] + params["b"] + x - 1, z)
    ) * value.p_alive(x, t_x, T, **params)
    assert value.expected_purchases(t, x, t_x, T, **params) == pytest.approx(plain, rel=1e-10)


@pytest.mark.slow
def test_the_full_posterior_gives_each_segment_an_interval(cdnow_run, capsys):
    pytest.importorskip("pymc_marketing")
    code, _ = cli("test", "--run", cdnow_run.path, "--clv-posterior", "--no-profiles",
                  capsys=capsys)
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
    assert "90 % interval" in (cdnow_run.path / "test_report.md").read_text()
