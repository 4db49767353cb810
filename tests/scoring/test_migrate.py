"""Segment migration between two snapshots, and scoring a purchase log."""

import pandas as pd
import pytest
from conftest import SMOKE, run_script, write_small_log

from dec.scoring.migrate import GONE, NEW, biggest_move, movers, row_shares, transition_counts


@pytest.fixture
def snapshots():
    before = pd.Series({"a": 0, "b": 0, "c": 1, "d": 2})
    after = pd.Series({"a": 0, "b": 1, "c": 1, "e": 2})
    return before, after


def test_transition_counts_by_hand(snapshots):
    counts = transition_counts(*snapshots, n_clusters=3)
    assert list(counts.index) == ["0", "1", "2", NEW]
    assert list(counts.columns) == ["0", "1", "2", GONE]
    expected = [
        [1, 1, 0, 0],  # a stays in 0, b moves to 1
        [0, 1, 0, 0],  # c stays in 1
        [0, 0, 0, 1],  # d is gone
        [0, 0, 1, 0],
    ]  # e is new, in 2
    assert counts.to_numpy().tolist() == expected
    assert counts.to_numpy().sum() == 5  # everyone seen at either snapshot, once
    assert row_shares(counts).loc["0"].tolist() == [0.5, 0.5, 0.0, 0.0]
    assert row_shares(counts).loc["1"].tolist() == [0.0, 1.0, 0.0, 0.0]


def test_movers_are_the_changed_customers_including_new_and_gone(snapshots):
    moved = movers(*snapshots).sort_values("id")
    assert moved.to_dict("list") == {
        "id": ["b", "d", "e"],
        "from": ["0", "2", NEW],
        "to": ["1", GONE, "2"],
    }


def test_biggest_move_names_the_flow_and_its_share(snapshots):
    counts = transition_counts(*snapshots, n_clusters=3)
    sentence = biggest_move(counts, ["Loyal", "At Risk", "New"])
    assert sentence == (
        "The biggest move: 1 of the 2 customers in segment 0 (Loyal) (50%) "
        "moved to segment 1 (At Risk). 1 customers are new and 1 are gone."
    )


@pytest.fixture(scope="module")
def log_run(tmp_path_factory):
    """A run trained on a small purchase log (the first 3,000 rows of CDNOW, renamed)."""
    folder = tmp_path_factory.mktemp("log_run")
    write_small_log(folder)
    trained = run_script(
        "train.py",
        "--config",
        str(SMOKE),
        "--transactions",
        "log.csv",
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
        str(folder / "run"),
        cwd=folder,
    )
    assert trained.returncode == 0, trained.stderr
    return folder


@pytest.mark.slow
def test_predict_and_export_score_a_purchase_log(log_run):
    out = log_run / "segments.parquet"
    result = run_script(
        "predict.py",
        "--run",
        str(log_run / "run"),
        "--transactions",
        str(log_run / "log.csv"),
        "--as-of",
        "1997-06-30",
        "--output",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    scored = pd.read_parquet(out)
    log = pd.read_csv(log_run / "log.csv", dtype={"cust": str, "date": str})
    first_seen = log[log["date"] <= "19970630"]["cust"]
    assert sorted(scored["id"]) == sorted(first_seen.unique())  # ids keep their zeros
    assert scored["segment"].between(0, 4).all()
    exported = run_script(
        "export.py",
        "--run",
        str(log_run / "run"),
        "--as-of",
        "1997-06-30",
        "--output",
        str(log_run / "all.csv"),
    )
    assert exported.returncode == 0, exported.stderr
    assert len(pd.read_csv(log_run / "all.csv")) == len(scored)  # the run's own log


@pytest.mark.slow
def test_migrate_between_two_dates_of_a_log(log_run):
    out = log_run / "movers.csv"
    result = run_script(
        "migrate.py",
        "--run",
        str(log_run / "run"),
        "--transactions",
        str(log_run / "log.csv"),
        "--as-of",
        "1997-02-15",
        "--as-of",
        "1997-09-30",
        "--output",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    counts = pd.read_csv(log_run / "movers.transitions.csv", index_col="from")
    log = pd.read_csv(log_run / "log.csv", dtype={"cust": str, "date": str})
    customers = log[log["date"] <= "19970930"]["cust"].nunique()
    early = log[log["date"] <= "19970215"]["cust"].nunique()
    # Customers who first bought between the snapshots are new, never dropped.
    assert counts.to_numpy().sum() == customers
    assert counts.loc[NEW].sum() == customers - early > 0
    assert counts[GONE].sum() == 0  # the features at 09-30 include everyone seen at 02-15
    moved = pd.read_csv(out, dtype=str)
    assert (moved["from"] != moved["to"]).all()
    assert (moved["from"] == NEW).sum() == customers - early
    assert (log_run / "movers.transitions.png").stat().st_size > 0
    assert "biggest move" in (log_run / "movers.transitions.md").read_text()


@pytest.mark.slow
def test_migrate_between_two_tables_by_id(smoke_run, tmp_path):
    from dec.data import load_dataset

    features = load_dataset("synthetic", n_samples=600).features.reset_index()
    first, second = features.iloc[:400].copy(), features.iloc[100:500].copy()
    second["orders"] = second["orders"] * 3  # behaviour changed: some will move
    first.to_csv(tmp_path / "q1.csv", index=False)
    second.to_csv(tmp_path / "q2.csv", index=False)
    result = run_script(
        "migrate.py",
        "--run",
        str(smoke_run),
        "--data",
        str(tmp_path / "q1.csv"),
        "--data",
        str(tmp_path / "q2.csv"),
        "--id-column",
        "customer_id",
        "--output",
        str(tmp_path / "movers.parquet"),
    )
    assert result.returncode == 0, result.stderr
    counts = pd.read_csv(tmp_path / "movers.transitions.csv", index_col="from")
    assert counts.to_numpy().sum() == 500
    assert counts.loc[NEW].sum() == 100 and counts[GONE].sum() == 100


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        (["--as-of", "1997-02-15"], "give two snapshots"),
        (["--as-of", "1997-02-15", "--data", "x.csv"], "give two snapshots"),
        (["--as-of", "1997-02-15", "--as-of", "soon"], "'soon' is not a date"),
    ],
)
def test_migrate_refuses_bad_snapshots_in_one_line(log_run, args, message):
    result = run_script(
        "migrate.py", "--run", str(log_run / "run"), *args, "--output", str(log_run / "bad.csv")
    )
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (log_run / "bad.csv").exists()


@pytest.mark.slow
def test_migrating_tables_needs_ids(smoke_run, tmp_path):
    from dec.data import load_dataset

    features = load_dataset("synthetic", n_samples=600).features
    features.to_csv(tmp_path / "t.csv", index=False)
    result = run_script(
        "migrate.py",
        "--run",
        str(smoke_run),
        "--data",
        str(tmp_path / "t.csv"),
        "--data",
        str(tmp_path / "t.csv"),
        "--output",
        str(tmp_path / "m.csv"),
    )
    assert result.returncode == 2 and "no id column" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        (["--id-column", "c"], "has no column(s) ['date', 'value', 'number_of_cds']"),
        (
            ["--id-column", "c", "--date-column", "d", "--amount-column", "v"],
            "has no column(s) ['number_of_cds']",
        ),
    ],
)
def test_scoring_a_log_names_the_missing_columns(log_run, tmp_path, args, message):
    log = pd.read_csv(log_run / "log.csv", dtype=str)
    log.set_axis(["c", "d", "n", "v"], axis=1).to_csv(tmp_path / "orders.csv", index=False)
    result = run_script(
        "predict.py",
        "--run",
        str(log_run / "run"),
        "--transactions",
        str(tmp_path / "orders.csv"),
        *args,
        "--output",
        str(tmp_path / "s.csv"),
    )
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.slow
def test_a_run_trained_on_a_table_refuses_a_log(smoke_run, log_run, tmp_path):
    result = run_script(
        "predict.py",
        "--run",
        str(smoke_run),
        "--transactions",
        str(log_run / "log.csv"),
        "--output",
        str(tmp_path / "s.csv"),
    )
    assert result.returncode == 2
    assert "trained on a customer table, not a transaction log" in result.stderr
    assert not (tmp_path / "s.csv").exists()


def test_a_cdnow_run_reads_a_log_with_cdnows_column_names(log_run, tmp_path):
    from dec import DeepEmbeddedClustering
    from dec.errors import DataError
    from dec.scoring.export import log_customers

    model = DeepEmbeddedClustering.load(log_run / "run")
    d = model.config_.data  # as if trained on the built-in CDNOW
    d.source, d.id_column, d.date_column, d.amount_column, d.quantity_column = (
        "cdnow",
        None,
        None,
        None,
        None,
    )
    log = pd.read_csv(log_run / "log.csv", dtype=str)
    log.rename(columns={"cust": "customer_id", "value": "dollar_value"}).to_csv(
        tmp_path / "orders.csv", index=False
    )
    features = log_customers(model, tmp_path / "orders.csv", as_of="1997-06-30")
    assert features.index[0].startswith("0") and len(features) > 0  # ids are text
    with pytest.raises(DataError, match=r"has no column\(s\) \['customer_id', 'dollar_value'\]"):
        log_customers(model, log_run / "log.csv")


def test_value_moved_sums_each_movers_clv_by_cell():
    from dec.scoring.migrate import transition_value, value_moved

    before = pd.Series([0, 0, 1], index=["a", "b", "c"])
    after = pd.Series([0, 1, 1, 0], index=["a", "b", "c", "d"])
    worth = pd.Series([1.0, 2.0, 4.0, 8.0], index=["a", "b", "c", "d"])
    table = transition_value(before, after, worth, 2)
    assert table.loc["0", "0"] == 1.0 and table.loc["0", "1"] == 2.0
    assert table.loc["1", "1"] == 4.0 and table.loc["new", "0"] == 8.0
    assert table.to_numpy().sum() == 15.0
    text = "\n".join(value_moved(table, ["low", "high"]))
    assert "from segment 0 (low) to segment 1 (high): 2, 13.3%" in text
