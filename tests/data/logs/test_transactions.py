import gzip
import hashlib

import pandas as pd
import pytest
from conftest import ROOT, SMOKE, run_script

from dec.data import load_dataset
from dec.data.logs.transactions import clean_transactions, customer_features, holdout_outcomes
from dec.errors import DataError
from dec.utils.resources import cdnow_path


@pytest.fixture
def log():
    return clean_transactions(
        pd.DataFrame(
            {
                "id": ["a", "a", "a", "b", "a", "c"],
                "date": ["20240101", "20240111", "20240111", "20240105", "20240301", "20240310"],
                "amount": [10.0, 20.0, 5.0, 100.0, 50.0, 7.0],
                "quantity": [1, 2, 1, 4, 3, 1],
            }
        )
    )


def test_features_by_hand(log):
    f = customer_features(log, "2024-01-31")
    assert list(f.index) == ["a", "b"]  # c only buys after as_of
    a = f.loc["a"]
    # orders: Jan 1 ($10, 1 item) and Jan 11 ($20 + $5 on one day = $25, 3 items)
    assert a["frequency"] == 2 and a["total_spend"] == 35.0
    assert a["avg_order_value"] == 17.5 and a["max_order_value"] == 25.0
    assert a["first_order_value"] == 10.0 and a["items_per_order"] == 2.0
    assert a["recency_days"] == 20 and a["tenure_days"] == 30
    assert a["mean_gap_days"] == 10 and a["gap_std_days"] == 0
    b = f.loc["b"]  # one order: the gap is at least its tenure
    assert b["frequency"] == 1 and b["mean_gap_days"] == b["tenure_days"] == 26


def test_outcomes_after_as_of(log):
    f = customer_features(log, "2024-01-31")
    o = holdout_outcomes(log, "2024-01-31", f.index)
    assert o.loc["a"].tolist() == [50.0, 1.0] and o.loc["b"].tolist() == [0.0, 0.0]


def test_bad_dates_and_amounts_are_named():
    with pytest.raises(DataError, match="cannot read date 'yesterday'"):
        clean_transactions(pd.DataFrame({"id": [1], "date": ["yesterday"], "amount": [1.0]}))
    with pytest.raises(DataError, match="1 transaction.s. are dated in the future, e.g. '2999"):
        clean_transactions(
            pd.DataFrame({"id": [1, 2], "date": ["2024-01-01", "2999-01-01"], "amount": [1.0, 2.0]})
        )
    with pytest.raises(DataError, match="amount value 'ten'"):
        clean_transactions(pd.DataFrame({"id": [1], "date": ["2024-01-01"], "amount": ["ten"]}))
    with pytest.raises(DataError, match="choose a later --as-of"):
        customer_features(
            clean_transactions(pd.DataFrame({"id": [1], "date": ["2024-01-01"], "amount": [1.0]})),
            "2023-01-01",
        )


def test_shipped_cdnow_is_the_documented_file():
    digest = hashlib.sha256(gzip.open(cdnow_path()).read()).hexdigest()
    assert digest == "eff6889ed364c5199d6eacbbeb7a6d559971df4406ac876f322c373f00a072ef"
    ds = load_dataset("cdnow")
    assert ds.features.shape[0] == 23570 and ds.labels is None
    assert list(ds.outcomes.columns) == ["holdout_spend", "holdout_active"]
    assert ds.outcomes["holdout_active"].mean() == pytest.approx(0.30, abs=0.01)


@pytest.mark.slow
def test_transactions_flag_end_to_end(tmp_path):
    raw = pd.read_csv(cdnow_path(), sep=r"\s+", dtype={"customer_id": str, "date": str}).head(3000)
    raw.rename(columns={"customer_id": "cust", "dollar_value": "value"}).to_csv(
        tmp_path / "log.csv", index=False
    )
    run_dir = tmp_path / "run"
    trained = run_script(
        "train.py",
        "--config",
        str(SMOKE),
        "--transactions",
        "log.csv",
        "--id-col",
        "cust",
        "--date-col",
        "date",
        "--amount-col",
        "value",
        "--quantity-col",
        "number_of_cds",
        "--as-of",
        "1997-09-30",
        "--output-dir",
        str(run_dir),
        cwd=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    tested = run_script("test.py", "--run", str(run_dir), "--no-profiles")
    assert tested.returncode == 0, tested.stderr
    import json

    report = json.loads((run_dir / "test_report.json").read_text())
    assert set(report["outcomes"]) == {"dec", "kmeans", "gmm", "ae_kmeans"}
    assert set(report["outcomes"]["dec"]) == {"holdout_spend_eta2", "holdout_active_eta2"}
    assert "holdout_spend_eta2" in tested.stdout


@pytest.mark.slow
def test_transactions_need_their_columns(tmp_path):
    result = run_script(
        "train.py",
        "--config",
        str(SMOKE),
        "--transactions",
        str(ROOT / "data" / "cdnow" / "CDNOW_master.txt.gz"),
        "--output-dir",
        str(tmp_path / "run"),
    )
    assert (
        result.returncode == 2 and "--id-column, --date-column and --amount-column" in result.stderr
    )


def test_customers_first_seen_after_as_of_are_counted_in_a_warning():
    log = clean_transactions(
        pd.DataFrame(
            {
                "id": [1, 1, 2, 3],
                "date": ["2024-01-01", "2024-03-01", "2024-02-01", "2024-05-01"],
                "amount": [1.0, 2.0, 3.0, 4.0],
            }
        )
    )
    with pytest.warns(UserWarning, match="1 customer.s. first bought after as_of=2024-04-01"):
        features = customer_features(log, "2024-04-01")
    assert sorted(features.index) == ["1", "2"]
