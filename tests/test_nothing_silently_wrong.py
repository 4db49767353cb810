"""Paths that once finished with exit 0 and a wrong answer (issue "Nothing silently
wrong"): each numbered case is a test here, named after it."""

import json
import re
import threading

import numpy as np
import pandas as pd
import pytest
from conftest import SMOKE, cli, one_error

from dec.config import load_config, replace
from dec.data.logs.sql import log_features
from dec.data.sources import load_dataset
from dec.training.pipeline import fit

FAST = ["pretrain.epochs=1", "refine.epochs=1"]
LOG = ["--id-column", "cust", "--date-column", "day", "--amount-column", "usd"]
COLUMNS = dict(id_column="cust", date_column="day", amount_column="usd")


def purchase_log(customers: int = 120, rows: int = 1500, seed: int = 0) -> pd.DataFrame:
    """Purchases over 2023, customers arriving through the year (ids with zeros)."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, customers, rows)
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(ids * 300 // customers, unit="D")
    days = start + pd.to_timedelta(rng.integers(0, 60, rows), unit="D")
    return pd.DataFrame(
        {
            "cust": [f"C{i:04d}" for i in ids],
            "day": days.strftime("%Y-%m-%d"),
            "usd": rng.gamma(2.0, 20.0, rows).round(2),
        }
    )


def table(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "spend": rng.gamma(2.0, 10.0, n),
            "channel": rng.choice(["web", "app", "shop"], n),
        }
    )


def train(tmp_path, source, *overrides):
    return fit(
        replace(
            load_config(SMOKE), [*FAST, "model.n_clusters=3", f"data.source={source}", *overrides]
        ),
        tmp_path / "run",
    )


def learned(tmp_path) -> list[str]:
    state = json.loads((tmp_path / "run" / "preprocessor.json").read_text())
    return [column["name"] for column in state["columns"]]


# ------------------------------------------------------------- 1. future leakage
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_1_a_features_file_trains_without_its_id_and_its_outcomes(tmp_path, capsys, suffix):
    purchase_log().to_csv(tmp_path / "log.csv", index=False)
    out = tmp_path / f"f{suffix}"
    code, err = cli(
        "features",
        "--transactions",
        tmp_path / "log.csv",
        *LOG,
        "--as-of",
        "2023-09-01",
        "--output",
        out,
        capsys=capsys,
    )
    assert code == 0, err
    result = train(tmp_path, out)
    features = learned(tmp_path)
    assert "id" not in features and not any(f.startswith("holdout_") for f in features)
    assert {"frequency", "recency_days", "total_spend"} <= set(features)
    # The run records what it found, so every later read takes the same columns.
    d = result.config.data
    assert d.id_column == "id"
    assert set(d.outcome_columns) == {"holdout_spend", "holdout_active"}
    assert load_dataset(str(out)).features.index[0].startswith("C")


def test_1_the_parquet_file_declares_its_roles(tmp_path, capsys):
    from dec.data.roles import file_roles

    purchase_log().to_csv(tmp_path / "log.csv", index=False)
    cli(
        "features",
        "--transactions",
        tmp_path / "log.csv",
        *LOG,
        "--as-of",
        "2023-09-01",
        "--output",
        tmp_path / "f.parquet",
        capsys=capsys,
    )
    assert file_roles(tmp_path / "f.parquet") == {
        "id_column": "id",
        "outcome_columns": ["holdout_spend", "holdout_active"],
    }


def test_1_a_holdout_column_is_never_a_feature(tmp_path):
    frame = table().assign(holdout_orders=np.arange(200) % 3)
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.warns(UserWarning, match="holdout_orders is an outcome"):
        dataset = load_dataset(str(tmp_path / "t.csv"))
    assert "holdout_orders" not in dataset.features
    assert list(dataset.outcomes.columns) == ["holdout_orders"]
    # However it reaches training (a DataFrame given to the estimator), it is refused.
    from dec import DeepEmbeddedClustering
    from dec.errors import DataError

    with pytest.raises(DataError, match="'holdout_orders' is an outcome"):
        DeepEmbeddedClustering(n_clusters=3, pretrain_epochs=1, refine_epochs=1).fit(frame)


# ------------------------------------------------------------- 2. ids as features
@pytest.mark.parametrize(
    "column, ids",
    [
        ("customer_id", [f"{i:05d}" for i in range(200)]),  # unique text, zeros kept
        ("CustomerID", list(range(10_000, 10_200))),  # unique integers, by name
    ],
)
def test_2_an_id_column_becomes_the_id_with_one_line(tmp_path, column, ids):
    table().assign(**{column: ids}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.warns(
        UserWarning, match=f"column '{column}' is unique per row and looks like an id"
    ):
        dataset = load_dataset(str(tmp_path / "t.csv"))
    assert column not in dataset.features and dataset.features.index.name == column
    assert list(dataset.features.index[:2]) == [str(i) for i in ids[:2]]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_2_training_on_a_table_with_an_id_never_learns_it(tmp_path):
    table().assign(CustomerID=range(10_000, 10_200)).to_csv(tmp_path / "t.csv", index=False)
    result = train(tmp_path, tmp_path / "t.csv")
    assert "CustomerID" not in learned(tmp_path)
    assert result.config.data.id_column == "CustomerID"


def test_2_two_id_like_columns_stop_with_one_line(tmp_path, capsys):
    table().assign(CustomerID=range(200)).to_csv(tmp_path / "t.csv")  # + "Unnamed: 0"
    code, err = cli(
        "train",
        "--config",
        SMOKE,
        "--data",
        tmp_path / "t.csv",
        "--output-dir",
        tmp_path / "run",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "look like ids ('Unnamed: 0', 'CustomerID')")
    assert "--id-column" in err and not (tmp_path / "run").exists()


def test_2_an_id_like_column_beside_the_named_id_is_refused(tmp_path, capsys):
    frame = table().assign(cid=range(200), email=[f"u{i}@x.org" for i in range(200)])
    frame.to_csv(tmp_path / "t.csv", index=False)
    code, err = cli(
        "train",
        "--config",
        SMOKE,
        "--data",
        tmp_path / "t.csv",
        "--id-column",
        "cid",
        "--output-dir",
        tmp_path / "run",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "column 'email' is unique per row and looks like an id")
    assert "--drop-columns" in err


def test_2_a_category_that_repeats_and_numbers_stay_features(tmp_path):
    """The rule takes identifiers only: a unique float or a repeating text is a feature."""
    frame = table().assign(score=np.linspace(0, 1, 200))
    frame.to_csv(tmp_path / "t.csv", index=False)
    dataset = load_dataset(str(tmp_path / "t.csv"))
    assert {"age", "spend", "channel", "score"} == set(dataset.features.columns)
    assert dataset.features.index.name == "row"


def test_2_the_estimator_refuses_an_id_column(tmp_path):
    from dec import DeepEmbeddedClustering
    from dec.errors import DataError

    frame = table().assign(customer_id=[f"c{i}" for i in range(200)])
    with pytest.raises(DataError, match="'customer_id' is unique per row and looks like an id"):
        DeepEmbeddedClustering(n_clusters=3, pretrain_epochs=1, refine_epochs=1).fit(frame)


# ------------------------------------------------------------- 3. a file name is no pattern
@pytest.mark.parametrize("name", ["log[1].csv", "log*.csv", "log?.csv"])
def test_3_a_file_is_read_as_that_file_whatever_its_name(tmp_path, name):
    logs = tmp_path / "logs"
    logs.mkdir()
    purchase_log(seed=1).to_csv(logs / name, index=False)
    purchase_log(customers=30, seed=2).to_csv(logs / "log1.csv", index=False)  # the match
    features = log_features(logs / name, **COLUMNS)[0]
    expected = purchase_log(seed=1)["cust"].nunique()
    assert len(features) == expected


# ------------------------------------------------------------- 4. a folder is read whole
def test_4_a_folder_of_csv_and_parquet_parts_is_refused(tmp_path, capsys):
    (tmp_path / "logs").mkdir()
    purchase_log(seed=1).to_csv(tmp_path / "logs" / "a.csv", index=False)
    purchase_log(seed=2).to_parquet(tmp_path / "logs" / "b.parquet")
    code, err = cli(
        "features",
        "--transactions",
        tmp_path / "logs",
        *LOG,
        "--output",
        tmp_path / "f.parquet",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "holds both CSV and Parquet parts")
    assert not (tmp_path / "f.parquet").exists()


@pytest.mark.parametrize(
    "name, message",
    [
        ("notes.txt", "holds 'notes.txt', which is not a .csv or .parquet part"),
        ("sub", "holds the folder 'sub'"),
    ],
)
def test_4_a_folder_with_other_files_is_refused_by_name(tmp_path, capsys, name, message):
    (tmp_path / "logs").mkdir()
    purchase_log().to_csv(tmp_path / "logs" / "a.csv", index=False)
    (tmp_path / "logs" / name).mkdir() if name == "sub" else (tmp_path / "logs" / name).touch()
    code, err = cli(
        "features",
        "--transactions",
        tmp_path / "logs",
        *LOG,
        "--output",
        tmp_path / "f.parquet",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, message)


def test_4_a_folder_is_every_part_and_spark_markers_are_passed_over(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    whole = purchase_log()
    whole.iloc[:700].to_csv(logs / "a.csv", index=False)
    whole.iloc[700:].to_csv(logs / "b.csv.gz", index=False)
    (logs / "_SUCCESS").touch()
    (logs / ".a.csv.crc").touch()
    whole.to_csv(tmp_path / "whole.csv", index=False)
    pd.testing.assert_frame_equal(
        log_features(logs, **COLUMNS)[0], log_features(tmp_path / "whole.csv", **COLUMNS)[0]
    )


# ------------------------------------------------------------- 5. temp space
def test_5_a_users_dec_parts_folder_is_never_touched(tmp_path, monkeypatch):
    from dec.data.logs import sql as log_sql

    monkeypatch.setattr(log_sql, "ROWS_PER_GB", 500)  # 1,500 purchases in three parts
    purchase_log().to_csv(tmp_path / "log.csv", index=False)
    mine = tmp_path / "spill" / "dec_parts"
    mine.mkdir(parents=True)
    (mine / "keep.txt").write_text("mine")
    log_features(tmp_path / "log.csv", **COLUMNS, temp_directory=str(tmp_path / "spill"))
    assert (mine / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in (tmp_path / "spill").iterdir()) == ["dec_parts"]


def test_5_commands_sharing_a_temp_directory_give_the_answers_they_give_alone(
    tmp_path, monkeypatch
):
    from dec.data.logs import sql as log_sql

    monkeypatch.setattr(log_sql, "ROWS_PER_GB", 300)  # forces the split into parts
    logs = {seed: tmp_path / f"log{seed}.csv" for seed in (1, 2, 3, 4)}
    for seed, path in logs.items():
        purchase_log(seed=seed, customers=100 * seed).to_csv(path, index=False)
    alone = {seed: log_features(path, **COLUMNS)[0] for seed, path in logs.items()}
    together, errors = {}, []

    def run(seed):
        try:
            together[seed] = log_features(
                logs[seed], **COLUMNS, temp_directory=str(tmp_path / "shared")
            )[0]
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(seed,)) for seed in logs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for seed in logs:
        pd.testing.assert_frame_equal(together[seed], alone[seed])
    assert list((tmp_path / "shared").iterdir()) == []


def test_5_a_temp_directory_that_is_a_file_is_one_line(tmp_path, capsys):
    purchase_log().to_csv(tmp_path / "log.csv", index=False)
    (tmp_path / "spill").write_text("a file")
    code, err = cli(
        "features",
        "--transactions",
        tmp_path / "log.csv",
        *LOG,
        "--temp-directory",
        tmp_path / "spill",
        "--output",
        tmp_path / "f.parquet",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "is a file, not a folder")


# ------------------------------------------------------------- 8. amounts of 1e308
@pytest.mark.parametrize("when", ["before", "after"])  # as a feature, as an outcome
def test_8_amounts_that_overflow_are_refused_on_the_duckdb_path(tmp_path, capsys, when):
    month = "03" if when == "before" else "11"
    pd.DataFrame(
        {
            "cust": ["a", "a", "b", "b"],
            "day": [f"2023-{month}-01", f"2023-{month}-02", "2023-01-05", "2023-12-01"],
            "usd": [1e308, 1e308, 5.0, 6.0],
        }
    ).to_csv(tmp_path / "log.csv", index=False)
    code, err = cli(
        "features",
        "--transactions",
        tmp_path / "log.csv",
        *LOG,
        "--as-of",
        "2023-06-30",
        "--output",
        tmp_path / "f.parquet",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "purchase amounts are too large to add up")
    assert not (tmp_path / "f.parquet").exists()


# ------------------------------------------------------------- 9. output inside the input
def test_9_an_output_inside_the_folder_it_reads_is_refused(tmp_path, capsys):
    (tmp_path / "logs").mkdir()
    purchase_log().to_parquet(tmp_path / "logs" / "a.parquet")
    for source in (tmp_path / "logs", tmp_path / "logs" / "*.parquet"):
        code, err = cli(
            "features",
            "--transactions",
            source,
            *LOG,
            "--output",
            tmp_path / "logs" / "f.parquet",
            capsys=capsys,
        )
        assert code == 2 and one_error(
            err,
            "the next read would take it for input" if "*" in str(source) else "inside the folder",
        )
    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == ["a.parquet"]


# ------------------------------------------------------------- 10. sweep up front
@pytest.mark.parametrize(
    "k, message",
    [
        ("2-1000", "the data has 280 training customers"),
        ("8-3", "runs backwards; write the smaller k first, e.g. 3-8"),
    ],
)
def test_10_sweep_refuses_impossible_ks_before_training(tmp_path, capsys, k, message):
    table(400).to_csv(tmp_path / "t.csv", index=False)
    code, err = cli(
        "sweep",
        "--config",
        SMOKE,
        "--data",
        tmp_path / "t.csv",
        "--k",
        k,
        "--output-dir",
        tmp_path / "sweep",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, message)
    assert not (tmp_path / "sweep").exists()


def test_10_a_sweep_work_folder_that_is_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "work").write_text("a file")
    code, err = cli(
        "sweep",
        "--config",
        SMOKE,
        "--k",
        "2-3",
        "--work-dir",
        tmp_path / "work",
        "--output-dir",
        tmp_path / "sweep",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "is a file, not a folder")


# ------------------------------------------------------------- 11. as-of past the end
def test_11_an_as_of_after_the_log_is_stated_and_both_paths_agree(tmp_path, capsys):
    purchase_log().to_csv(tmp_path / "log.csv", index=False)
    code, err = cli(
        "features",
        "--transactions",
        tmp_path / "log.csv",
        *LOG,
        "--as-of",
        "2024-06-30",
        "--output",
        tmp_path / "f.parquet",
        capsys=capsys,
    )
    assert code == 0 and "is not before the last purchase" in err and "no outcomes" in err
    assert not any(c.startswith("holdout_") for c in pd.read_parquet(tmp_path / "f.parquet"))
    for engine in ("pandas", "duckdb"):
        with pytest.warns(UserWarning, match="no hold-out period"):
            dataset = load_dataset(
                str(tmp_path / "log.csv"),
                format="transactions",
                as_of="2024-06-30",
                log_engine=engine,
                **COLUMNS,
            )
        assert dataset.outcomes is None and dataset.holdout_weeks is None


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_11_an_as_of_before_the_log_is_refused_on_every_path(tmp_path, engine):
    from dec.errors import DataError

    purchase_log().to_csv(tmp_path / "log.csv", index=False)
    with pytest.raises(DataError, match="is before the first purchase"):
        load_dataset(
            str(tmp_path / "log.csv"),
            format="transactions",
            as_of="2020-01-01",
            log_engine=engine,
            **COLUMNS,
        )


# ------------------------------------------------------------- 13. coverage
@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_13_by_default_every_customer_of_the_log_has_a_segment(tmp_path, capsys, engine):
    log = purchase_log()
    log.to_csv(tmp_path / "log.csv", index=False)
    train(
        tmp_path,
        tmp_path / "log.csv",
        "data.format=transactions",
        "data.id_column=cust",
        "data.date_column=day",
        "data.amount_column=usd",
        f"data.log_engine={engine}",
    )
    code, err = cli(
        "export", "--run", tmp_path / "run", "--output", tmp_path / "e.csv", capsys=capsys
    )
    assert code == 0, err
    exported = pd.read_csv(tmp_path / "e.csv", dtype={"id": str})
    assert sorted(exported["id"]) == sorted(log["cust"].unique())


def test_2_scoring_a_table_finds_its_id_where_the_run_has_none(tmp_path, capsys):
    """A run trained on a table without ids scores a table that has one: the output's ids
    are the customers' ids (zeros kept), not row numbers."""
    table().to_csv(tmp_path / "t.csv", index=False)
    train(tmp_path, tmp_path / "t.csv")
    new = table(50, seed=1).assign(customer_id=[f"{i:05d}" for i in range(50)])
    new.to_csv(tmp_path / "new.csv", index=False)
    code, err = cli(
        "predict",
        "--run",
        tmp_path / "run",
        "--data",
        tmp_path / "new.csv",
        "--output",
        tmp_path / "p.csv",
        capsys=capsys,
    )
    assert code == 0, err
    assert "column 'customer_id' is unique per row and looks like an id" in err
    scored = pd.read_csv(tmp_path / "p.csv", dtype={"id": str})
    assert list(scored["id"]) == list(new["customer_id"])


# ------------------------------------------------------------- the fingerprint
def test_features_that_differ_in_the_last_bits_are_the_same_data():
    """DuckDB's parallel sums differ from run to run in the last bits: test.py and --resume
    must still take a large log's run for its own data; a real change is still caught."""
    from dec.data.dataset import Dataset

    rng = np.random.default_rng(0)
    features = pd.DataFrame(
        rng.gamma(2.0, 20.0, (500, 4)),
        columns=list("abcd"),
        index=pd.Index([f"{i:05d}" for i in range(500)], name="customer_id"),
    )
    recorded = Dataset("log", features).fingerprint()
    jittered = features * (1 + rng.uniform(-4e-16, 4e-16, features.shape))
    assert not jittered.equals(features)
    assert Dataset("log", jittered).matches(recorded)
    moved = features.copy()
    moved.iloc[[0, 1], 0] = moved.iloc[[1, 0], 0].to_numpy()  # two customers swap a value
    changed = features.copy()
    changed.iloc[7, 2] += 0.01
    renamed = features.set_axis([f"x{i}" for i in range(500)])
    for other in (moved, changed, renamed, features.iloc[::-1]):
        assert not Dataset("log", other).matches(recorded)
    # A run recorded before the tolerant part still matches its exact features.
    exact = {k: recorded[k] for k in ("rows", "columns", "sha256")}
    assert Dataset("log", features).matches(exact)
    assert not Dataset("log", jittered).matches(exact)


# ------------------------------------------------------------- a second hostile pass
ENGINES = ["pandas", "duckdb"]


def log_dataset(path, engine, **options):
    return load_dataset(str(path), format="transactions", log_engine=engine, **COLUMNS, **options)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_purchase_without_a_customer_id_is_refused_and_na_is_an_id(tmp_path, engine):
    from dec.errors import DataError

    log = purchase_log()
    log.loc[:4, "cust"] = ""
    log.to_csv(tmp_path / "blank.csv", index=False)
    with pytest.raises(DataError, match="5 transaction\\(s\\) have no customer id"):
        log_dataset(tmp_path / "blank.csv", engine)
    log = purchase_log()
    log.loc[:4, "cust"] = "NA"  # a customer called NA, not a missing id
    log.to_csv(tmp_path / "na.csv", index=False)
    features = log_dataset(tmp_path / "na.csv", engine).features
    assert "NA" in features.index and len(features) == log["cust"].nunique()


@pytest.mark.parametrize("engine", ENGINES)
def test_ids_with_spaces_around_them_are_one_customer_on_every_engine(tmp_path, engine):
    log = purchase_log()
    log.loc[:9, "cust"] = " " + log.loc[:9, "cust"] + " "
    log.to_csv(tmp_path / "log.csv", index=False)
    features = log_dataset(tmp_path / "log.csv", engine).features
    assert len(features) == purchase_log()["cust"].nunique()
    assert not any(i != i.strip() for i in features.index)


@pytest.mark.parametrize(
    "roles, message",
    [
        (
            dict(amount_column="day"),
            "column 'day' is given both as --date-column and as --amount-column",
        ),
        (dict(id_column="usd"), "column 'usd' is given both as --id-column and as --amount-column"),
    ],
)
def test_a_column_in_two_roles_of_a_log_is_refused(tmp_path, capsys, roles, message):
    purchase_log().to_csv(tmp_path / "log.csv", index=False)
    flags = {**COLUMNS, **roles}
    code, err = cli(
        "features",
        "--transactions",
        tmp_path / "log.csv",
        *[x for k, v in flags.items() for x in (f"--{k.replace('_', '-')}", v)],
        "--output",
        tmp_path / "f.parquet",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, message)


@pytest.mark.parametrize("engine", ENGINES)
def test_purchases_on_one_day_are_one_order_whatever_their_times(tmp_path, engine):
    pd.DataFrame(
        {
            "cust": ["a", "a", "b", "c", "c"],
            "day": [
                "2020-01-01 09:00",
                "2020-01-01 15:00",
                "2020-01-03 10:00",
                "2020-01-05 10:00",
                "2020-01-05 18:00",
            ],
            "usd": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    ).to_csv(tmp_path / "t.csv", index=False)
    dataset = log_dataset(tmp_path / "t.csv", engine)
    features = dataset.features
    assert dataset.as_of == "2020-01-05" and sorted(features.index) == ["a", "b", "c"]
    assert features.loc["a", "frequency"] == 1 and features.loc["a", "total_spend"] == 3.0
    assert features.loc["c", "total_spend"] == 9.0 and features.loc["c", "recency_days"] == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_purchases_dated_before_1900_are_refused(tmp_path, engine):
    from dec.errors import DataError

    log = purchase_log()
    log.loc[3, "day"] = "0201-01-01"
    log.to_csv(tmp_path / "log.csv", index=False)
    with pytest.raises(DataError, match="dated before 1900"):
        log_dataset(tmp_path / "log.csv", engine)


@pytest.mark.parametrize(
    "as_of, message",
    [
        ("01/03/2023", "could be day/month or month/day; write it as YYYY-MM-DD"),
        ("2099-01-01", "is in the future"),
    ],
)
def test_an_ambiguous_or_future_as_of_is_refused(tmp_path, capsys, as_of, message):
    purchase_log().to_csv(tmp_path / "log.csv", index=False)
    code, err = cli(
        "features",
        "--transactions",
        tmp_path / "log.csv",
        *LOG,
        "--as-of",
        as_of,
        "--output",
        tmp_path / "f.parquet",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, message)


@pytest.mark.parametrize("limit", ["0GB", "-1GB", "lots"])
def test_a_memory_limit_that_is_no_bound_is_refused(tmp_path, capsys, limit):
    purchase_log().to_csv(tmp_path / "log.csv", index=False)
    code, err = cli(
        "features",
        "--transactions",
        tmp_path / "log.csv",
        *LOG,
        f"--memory-limit={limit}",
        "--output",
        tmp_path / "f.parquet",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, f"memory limit '{limit}' is not a size above 0")


@pytest.mark.parametrize("column", ["userid", "CUSTOMERID", "customer_no"])
def test_more_spellings_of_an_id_are_ids(tmp_path, column):
    table().assign(**{column: range(5000, 5200)}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.warns(UserWarning, match=f"column '{column}' is unique per row"):
        dataset = load_dataset(str(tmp_path / "t.csv"))
    assert column not in dataset.features


@pytest.mark.parametrize(
    "values, message",
    [
        ([f"c{i}" for i in range(199)] + ["c1"], "has duplicates such as 'c1'"),
        ([f"c{i}" for i in range(199)] + [None], "is empty in 1 row(s)"),
        ([float(i) for i in range(199)] + [None], "is empty in 1 row(s)"),
    ],
)
def test_an_id_with_a_fault_is_refused_not_learned(tmp_path, values, message):
    from dec import DeepEmbeddedClustering
    from dec.errors import DataError

    frame = table().assign(customer_id=values)
    frame.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(
        DataError, match=f"'customer_id' in .* looks like an id .* {re.escape(message)}"
    ):
        load_dataset(str(tmp_path / "t.parquet"))
    with pytest.raises(DataError, match=f"'customer_id' looks like an id .* {re.escape(message)}"):
        DeepEmbeddedClustering(n_clusters=3, pretrain_epochs=1, refine_epochs=1).fit(frame)


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--k", "2,2"], "--k names 2 twice"),
        (["--k", "2-3", "--seeds", "0,0"], "--seeds names 0 twice"),
        (["--k", "2-100000000000000000000"], "give at most 1,000"),
    ],
)
def test_sweep_refuses_repeated_seeds_and_ks_and_endless_ranges(tmp_path, capsys, flags, message):
    code, err = cli(
        "sweep", "--config", SMOKE, *flags, "--output-dir", tmp_path / "sweep", capsys=capsys
    )
    assert code == 2 and one_error(err, message)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_log_run_scores_the_features_file_by_its_declared_id(tmp_path, capsys):
    """The table `features` writes, scored by a run trained on the log: its own id column
    (not the log's), and its outcomes left out without a warning about them."""
    purchase_log().to_csv(tmp_path / "log.csv", index=False)
    train(
        tmp_path,
        tmp_path / "log.csv",
        "data.format=transactions",
        "data.id_column=cust",
        "data.date_column=day",
        "data.amount_column=usd",
        "data.as_of=2023-09-01",
    )
    cli(
        "features",
        "--transactions",
        tmp_path / "log.csv",
        *LOG,
        "--as-of",
        "2023-09-01",
        "--output",
        tmp_path / "f.parquet",
        capsys=capsys,
    )
    code, err = cli(
        "predict",
        "--run",
        tmp_path / "run",
        "--data",
        tmp_path / "f.parquet",
        "--output",
        tmp_path / "p.csv",
        capsys=capsys,
    )
    assert code == 0, err
    assert "holdout" not in err
    scored = pd.read_csv(tmp_path / "p.csv", dtype={"id": str})
    assert list(scored["id"]) == list(pd.read_parquet(tmp_path / "f.parquet")["id"])


def test_sigterm_stops_a_command_with_one_line_and_its_clean_up_run(tmp_path, capsys):
    """SIGTERM (a scheduler's stop) runs the command's clean-up as Ctrl-C does: the
    temporary folder is gone, exit code 143, one line; also where the interrupted code
    passed on its own error (DuckDB: "Query interrupted")."""
    import os
    import signal
    import tempfile

    from dec.cli.common import run_cli

    made = []

    def command():
        with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
            made.append(folder)
            try:
                os.kill(os.getpid(), signal.SIGTERM)
            except BaseException:
                raise RuntimeError("Query interrupted") from None

    before = signal.getsignal(signal.SIGTERM)
    assert run_cli(command) == 143
    assert one_error(capsys.readouterr().err, "stopped (SIGTERM)")
    assert made and not os.path.exists(made[0])
    assert signal.getsignal(signal.SIGTERM) is before


# ------------------------------------------------------------- a third hostile pass
@pytest.mark.parametrize(
    "flags, message",
    [
        (["--seeds", "1,-1"], "each seed must be between 0 and"),
        (["--bootstrap", "-1"], "give 0 or more resamples per k"),
    ],
)
def test_sweep_refuses_bad_seeds_and_resamples_before_training(tmp_path, capsys, flags, message):
    code, err = cli(
        "sweep",
        "--config",
        SMOKE,
        "--k",
        "2-3",
        *flags,
        "--output-dir",
        tmp_path / "sweep",
        "--work-dir",
        tmp_path / "work",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, message) and not (tmp_path / "work").exists()


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_quantities_are_refused_on_every_engine(tmp_path, engine):
    from dec.errors import DataError

    log = purchase_log().assign(n=1.0)
    log["n"] = log["n"].astype(object)
    log.loc[4, "n"] = "two"
    log.to_csv(tmp_path / "log.csv", index=False)
    with pytest.raises(DataError, match="quantity value 'two' is not a finite number"):
        log_dataset(tmp_path / "log.csv", engine, quantity_column="n")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("word", ["today", "epoch", "now"])
def test_words_read_as_dates_are_refused_on_every_engine(tmp_path, engine, word):
    from dec.errors import DataError

    log = purchase_log()
    log.loc[0, "day"] = word
    log.to_csv(tmp_path / "log.csv", index=False)
    with pytest.raises(DataError, match=f"cannot read date '{word}'"):
        log_dataset(tmp_path / "log.csv", engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_ids_with_tabs_around_them_never_split_a_customer(tmp_path, engine):
    """pandas strips them; DuckDB, which trims only spaces at full speed, refuses them."""
    from dec.errors import DataError

    log = purchase_log()
    log.loc[:9, "cust"] = "\t" + log.loc[:9, "cust"]
    log.to_parquet(tmp_path / "log.parquet")
    if engine == "duckdb":
        with pytest.raises(DataError, match="have a tab or line break at an edge"):
            log_dataset(tmp_path / "log.parquet", engine)
        return
    features = log_dataset(tmp_path / "log.parquet", engine).features
    assert len(features) == purchase_log()["cust"].nunique()


@pytest.mark.parametrize("column", ["cust", "customer"])
def test_a_column_named_for_the_customer_is_an_id(tmp_path, column):
    table().assign(**{column: range(200)}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.warns(UserWarning, match=f"column '{column}' is unique per row"):
        assert column not in load_dataset(str(tmp_path / "t.csv")).features


def test_an_as_of_with_spaces_that_reads_both_ways_is_refused():
    from dec.errors import ConfigError
    from dec.utils.dates import parse_date

    with pytest.raises(ConfigError, match="could be day/month or month/day"):
        parse_date("12 1 2023")


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_run_records_the_as_of_it_chose_and_keeps_it_when_the_log_grows(tmp_path, capsys):
    log = purchase_log()
    log.to_csv(tmp_path / "log.csv", index=False)
    result = train(
        tmp_path,
        tmp_path / "log.csv",
        "data.format=transactions",
        "data.id_column=cust",
        "data.date_column=day",
        "data.amount_column=usd",
    )
    last = str(pd.to_datetime(log["day"]).max().date())
    assert result.config.data.as_of == last
    later = pd.DataFrame(
        {"cust": ["C9999", "C0001"], "day": ["2024-02-01", "2024-02-02"], "usd": [10.0, 20.0]}
    )
    pd.concat([log, later]).to_csv(tmp_path / "log.csv", index=False)
    code, err = cli(
        "export", "--run", tmp_path / "run", "--output", tmp_path / "e.csv", capsys=capsys
    )
    assert code == 0, err
    exported = pd.read_csv(tmp_path / "e.csv", dtype={"id": str})
    assert sorted(exported["id"]) == sorted(log["cust"].unique())  # not C9999: as of `last`
