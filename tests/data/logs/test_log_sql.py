"""Purchase-log features in SQL (DuckDB) equal the pandas ones, from files, folders and
globs; bad logs are one line. Skipped where DuckDB is not installed."""

import importlib.util
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("duckdb")

from conftest import cli, one_error  # noqa: E402

from dec.data.logs.sql import log_features  # noqa: E402
from dec.data.logs.transactions import (  # noqa: E402
    clean_transactions,
    customer_features,
    holdout_outcomes,
    load_cdnow,
)
from dec.data.sources import load_dataset  # noqa: E402

COLUMNS = dict(id_column="cust", date_column="day", amount_column="usd")


def _pandas(log: pd.DataFrame, as_of: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        features = customer_features(log, as_of)
    return features, holdout_outcomes(log, as_of, features.index)


def _assert_same(sql, pandas):
    (f, o), (f_pd, o_pd) = sql, pandas
    assert list(f.columns) == list(f_pd.columns)
    assert f.index.tolist() == f_pd.index.astype(str).tolist()
    np.testing.assert_allclose(f.to_numpy(), f_pd.to_numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(o.to_numpy(), o_pd.to_numpy(), rtol=1e-9, atol=1e-9)


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow()


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_cdnow_features_equal_the_pandas_ones(cdnow, kind, tmp_path):
    raw = cdnow.rename(columns={"id": "cust", "date": "day", "amount": "usd", "quantity": "n"})
    path = tmp_path / f"log.{kind}"
    if kind == "parquet":
        raw.to_parquet(path)
    else:  # dates as CDNOW writes them, YYYYMMDD
        raw.assign(day=raw["day"].dt.strftime("%Y%m%d")).to_csv(path, index=False)
    features, outcomes, as_of, _ = log_features(
        path, **COLUMNS, quantity_column="n", as_of="1997-09-30"
    )
    assert len(features) == 23_570 and as_of == pd.Timestamp("1997-09-30")
    _assert_same((features, outcomes), _pandas(cdnow, "1997-09-30"))


def test_a_log_split_into_parts_gives_the_same_features(cdnow, tmp_path, monkeypatch):
    """A log larger than the memory limit allows is computed in parts by customer: the
    parts together are the same features, in the same order."""
    import dec.data.logs.sql as log_sql

    monkeypatch.setattr(log_sql, "ROWS_PER_GB", 10_000)  # CDNOW's 69,659 rows: 7 parts
    raw = cdnow.rename(columns={"id": "cust", "date": "day", "amount": "usd", "quantity": "n"})
    raw.to_parquet(tmp_path / "log.parquet")
    spill = tmp_path / "spill"
    spill.mkdir()
    found = log_features(
        tmp_path / "log.parquet",
        **COLUMNS,
        quantity_column="n",
        as_of="1997-09-30",
        memory_limit="1GB",
        temp_directory=spill,
    )
    _assert_same(found[:2], _pandas(cdnow, "1997-09-30"))
    assert not (spill / "dec_parts").exists()  # the parts are gone from a chosen folder


def _edge_log() -> pd.DataFrame:
    """Same-day orders, one-order customers, a refund, ids with leading zeros, times of day,
    a customer who first buys after the as-of date."""
    rows = [
        ("00042", "2024-01-01T09:00:00", 10.0),
        ("00042", "2024-01-01T09:00:00", 5.0),
        ("00042", "2024-01-11T18:30:00", 20.0),
        ("00042", "2024-02-20T00:00:00", -4.0),
        ("7", "2024-01-05T00:00:00", 3.5),
        ("00007", "2024-01-06T12:00:00", 8.0),
        ("00007", "2024-01-09T00:00:00", 1.0),
        ("00007", "2024-01-30T23:59:59", 2.0),
        ("late", "2024-03-01T00:00:00", 9.0),
    ]
    return pd.DataFrame(rows, columns=["cust", "day", "usd"])


def test_edge_cases_equal_the_pandas_ones(tmp_path):
    raw = _edge_log()
    raw.to_csv(tmp_path / "edge.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = clean_transactions(
            raw.rename(columns={"cust": "id", "day": "date", "usd": "amount"})
        )
    with pytest.warns(UserWarning) as said:
        sql = log_features(tmp_path / "edge.csv", **COLUMNS, as_of="2024-01-31")
    messages = [str(w.message) for w in said]
    assert any("1 transaction(s) have a negative amount, e.g. -4" in m for m in messages)
    assert any(
        "1 customer(s) first bought after as_of=2024-01-31 and are left out" in m for m in messages
    )
    _assert_same(sql[:2], _pandas(clean, "2024-01-31"))
    features = sql[0]
    assert {"00042", "00007", "7"} == set(features.index)  # zeros kept; "late" left out
    assert features.loc["00042", "frequency"] == 2  # the two 09:00 purchases are one order
    assert sql[1].loc["00042", "holdout_spend"] == -4.0  # a refund after the as-of date


def test_dates_with_time_zones_are_read_as_utc(tmp_path):
    raw = pd.DataFrame(
        {
            "cust": ["a", "a", "b", "b"],
            "day": [
                "2024-01-01T10:00:00Z",
                "2024-01-03T01:00:00+05:00",
                "2024-01-02",
                "2024-02-02T00:00:00-03:00",
            ],
            "usd": [1.0, 2.0, 3.0, 4.0],
        }
    )
    raw.to_csv(tmp_path / "zones.csv", index=False)
    clean = clean_transactions(raw.rename(columns={"cust": "id", "day": "date", "usd": "amount"}))
    sql = log_features(tmp_path / "zones.csv", **COLUMNS, as_of="2024-01-31")
    _assert_same(sql[:2], _pandas(clean, "2024-01-31"))
    assert sql[0].loc["a", "mean_gap_days"] == 1  # 01-01 10:00 to 01-02 20:00 UTC


def test_a_folder_and_a_glob_read_every_file(tmp_path, cdnow):
    raw = cdnow.rename(columns={"id": "cust", "date": "day", "amount": "usd"})
    folder = tmp_path / "logs"
    folder.mkdir()
    half = len(raw) // 2
    raw.iloc[:half].to_parquet(folder / "a.parquet")
    raw.iloc[half:].to_parquet(folder / "b.parquet")
    whole = log_features(folder, **COLUMNS, as_of="1997-09-30")
    globbed = log_features(folder / "*.parquet", **COLUMNS, as_of="1997-09-30")
    pd.testing.assert_frame_equal(whole[0], globbed[0])
    assert len(whole[0]) == 23_570


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_default_as_of_is_the_logs_last_date_on_both_engines(tmp_path):
    """Every customer of the log is in the features; no hold-out, so no outcomes."""
    _edge_log().to_csv(tmp_path / "edge.csv", index=False)
    features, outcomes, as_of, _ = log_features(tmp_path / "edge.csv", **COLUMNS)
    assert as_of == pd.Timestamp("2024-03-01") and outcomes is None
    assert len(features) == _edge_log()["cust"].nunique()
    pandas = load_dataset(
        str(tmp_path / "edge.csv"),
        format="transactions",
        id_column="cust",
        date_column="day",
        amount_column="usd",
    )
    assert pandas.as_of == "2024-03-01" and pandas.outcomes is None
    assert sorted(pandas.features.index) == sorted(features.index)


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda f: f.assign(day=f["day"].astype(object).where(f.index != 3, "soon")),
            "cannot read date 'soon'",
        ),
        (
            lambda f: f.assign(usd=f["usd"].astype(object).where(f.index != 2, "ten")),
            "amount value 'ten' is not a finite number",
        ),
        (lambda f: f.drop(columns=["usd"]), "has no column(s) ['usd']"),
        (
            lambda f: f.assign(day=f["day"].where(f.index != 1, "2999-01-01")),
            "1 transaction(s) are dated in the future, e.g. '2999-01-01'",
        ),
    ],
)
def test_bad_logs_are_one_line_and_write_nothing(edit, message, tmp_path, capsys):
    edit(_edge_log()).to_csv(tmp_path / "bad.csv", index=False)
    code, err = cli(
        "features",
        "--transactions",
        str(tmp_path / "bad.csv"),
        "--id-column",
        "cust",
        "--date-column",
        "day",
        "--amount-column",
        "usd",
        "--output",
        str(tmp_path / "f.parquet"),
        capsys=capsys,
    )
    assert code == 2 and one_error(err, message), err
    assert not (tmp_path / "f.parquet").exists()


def test_a_memory_limit_that_is_not_a_size_is_one_line(tmp_path, capsys):
    _edge_log().to_csv(tmp_path / "edge.csv", index=False)
    code, err = cli(
        "features",
        "--transactions",
        str(tmp_path / "edge.csv"),
        "--id-column",
        "cust",
        "--date-column",
        "day",
        "--amount-column",
        "usd",
        "--memory-limit",
        "lots",
        "--output",
        str(tmp_path / "f.parquet"),
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "memory limit 'lots' is not a size"), err
    assert not (tmp_path / "f.parquet").exists()


def test_running_out_of_memory_is_one_line_and_writes_nothing(cdnow, tmp_path, capsys):
    cdnow.to_parquet(tmp_path / "log.parquet")
    code, err = cli(
        "features",
        "--transactions",
        str(tmp_path / "log.parquet"),
        "--id-column",
        "id",
        "--date-column",
        "date",
        "--amount-column",
        "amount",
        "--memory-limit",
        "2MB",
        "--output",
        str(tmp_path / "f.csv"),
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "DuckDB ran out of memory within its limit of 2MB"), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.parquet"]


def test_features_command_writes_features_and_outcomes(tmp_path, capsys):
    _edge_log().to_csv(tmp_path / "edge.csv", index=False)
    out = tmp_path / "features.parquet"
    code, err = cli(
        "features",
        "--transactions",
        str(tmp_path / "edge.csv"),
        "--id-column",
        "cust",
        "--date-column",
        "day",
        "--amount-column",
        "usd",
        "--as-of",
        "2024-01-31",
        "--output",
        str(out),
        capsys=capsys,
    )
    assert code == 0, err
    table = pd.read_parquet(out)
    assert list(table.columns)[0] == "id" and "00042" in set(table["id"])
    assert {"frequency", "recency_days", "holdout_spend", "holdout_active"} <= set(table.columns)
    # Written over its own log: refused before any work.
    code, err = cli(
        "features",
        "--transactions",
        str(out),
        "--id-column",
        "cust",
        "--date-column",
        "day",
        "--amount-column",
        "usd",
        "--output",
        str(out),
        capsys=capsys,
    )
    assert code == 2 and "is the input file" in err
    # ... nor over one of the files a glob or a folder reads.
    _edge_log().to_parquet(tmp_path / "b.parquet")
    before = (tmp_path / "b.parquet").read_bytes()
    for source in (str(tmp_path / "*.parquet"), str(tmp_path)):
        code, err = cli(
            "features",
            "--transactions",
            source,
            "--id-column",
            "cust",
            "--date-column",
            "day",
            "--amount-column",
            "usd",
            "--output",
            str(tmp_path / "b.parquet"),
            capsys=capsys,
        )
        assert code == 2 and one_error(err, "it reads; the next read"), err
    assert (tmp_path / "b.parquet").read_bytes() == before


def test_training_reads_a_log_with_duckdb_and_test_py_evaluates_it(tmp_path, capsys):
    """``--log-engine duckdb``: train on a folder of Parquet files, evaluate with test.py
    (the run's fingerprint is of the DuckDB features, read the same way again)."""
    from conftest import SMOKE, write_small_log

    log = pd.read_csv(write_small_log(tmp_path), dtype={"cust": str})
    folder = tmp_path / "logs"
    folder.mkdir()
    log.iloc[:1500].to_parquet(folder / "part1.parquet")
    log.iloc[1500:].to_parquet(folder / "part2.parquet")
    run = tmp_path / "run"
    code, err = cli(
        "train",
        "--config",
        str(SMOKE),
        "--transactions",
        str(folder),
        "--id-column",
        "cust",
        "--date-column",
        "date",
        "--amount-column",
        "value",
        "--as-of",
        "1997-09-30",
        "--log-engine",
        "duckdb",
        "--output-dir",
        str(run),
        capsys=capsys,
    )
    assert code == 0, err
    assert "read by DuckDB" in err
    code, err = cli("test", "--run", str(run), "--no-profiles", capsys=capsys)
    assert code == 0, err
    import json

    report = json.loads((run / "test_report.json").read_text())
    assert "holdout_spend_eta2" in report["outcomes"]["dec"]
    if importlib.util.find_spec("pymc_marketing"):  # the value models' hold-back reread by DuckDB
        code, err = cli("test", "--run", str(run), "--no-profiles", "--clv", capsys=capsys)
        assert code == 0, err
        choice = json.loads((run / "value_model.json").read_text())["choice"]
        assert choice["held_back_weeks"] == 13 and choice["model"] in ("bg_nbd", "pareto_nbd")
        assert choice["observed"] > 0
    # predict --transactions reads a log with the run's engine: a glob of the same files at
    # the same date gives exactly the segments export gives the run's own customers.
    code, err = cli(
        "export", "--run", str(run), "--output", str(tmp_path / "own.csv"), capsys=capsys
    )
    assert code == 0, err
    code, err = cli(
        "predict",
        "--run",
        str(run),
        "--transactions",
        str(folder / "*.parquet"),
        "--as-of",
        "1997-09-30",
        "--output",
        str(tmp_path / "scored.csv"),
        capsys=capsys,
    )
    assert code == 0, err
    own = pd.read_csv(tmp_path / "own.csv", dtype={"id": str}).set_index("id")
    scored = pd.read_csv(tmp_path / "scored.csv", dtype={"id": str}).set_index("id")
    assert scored.index.tolist() == own.index.tolist()
    assert (scored["segment"] == own["segment"]).all()
    # ... and never writes over one of the files a glob reads.
    import shutil

    new = shutil.copytree(folder, tmp_path / "new")
    before = (new / "part2.parquet").read_bytes()
    code, err = cli(
        "predict",
        "--run",
        str(run),
        "--transactions",
        str(new / "*.parquet"),
        "--output",
        str(new / "part2.parquet"),
        capsys=capsys,
    )
    assert code != 0 and "the purchase log being scored" in err
    assert (new / "part2.parquet").read_bytes() == before
    # migrate neither: its movers would become a part of the folder it reads.
    code, err = cli(
        "migrate", "--run", run, "--transactions", new, "--as-of", "2020-03-01",
        "--as-of", "2020-06-01", "--output", new / "movers.csv", capsys=capsys,
    )  # fmt: skip
    assert code == 2 and one_error(err, "it reads; the next read"), err
    assert not (new / "movers.csv").exists()


def test_generated_logs_for_the_scale_benchmark(tmp_path):
    from benchmarks.harness.log_scale import write_log

    customers = write_log(1_000, tmp_path / "log.parquet", chunk=300)
    log = pd.read_parquet(tmp_path / "log.parquet")
    assert len(log) == 1_000 and customers == 1_000 // 38
    assert log["cust"].str.len().eq(8).all() and log["usd"].gt(0).all()
    features, _, _, _ = log_features(tmp_path / "log.parquet", **COLUMNS, as_of="2023-06-30")
    assert 0 < len(features) <= customers


def test_a_duckdb_dataset_knows_how_long_its_hold_out_is(tmp_path, cdnow):
    from dec.data.logs.sql import log_dataset

    raw = cdnow.rename(columns={"id": "cust", "date": "day", "amount": "usd"})
    raw.to_parquet(tmp_path / "log.parquet")
    dataset = log_dataset(tmp_path / "log.parquet", as_of="1997-09-30", **COLUMNS)
    assert dataset.holdout_weeks == pytest.approx(39.0)  # to 1998-06-30, as pandas says
    assert dataset.as_of == "1997-09-30"
