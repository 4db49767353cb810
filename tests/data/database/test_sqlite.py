"""SQLite, the embedded database: train from a table, write segments back as a table (whole
or not at all, replaced only with --overwrite), and every bad input in one line."""

import sqlite3

import pandas as pd
import pytest
from conftest import SMOKE, NoCapture, cli, database_customers, one_error

from dec.data.database.write import write_table
from dec.errors import DecError


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "shop.db"
    with sqlite3.connect(path) as connection:
        database_customers().to_sql("customers", connection, index=False)
    return path


@pytest.fixture(scope="module")
def sqlite_run(shop, tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "from_sqlite"
    code, err = cli(
        "train",
        "--config",
        SMOKE,
        "--data",
        f"sqlite:///{shop}",
        "--table",
        "customers",
        "--output-dir",
        run,
        capsys=NoCapture(),
    )
    assert code == 0, err
    return run


def table(path, name: str) -> pd.DataFrame:
    with sqlite3.connect(path) as connection:
        return pd.read_sql(f'SELECT * FROM "{name}"', connection)


def test_train_from_a_sqlite_table_keeps_its_ids_and_source(sqlite_run, shop):
    config = (sqlite_run / "config.yaml").read_text()
    assert f"source: sqlite:///{shop}" in config and "table: customers" in config
    from dec.estimator import DeepEmbeddedClustering

    model = DeepEmbeddedClustering.load(sqlite_run)
    assert model.preprocessor_.index_name_ == "customer_id"
    assert "customer_id" not in model.preprocessor_.feature_names_in_


def test_export_writes_a_table_and_refuses_to_replace_it_without_overwrite(
    sqlite_run, tmp_path, capsys
):
    out = tmp_path / "crm.db"
    args = ("--run", sqlite_run, "--output", f"sqlite:///{out}", "--table", "segments")
    code, err = cli("export", *args, capsys=capsys)
    assert code == 0, err
    written = table(out, "segments")
    assert len(written) == 400 and written["id"].iloc[0] == "00000"
    assert {"id", "segment", "z_0", "p_0"} <= set(written.columns)
    with sqlite3.connect(out) as connection:
        kinds = dict(connection.execute("SELECT name, type FROM pragma_table_info('segments')"))
    assert kinds["id"] == "TEXT" and kinds["segment"] == "INTEGER"

    code, err = cli("export", *args, capsys=capsys)
    assert code == 2 and one_error(err, "table segments already exists")
    assert "--overwrite" in err
    with sqlite3.connect(out) as connection:
        connection.execute("UPDATE segments SET segment = -1")
    code, err = cli("export", *args, "--overwrite", capsys=capsys)
    assert code == 0, err
    again = table(out, "segments")
    pd.testing.assert_frame_equal(again, written)
    with sqlite3.connect(out) as connection:
        names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master")]
    assert names == ["segments"]  # no staging table left behind


def test_predict_from_a_query_to_a_table_beside_the_customers(sqlite_run, shop, tmp_path, capsys):
    copy = tmp_path / "shop.db"
    copy.write_bytes(shop.read_bytes())
    source = f"sqlite:///{copy}"
    query = "SELECT * FROM customers WHERE visits > 4"
    code, err = cli(
        "predict",
        "--run",
        sqlite_run,
        "--data",
        source,
        "--query",
        query,
        "--output",
        source,
        "--output-table",
        "segments",
        capsys=capsys,
    )
    assert code == 0, err
    assert len(table(copy, "segments")) == int((database_customers()["visits"] > 4).sum())
    code, err = cli(
        "predict",
        "--run",
        sqlite_run,
        "--data",
        source,
        "--table",
        "customers",
        "--output",
        source,
        "--output-table",
        "customers",
        "--overwrite",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "is a table being scored")
    assert len(table(copy, "customers")) == 400


def _failing(rows: int):
    yield pd.DataFrame({"id": ["1", "2"], "segment": [0, 1]})
    raise DecError(f"stopped after {rows} rows")


def test_a_failed_write_leaves_no_table_and_keeps_the_old_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'out.db'}"
    with pytest.raises(DecError):
        write_table(_failing(2), url, "segments")
    with sqlite3.connect(tmp_path / "out.db") as connection:
        assert connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    write_table(iter([pd.DataFrame({"id": ["007"], "segment": [3]})]), url, "segments")
    with pytest.raises(DecError):
        write_table(_failing(2), url, "segments", overwrite=True)
    kept = table(tmp_path / "out.db", "segments")
    assert kept.to_dict("list") == {"id": ["007"], "segment": [3]}


@pytest.mark.parametrize(
    "args, message",
    [
        (("--data", "sqlite:///{missing}", "--table", "customers"), "database file"),
        (("--data", "sqlite:///{shop}", "--table", "nope"), "no table nope in sqlite:///"),
        (("--data", "sqlite:///{shop}", "--query", "SELECT * FROM nowhere"), "no such table"),
        (("--data", "sqlite:///{shop}", "--query", "DELETE FROM customers"), "a SELECT query"),
        (("--data", "sqlite:///{shop}", "--query", "SELECT 1; DROP TABLE x"), "one statement"),
        (("--data", "sqlite:///{shop}"), "needs --table NAME or --query"),
        (("--data", "sqlite:///{shop}", "--table", "customers", "--query", "SELECT 1"), "one of"),
        (("--data", "{shop}", "--table", "customers"), "--table and --query read a database"),
        (
            (
                "--transactions",
                "sqlite:///{shop}",
                "--table",
                "customers",
                "--id-column",
                "customer_id",
                "--date-column",
                "when",
                "--amount-column",
                "spend",
            ),
            "has no column(s) ['when']",
        ),
    ],
)
def test_bad_database_input_is_one_line_and_writes_nothing(shop, tmp_path, capsys, args, message):
    values = {"missing": tmp_path / "missing.db", "shop": shop}
    run = tmp_path / "run"
    code, err = cli(
        "train",
        "--config",
        SMOKE,
        *(a.format(**values) for a in args),
        "--output-dir",
        run,
        capsys=capsys,
    )
    assert code == 2 and one_error(err, message), err
    assert not run.exists() and not (tmp_path / "missing.db").exists()


def test_migrate_between_two_database_tables(sqlite_run, shop, tmp_path, capsys):
    later = database_customers()
    later["visits"] = later["visits"] + 2
    copy = tmp_path / "shop.db"
    copy.write_bytes(shop.read_bytes())
    with sqlite3.connect(copy) as connection:
        later.to_sql("customers_later", connection, index=False)
    source = f"sqlite:///{copy}"
    first = ["migrate", "--run", sqlite_run, "--data", source, "--table", "customers"]
    out = ["--output", tmp_path / "moves.csv"]
    code, err = cli(*first, "--data", source, "--table", "customers_later", *out, capsys=capsys)
    assert code == 0, err
    assert "customers_later" in (tmp_path / "moves.transitions.md").read_text()
    code, err = cli(*first, "--data", source, *out, capsys=capsys)
    assert code == 2 and one_error(err, "one --table (or --query) per database --data")


@pytest.mark.slow
def test_predict_from_and_into_one_sqlite_file_finishes(sqlite_run, tmp_path, capsys):
    """SQLite admits a writer only once no reader holds the file: 60,000 customers streamed
    out of the file the segments go into used to wait on themselves for ever."""
    path = tmp_path / "shop.db"
    many = pd.concat([database_customers(400, seed) for seed in range(150)], ignore_index=True)
    many["customer_id"] = [f"{i:06d}" for i in range(len(many))]
    with sqlite3.connect(path) as connection:
        many.to_sql("customers", connection, index=False)
    url = f"sqlite:///{path}"
    code, err = cli(
        "predict", "--run", sqlite_run, "--data", url, "--table", "customers",
        "--output", url, "--output-table", "segments", capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    assert len(table(path, "segments")) == 60_000


def test_a_password_in_a_flag_is_hidden_in_usage_errors(capsys):
    code, err = cli(
        "test", "--run", "x", "--data", "postgresql://ana:s3cret@db/shop", capsys=capsys
    )
    assert code == 2 and "s3cret" not in err and "postgresql://ana:***@db/shop" in err
