"""Outcome columns of a customer table judge the segments: eta², rates, profiles."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import SMOKE, run_script

from dec.data.prepare import split_indices


@pytest.mark.slow
def test_outcome_columns_end_to_end(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    table = pd.DataFrame(
        {
            "id": [f"u{i}" for i in range(n)],
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "plan": rng.choice(["x", "y", "z"], n),
        }
    )
    table["churn"] = np.where(table["a"] > 0.5, "yes", "no")
    table["next_year_spend"] = 50 + 10 * table["b"]
    table.loc[3, "next_year_spend"] = np.nan  # unknown for one customer: left out, not fatal
    table.to_csv(tmp_path / "customers.csv", index=False)
    run = tmp_path / "run"
    trained = run_script(
        "train.py",
        "--config",
        str(SMOKE),
        "--data",
        "customers.csv",
        "--id-column",
        "id",
        "--outcome-columns",
        "churn,next_year_spend",
        "--output-dir",
        str(run),
        cwd=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    # Outcomes are never features.
    preprocessor = json.loads((run / "preprocessor.json").read_text())
    assert "churn" not in json.dumps(preprocessor) and "next_year_spend" not in json.dumps(
        preprocessor
    )
    tested = run_script("test.py", "--run", str(run))
    assert tested.returncode == 0, tested.stderr
    report = json.loads((run / "test_report.json").read_text())
    methods = {"dec", "kmeans", "gmm", "ae_kmeans"}
    _, _, test = split_indices(n, val_fraction=0.1, test_fraction=0.2, random_state=0)
    test_churn = (table["churn"].iloc[test] == "yes").mean()
    assert set(report["outcomes"]) == methods
    for method in methods:
        eta = report["outcomes"][method]
        assert 0 <= eta["churn_eta2"] <= 1 and 0 <= eta["next_year_spend_eta2"] <= 1
        churn = report["outcome_by_segment"][method]["churn"]
        assert sum(s["customers"] for s in churn) == report["n_samples"]
        # The rates per segment, weighted by size, give back the test split's churn rate.
        rate = sum(s["customers"] * s["mean"] for s in churn if s["customers"])
        assert rate / report["n_samples"] == pytest.approx(test_churn)
    assert report["binary_outcomes"] == ["churn"]
    assert "churn: rate per test segment" in tested.stdout
    assert "next_year_spend: mean per test segment" in tested.stdout
    profiles = (run / "profiles.md").read_text()
    assert "Outcomes per segment" in profiles and "| churn | next_year_spend |" in profiles
    table = pd.read_csv(run / "profiles.csv", index_col="segment")
    assert {"outcome_churn", "outcome_next_year_spend"} <= set(table.columns)
