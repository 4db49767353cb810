"""A real PostgreSQL server, started for these tests in a temporary folder: train from a
table and from a purchase log (added up by the server), write segments back, and keep the
password out of the run. Skipped, with the reason, where PostgreSQL is not installed,
except in CI (``.ci/run`` sets ``DEC_REQUIRE_POSTGRES``), where that fails."""

import os

import numpy as np
import pandas as pd
import pytest
from conftest import SMOKE, NoCapture, cli, database_customers, one_error

from benchmarks.harness.postgres import PASSWORD, postgres_server, why_no_server
from dec.utils import urls

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def server():
    reason = why_no_server()
    if reason:
        if os.environ.get("DEC_REQUIRE_POSTGRES"):
            pytest.fail(f"DEC_REQUIRE_POSTGRES is set but {reason}")
        pytest.skip(reason)
    import sqlalchemy

    from dec.data.logs.transactions import load_cdnow

    with postgres_server() as running:
        engine = sqlalchemy.create_engine(urls.real_url(running.url()))
        database_customers().to_sql("customers", engine, index=False)
        numbered = database_customers().assign(
            customer_id=lambda f: f["customer_id"].astype(int) + 1000
        )
        numbered.to_sql("customers_numbered", engine, index=False)
        log = load_cdnow()
        log.to_sql("purchases", engine, index=False, chunksize=20_000)
        # the same log with text dates and amounts: read row by row, not added up there
        log.astype({"date": str, "amount": str}).to_sql("purchases_text", engine, index=False)
        engine.dispose()
        yield running


def train(url: str, what: tuple, run, capsys) -> tuple[int, str]:
    """``dec train`` (smoke config) from ``url`` with ``what`` (``--table``/``--query``)."""
    return cli("train", "--config", SMOKE, "--data", url, *what, "--output-dir", run, capsys=capsys)


@pytest.fixture(scope="module")
def pg_run(server, tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "from_postgres"
    code, err = train(server.url(), ("--table", "customers"), run, NoCapture())
    assert code == 0, err
    return run


def test_no_password_in_the_run_and_test_reads_it_from_pgpassword(
    server, pg_run, monkeypatch, capsys
):
    monkeypatch.setattr(urls, "_REAL", {})  # a new process: only what the run kept
    code, err = cli("test", "--run", pg_run, capsys=capsys)
    assert code == 2 and one_error(err, "without the password: give it in PGPASSWORD")
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    code, err = cli("test", "--run", pg_run, capsys=capsys)
    assert code == 0, err
    assert "postgresql://dec:***@127.0.0.1" in (pg_run / "config.yaml").read_text()
    secret = PASSWORD.encode()
    leaked = [p for p in pg_run.rglob("*") if p.is_file() and secret in p.read_bytes()]
    assert leaked == [] and PASSWORD not in err


def test_a_changed_table_is_told_apart_by_the_fingerprint(server, pg_run, monkeypatch, capsys):
    import sqlalchemy

    engine = sqlalchemy.create_engine(urls.real_url(server.url()))
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE customers SET spend = spend + 1 WHERE visits = 3")
    try:
        code, err = cli("test", "--run", pg_run, capsys=capsys)
        assert code == 2 and "Traceback" not in err and "changed" in err.lower(), err
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE customers SET spend = spend - 1 WHERE visits = 3")
        engine.dispose()


def test_export_back_to_postgres_whole_and_only_replaced_with_overwrite(server, pg_run, capsys):
    import sqlalchemy

    args = ("--run", pg_run, "--output", server.url(), "--table", "segments")
    code, err = cli("export", *args, capsys=capsys)
    assert code == 0, err
    engine = sqlalchemy.create_engine(urls.real_url(server.url()))
    written = pd.read_sql("SELECT * FROM segments ORDER BY id", engine)
    assert len(written) == 400 and written["id"].iloc[0] == "00000"
    code, err = cli("export", *args, capsys=capsys)
    assert code == 2 and one_error(err, "table segments already exists")
    code, err = cli("export", *args, "--overwrite", capsys=capsys)
    assert code == 0, err
    tables = sqlalchemy.inspect(engine).get_table_names()
    assert "segments" in tables and not [t for t in tables if "staging" in t]
    engine.dispose()


@pytest.mark.parametrize("table", ["purchases", "purchases_text"])
def test_a_purchase_log_in_postgres_gives_the_features_of_the_file(server, table):
    """The typed table is added up by PostgreSQL (orders per customer and day), the text
    one row by row in Python: both equal the CDNOW file's features to 1e-9."""
    from dec.data.logs.transactions import CDNOW_AS_OF, load_cdnow, transactions_dataset
    from dec.data.sources import load_dataset

    expected = transactions_dataset("cdnow", load_cdnow(), CDNOW_AS_OF)
    got = load_dataset(
        server.url(),
        table=table,
        format="transactions",
        id_column="id",
        date_column="date",
        amount_column="amount",
        quantity_column="quantity",
        as_of=CDNOW_AS_OF,
    )
    pd.testing.assert_frame_equal(
        got.features.sort_index(), expected.features.sort_index(), rtol=1e-9, check_names=False
    )
    np.testing.assert_allclose(
        got.outcomes.sort_index().to_numpy(), expected.outcomes.sort_index().to_numpy()
    )


def test_wrong_password_and_unreachable_server_are_one_line(server, tmp_path, capsys):
    for url, message in (
        (server.url(password="wrong"), "password authentication failed"),
        (server.url().replace(str(server.port), "1"), "check that the server runs"),
    ):
        code, err = train(url, ("--table", "customers"), tmp_path / "run", capsys)
        assert code == 2 and one_error(err, message), err
        assert "wrong" not in err and not (tmp_path / "run").exists()


def test_integer_ids_are_written_back_as_integers_and_text_ids_as_text(server, pg_run, capsys):
    """A segments table joins the customers' own: ids keep the database type they had."""
    import sqlalchemy

    code, err = cli(
        "predict",
        "--run",
        pg_run,
        "--data",
        server.url(),
        "--table",
        "customers_numbered",
        "--output",
        server.url(),
        "--output-table",
        "segments_numbered",
        capsys=capsys,
    )
    assert code == 0, err
    engine = sqlalchemy.create_engine(urls.real_url(server.url()))
    joined = pd.read_sql(
        "SELECT c.customer_id, s.segment FROM customers_numbered c "
        "JOIN segments_numbered s ON s.id = c.customer_id",
        engine,
    )
    kinds = {
        c["name"]: type(c["type"]).__name__
        for c in sqlalchemy.inspect(engine).get_columns("segments_numbered")
    }
    engine.dispose()
    assert len(joined) == 400 and kinds["id"] == "BIGINT" and kinds["segment"] == "INTEGER"


def test_copy_and_the_row_path_read_the_same_frame(server, monkeypatch):
    """PostgreSQL tables are read with COPY (dec/data/database/copy.py); the row path, which
    every other database takes, gives the same values and types."""
    import sqlalchemy

    from dec.data.database import copy, read

    engine = sqlalchemy.create_engine(urls.real_url(server.url()))
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE mixed (id text, n int, big bigint, f float8, num numeric(10, 2), "
            "b bool, t text, v varchar(5))"
        )
        connection.exec_driver_sql(
            "INSERT INTO mixed VALUES "
            "('00042', 1, 10000000000, 1.5, 2.25, true, 'NA', 'null'), "
            "('007', NULL, NULL, 'NaN', NULL, NULL, '', NULL), "
            "('x,y\"z', 3, 5, '-Infinity', -1.5, false, 'a\nb', 'é')"
        )
    engine.dispose()
    fast = pd.concat(list(read.iter_frames(server.url(), table="mixed", batch_rows=2)))
    monkeypatch.setattr(copy, "copy_frames", lambda *args: None)
    rows = pd.concat(list(read.iter_frames(server.url(), table="mixed", batch_rows=2)))
    pd.testing.assert_frame_equal(fast.reset_index(drop=True), rows.reset_index(drop=True))
    assert fast["id"].tolist() == ["00042", "007", 'x,y"z']


def test_queries_read_only_and_with_percent_signs(server, capsys, tmp_path):
    """A query is one SELECT, run read-only (a data-modifying WITH fails, nothing changes);
    ``%`` and ``:`` in it are the query's own, not placeholders."""
    from dec.data.database import read

    like = "SELECT * FROM customers WHERE customer_id LIKE '001%' AND 'a:b' = 'a:b'"
    frame = read.read_frame(server.url(), query=like)
    assert len(frame) == 100
    gone = "WITH gone AS (DELETE FROM customers RETURNING *) SELECT * FROM gone"
    code, err = train(server.url(), ("--query", gone), tmp_path / "run", capsys)
    assert code == 2 and one_error(err, "reading the query in"), err
    assert len(read.read_frame(server.url(), table="customers")) == 400


def test_a_query_cannot_run_a_second_statement(server, tmp_path, capsys):
    """``SELECT ...; COMMIT; DELETE ...`` used to run the DELETE while it was checked."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(urls.real_url(server.url()))
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE victim AS SELECT 1 AS x")
    query = "SELECT * FROM customers; COMMIT; DELETE FROM victim"
    code, err = cli(
        "predict", "--run", "nowhere", "--data", server.url(), "--query", query,
        "--output", tmp_path / "x.csv", capsys=capsys,
    )  # fmt: skip
    from dec.data.database import read

    with pytest.raises(Exception, match="multiple commands"):
        read.read_frame(server.url(), query=query)
    assert pd.read_sql("SELECT count(*) AS n FROM victim", engine)["n"].iloc[0] == 1
    engine.dispose()


@pytest.mark.parametrize(
    "spelling",
    ["{url}|customers", "{bare}|customers", "{url}|public.customers", "{local}|customers"],
)
def test_the_training_table_is_never_replaced_however_it_is_spelt(
    server, pg_run, spelling, capsys, monkeypatch
):
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    values = {
        "url": server.url(),
        "bare": server.url(password=None),
        "local": server.url().replace("127.0.0.1", "localhost"),
    }
    url, table = spelling.format(**values).split("|")
    code, err = cli(
        "export", "--run", pg_run, "--output", url, "--table", table, "--overwrite", capsys=capsys
    )
    assert code == 2 and one_error(err, "is the table the run was trained on"), err


def test_migrate_never_replaces_a_snapshot_and_writes_movers_as_a_table(server, pg_run, capsys):
    import sqlalchemy

    base = ["migrate", "--run", pg_run, "--data", server.url(), "--table", "customers"]
    base += ["--data", server.url(), "--table", "customers_later", "--output", server.url()]
    engine = sqlalchemy.create_engine(urls.real_url(server.url()))
    later = database_customers().assign(visits=lambda f: f["visits"] + 3)
    later.to_sql("customers_later", engine, index=False, if_exists="replace")
    code, err = cli(*base, "--output-table", "customers_later", "--overwrite", capsys=capsys)
    assert code == 2 and one_error(err, "is a table being scored"), err
    code, err = cli(*base, "--output-table", "movers", capsys=capsys)
    assert code == 0, err
    movers = pd.read_sql("SELECT * FROM movers", engine)
    assert list(movers.columns) == ["id", "from", "to"] and len(movers) > 0
    engine.dispose()


def test_overwrite_keeps_what_others_may_do_with_the_table(server, pg_run, capsys):
    """A BI role that could read the segments table reads its replacement."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(urls.real_url(server.url()))
    args = ("--run", pg_run, "--output", server.url(), "--table", "shared_segments")
    assert cli("export", *args, capsys=capsys)[0] == 0
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE ROLE bi_reader")
        connection.exec_driver_sql("GRANT SELECT ON shared_segments TO bi_reader")
    assert cli("export", *args, "--overwrite", capsys=capsys)[0] == 0
    granted = pd.read_sql(
        "SELECT privilege_type FROM information_schema.role_table_grants "
        "WHERE table_name = 'shared_segments' AND grantee = 'bi_reader'",
        engine,
    )
    engine.dispose()
    assert granted["privilege_type"].tolist() == ["SELECT"]


def test_awkward_columns_read_as_their_values(server, tmp_path):
    """NUMERIC ids stay whole numbers (beyond 2**53 too), timestamps with fractions of a
    second are read, and one pandas cannot hold is one line."""
    import sqlalchemy

    from dec.data.database import read
    from dec.errors import DataError

    engine = sqlalchemy.create_engine(urls.real_url(server.url()))
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE awkward (id numeric(20, 0), seen timestamp, spend numeric(10, 2))"
        )
        connection.exec_driver_sql(
            "INSERT INTO awkward VALUES (9007199254740993, '2020-01-01 10:00:00.5', 1.25), "
            "(9007199254740992, '2020-01-01 10:00:00', 2.5)"
        )
    frame = read.read_frame(server.url(), table="awkward")
    assert frame["id"].tolist() == [9007199254740993, 9007199254740992]
    assert frame["spend"].dtype == "float64" and frame["seen"].iloc[0].microsecond == 500_000
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO awkward VALUES (1, 'infinity', 1)")
    engine.dispose()
    with pytest.raises(DataError, match="'infinity', a date outside"):
        read.read_frame(server.url(), table="awkward")
