import numpy as np
import pandas as pd
import pytest
from conftest import run_script

from dec.segments.profiles import profiles_markdown, segment_profiles
from dec.segments.rfm import find_rfm_columns, rfm_name, rfm_score


@pytest.mark.parametrize(
    "r, f, m, tenure, name",
    [
        (5, 5, 5, None, "Champions"),
        (3, 4, 4, None, "Loyal"),
        (5, 1, 1, None, "New"),
        (5, 2, 2, 1, "New"),  # recently acquired, second order already
        (5, 2, 3, 3, "Potential Loyalists"),
        (2, 4, 5, None, "At Risk"),
        (1, 5, 5, None, "Can't Lose"),
        (2, 3, 3, None, "At Risk"),
        (2, 2, 1, None, "Hibernating"),
        (1, 1, 2, None, "Lost"),
    ],
)
def test_rfm_names(r, f, m, tenure, name):
    assert rfm_name(r, f, m, tenure) == name


def test_rfm_score_by_hand():
    values = pd.Series(np.arange(100.0))
    assert rfm_score(values, 10.0) == 1  # 10 % of customers below -> first quintile
    assert rfm_score(values, 90.0) == 5  # 90 % below -> fifth
    assert rfm_score(values, 10.0, reverse=True) == 5  # low recency is good


def test_find_rfm_columns():
    cols = ["age", "recency_days", "orders", "total_spend"]
    assert find_rfm_columns(cols) == {
        "recency": "recency_days",
        "frequency": "orders",
        "monetary": "total_spend",
    }
    assert find_rfm_columns(["age", "income"]) is None


def test_profiles_by_hand():
    features = pd.DataFrame(
        {"spend": [10.0, 30.0, 100.0, 140.0], "channel": ["app", "app", "web", "web"]}
    )
    table = segment_profiles(features, np.array([0, 0, 1, 1]))
    assert list(table["size"]) == [2, 2] and list(table["share"]) == [0.5, 0.5]
    assert table.loc[0, "mean_spend"] == 20.0 and table.loc[1, "median_spend"] == 120.0
    assert table.loc[0, "lift_spend"] == pytest.approx(20.0 / 70.0)
    # channel=web is 2x as common (log2 lift 1.0); spend is 0.95 std above the mean
    assert table.loc[1, "distinguishing"] == "more channel=web; high spend"
    assert table.loc[1, "name"] == "more channel=web, high spend"  # no RFM: named by traits
    assert "| 1 | more channel=web, high spend | 2 | 50.0% |" in profiles_markdown(table)


def test_repeated_names_are_told_apart():
    rng = np.random.default_rng(0)
    n = 400
    features = pd.DataFrame(
        {
            "recency_days": rng.uniform(0, 10, n),
            "orders": rng.uniform(50, 60, n),
            "total_spend": rng.uniform(500, 600, n),
            "age": rng.normal(40, 5, n),
        }
    )
    features.loc[:199, "age"] += 30
    features = pd.concat(
        [
            features,
            pd.DataFrame(
                {
                    "recency_days": [300.0] * 50,
                    "orders": [1.0] * 50,
                    "total_spend": [5.0] * 50,
                    "age": [40.0] * 50,
                }
            ),
        ],
        ignore_index=True,
    )
    segments = np.r_[np.zeros(200, int), np.ones(200, int), np.full(50, 2)]
    names = segment_profiles(features, segments)["name"].tolist()
    assert len(set(names)) == 3


def test_test_script_writes_profiles_plots_and_tensorboard_figures(smoke_run):
    result = run_script("test.py", "--run", str(smoke_run))
    assert result.returncode == 0, result.stderr
    for name in (
        "profiles.md",
        "profiles.csv",
        "segment_sizes.png",
        "segment_heatmap.png",
        "embedding_projection.png",
        "confusion_matrix.png",
    ):
        assert (smoke_run / name).stat().st_size > 0, name
    assert (smoke_run / "segment_sizes.png").read_bytes()[:4] == b"\x89PNG"
    profiles = pd.read_csv(smoke_run / "profiles.csv", index_col="segment")
    assert profiles["size"].sum() == 600 and "rfm" in profiles.columns
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(smoke_run / "tensorboard" / "evaluation"))
    acc.Reload()
    assert "segments/segment_heatmap" in acc.Tags()["images"]


@pytest.mark.slow
def test_profiles_script(smoke_run):
    result = run_script("profiles.py", "--run", str(smoke_run))
    assert result.returncode == 0, result.stderr
    assert "# Segment profiles" in result.stdout


@pytest.mark.parametrize(
    "columns, expected",
    [
        (
            ["orders", "total_spend", "days_since_last_order"],
            ("days_since_last_order", "orders", "total_spend"),
        ),
        (["n_purchases", "revenue", "recency"], ("recency", "n_purchases", "revenue")),
        (
            ["num_transactions", "total_amount", "days_since_last_purchase", "days_since_first"],
            ("days_since_last_purchase", "num_transactions", "total_amount"),
        ),
        (
            ["order_count", "lifetime_value", "last_order_days"],
            ("last_order_days", "order_count", "lifetime_value"),
        ),
    ],
)
def test_usual_rfm_spellings_are_found(columns, expected):
    found = find_rfm_columns(columns)
    assert (found["recency"], found["frequency"], found["monetary"]) == expected


def test_rfm_columns_named_by_the_user_win_and_are_not_reused():
    columns = ["visits", "basket", "idle", "orders", "total_spend", "recency"]
    given = {"recency": "idle", "frequency": "visits", "monetary": "basket"}
    assert find_rfm_columns(columns, given) == given
    # One role given, the others found by name among the rest.
    assert find_rfm_columns(["a", "orders", "total_spend"], {"recency": "a"}) == {
        "recency": "a",
        "frequency": "orders",
        "monetary": "total_spend",
    }
    assert find_rfm_columns(["a", "b", "c"], {"recency": "a"}) is None


def test_rfm_flags_name_profiles_and_bad_names_are_one_line(tmp_path, capsys):
    """--recency-column and siblings give RFM names to a table whose names say nothing; a
    missing or non-numeric column is refused in one line before training."""
    import pandas as pd
    from conftest import cli, one_error

    from dec.data.synthetic import make_customers

    frame = make_customers(400, random_state=0)[0].rename(
        columns={"recency_days": "idle", "orders": "visits", "total_spend": "basket"}
    )
    frame["joined"] = "2020-01-01"
    path = tmp_path / "shop.csv"
    frame.to_csv(path, index_label="customer_id")
    common = ["--data", str(path), "--id-column", "customer_id", "--config", "configs/smoke.yaml"]
    code, err = cli(
        "train",
        *common,
        "--output-dir",
        str(tmp_path / "bad"),
        "--recency-column",
        "idel",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "--recency-column 'idel' is not a feature column")
    code, err = cli(
        "train",
        *common,
        "--output-dir",
        str(tmp_path / "bad"),
        "--recency-column",
        "joined",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "--recency-column 'joined' holds text or dates")
    assert not (tmp_path / "bad" / "model.pt").exists()
    run = tmp_path / "run"
    code, err = cli(
        "train",
        *common,
        "--output-dir",
        str(run),
        "--recency-column",
        "idle",
        "--frequency-column",
        "visits",
        "--monetary-column",
        "basket",
        "--drop-columns",
        "joined",
        capsys=capsys,
    )
    assert code == 0, err
    code, err = cli("profiles", "--run", str(run), capsys=capsys)
    assert code == 0, err
    table = pd.read_csv(run / "profiles.csv")
    assert table["rfm"].str.match(r"R\d F\d M\d").all()


def test_typical_values_are_medians_against_the_median_customer():
    """The RFM scores rank medians, so the typical-values table shows each segment's
    median against all customers' median: a Champions segment reads above 1× on spend."""
    features = pd.DataFrame({"total_spend": [10.0, 20, 30, 40, 1000, 2000]})
    table = segment_profiles(features, np.array([0, 0, 0, 1, 1, 1]))
    assert table.loc[1, "ratio_total_spend"] == pytest.approx(1000 / 35)
    assert table.loc[0, "ratio_total_spend"] == pytest.approx(20 / 35)
    text = profiles_markdown(table)
    assert "Median of each feature, and in brackets its ratio to the median customer's" in text
    assert "1,000 (28.57×)" in text and "| 20 (0.57×)" in text


def test_profiles_name_the_most_valuable_segment_from_the_reports_value():
    from dec.segments.profiles import add_value

    features = pd.DataFrame({"spend": [1.0, 2.0, 30.0, 40.0]})
    table = segment_profiles(features, np.array([0, 0, 1, 1]))
    assert add_value(table, {}) is table  # no --clv: nothing added
    report = {
        "value": {
            "segments": [
                {"segment": 0, "clv_mean": 5.0, "clv_share": 0.2},
                {"segment": 1, "clv_mean": 40.0, "clv_share": 0.8},
            ]
        }
    }
    valued = add_value(table, report)
    assert valued["clv_share"].tolist() == [0.2, 0.8]
    name = valued.loc[1, "name"]
    assert (
        f"Most valuable segment: 1 {name}, 80.0% of the test customers' predicted value "
        "(mean CLV 40;" in profiles_markdown(valued)
    )


def test_what_sets_a_segment_apart_says_it_reads_means_beside_the_typical_medians():
    from dec.segments.profiles import APART, MEDIANS_NOTE

    features = pd.DataFrame(
        {"orders": [1, 1, 1, 9, 1, 1, 2, 2], "spend": [5, 6, 5, 7, 50, 60, 55, 58]}
    )
    table = segment_profiles(features, np.array([0, 0, 0, 0, 1, 1, 1, 1]))
    text = profiles_markdown(table)
    assert f"| {APART} |" in text and "(means)" in APART
    assert "segment mean lies furthest from all customers' mean" in text
    assert "The typical values are medians" in text and MEDIANS_NOTE in text
    # Here the two statistics disagree, which is why both are named: segment 0's orders
    # are high by their mean (one customer with 9) and typical by their median (1).
    assert "high orders" in table.loc[0, "distinguishing"]
    assert table.loc[0, "median_orders"] == 1 == features["orders"].median()
