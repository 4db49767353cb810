"""The id column has one name in every file the package writes: ``id`` (the export
contract: ``id, segment, z_*, p_*``), whatever the input called its own (here
``CustomerID``); the input's ids are its values, or the row numbers where it had none.

Each file-writing command runs on a table with a ``CustomerID`` column, on one without an
id, and on a purchase log whose id column is ``CustomerID``. (``dec.spark.score``:
``tests/test_spark.py``.)"""

import numpy as np
import pandas as pd
import pytest
from conftest import SMOKE, cli, run_script

from dec.data.roles import ID_COLUMN, file_roles
from dec.scoring import export

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

CUSTOMERS = 300
IDS = [f"K{i:05d}" for i in range(CUSTOMERS)]
ROWS = [str(i) for i in range(CUSTOMERS)]
#: The Parquet files say which column is the id.
ROLES = {"id_column": "id", "outcome_columns": []}


def _table(seed: int, with_id: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "spend": rng.gamma(2.0, 50.0, CUSTOMERS),
            "visits": rng.poisson(5, CUSTOMERS).astype(float),
            "age": rng.integers(18, 80, CUSTOMERS).astype(float),
        }
    )
    if with_id:
        frame.insert(0, "CustomerID", IDS)
    return frame


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """``{name: folder}``: ``t1.csv``, ``t2.csv`` (two snapshots) and ``run`` (trained on
    t1) for a table whose id column is ``CustomerID`` and for one without an id."""
    folders = {}
    for name, with_id in (("CustomerID", True), ("no id", False)):
        folder = tmp_path_factory.mktemp(name.replace(" ", "_"))
        _table(0, with_id).to_csv(folder / "t1.csv", index=False)
        _table(1, with_id).to_csv(folder / "t2.csv", index=False)
        result = run_script(
            "train.py",
            "--config",
            str(SMOKE),
            "--data",
            str(folder / "t1.csv"),
            "--output-dir",
            str(folder / "run"),
        )
        assert result.returncode == 0, result.stderr
        folders[name] = folder
    return folders


def _read(path):
    """The file's columns and its id column's values (as text)."""
    if path.suffix == ".npz":
        data = np.load(path)
        return list(data.files), list(data[data.files[0]].astype(str))
    frame = (
        pd.read_parquet(path)
        if path.suffix == ".parquet"
        else pd.read_csv(path, dtype={ID_COLUMN: str})
    )
    return list(frame.columns), list(frame.iloc[:, 0].astype(str))


def test_the_name_is_id_in_every_writer():
    from dec.data.logs import sql

    assert ID_COLUMN == sql.ID_COLUMN == export.ID_COLUMN == "id"  # one constant, roles'


@pytest.mark.parametrize("command", ["export", "predict"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".npz"])
@pytest.mark.parametrize("name", ["CustomerID", "no id"])
def test_export_and_predict_name_it_id(tables, tmp_path, capsys, command, suffix, name):
    folder = tables[name]
    out = tmp_path / f"out{suffix}"
    code, err = cli(
        command,
        "--run",
        folder / "run",
        "--data",
        folder / "t2.csv",
        "--output",
        out,
        capsys=capsys,
    )
    assert code == 0, err
    columns, ids = _read(out)
    assert columns[:2] == ["id", "segment"] and "CustomerID" not in columns
    assert ids == (IDS if name == "CustomerID" else ROWS)  # no id: the row numbers
    if suffix == ".parquet":
        assert file_roles(out) == ROLES


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_migrate_names_it_id(tables, tmp_path, capsys, suffix):
    folder = tables["CustomerID"]
    out = tmp_path / f"movers{suffix}"
    code, err = cli(
        "migrate",
        "--run",
        folder / "run",
        "--data",
        folder / "t1.csv",
        "--data",
        folder / "t2.csv",
        "--output",
        out,
        capsys=capsys,
    )
    assert code == 0, err
    columns, ids = _read(out)
    assert columns == ["id", "from", "to"] and ids and set(ids) <= set(IDS)
    if suffix == ".parquet":
        assert file_roles(out) == ROLES
    # The transition counts are per segment: no customer, so no id column.
    counts = pd.read_csv(tmp_path / "movers.transitions.csv")
    assert counts.columns[0] == "from" and not {"id", "CustomerID"} & set(counts.columns)


def test_migrate_without_an_id_is_refused_and_writes_nothing(tables, tmp_path, capsys):
    folder = tables["no id"]
    code, err = cli(
        "migrate",
        "--run",
        folder / "run",
        "--data",
        folder / "t1.csv",
        "--data",
        folder / "t2.csv",
        "--output",
        tmp_path / "movers.csv",
        capsys=capsys,
    )
    assert code == 2 and "has no id column" in err.strip().splitlines()[-1]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["CustomerID", "no id"])
def test_profiles_have_no_customer_rows_so_no_id(tables, capsys, name):
    code, err = cli("profiles", "--run", tables[name] / "run", capsys=capsys)
    assert code == 0, err
    columns = list(pd.read_csv(tables[name] / "run" / "profiles.csv").columns)
    assert columns[0] == "segment" and not {"id", "CustomerID"} & set(columns)


def _features(folder, capsys, suffix: str):
    """``python -m dec features`` on a log whose id column is ``CustomerID``: the file and
    the ids of the customers who bought by the as-of date."""
    rng = np.random.default_rng(0)
    buyers = rng.integers(0, 50, 600)
    days = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 300, 600), "D")
    pd.DataFrame(
        {
            "CustomerID": [f"{i:05d}" for i in buyers],  # zeros kept: ids are text
            "day": days.strftime("%Y-%m-%d"),
            "usd": rng.gamma(2.0, 20.0, 600).round(2),
        }
    ).to_csv(folder / "log.csv", index=False)
    out = folder / f"features{suffix}"
    code, err = cli(
        "features",
        "--transactions",
        folder / "log.csv",
        "--id-column",
        "CustomerID",
        "--date-column",
        "day",
        "--amount-column",
        "usd",
        "--as-of",
        "2023-09-01",
        "--output",
        out,
        capsys=capsys,
    )
    assert code == 0, err
    return out, sorted({f"{i:05d}" for i in buyers[days <= "2023-09-01"]})


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_features_name_it_id_whatever_the_log_called_it(tmp_path, capsys, suffix):
    out, buyers = _features(tmp_path, capsys, suffix)
    columns, ids = _read(out)
    assert columns[0] == "id" and "CustomerID" not in columns and "customer_id" not in columns
    assert ids == buyers
    if suffix == ".parquet":
        assert file_roles(out) == {
            "id_column": "id",
            "outcome_columns": ["holdout_spend", "holdout_active"],
        }


def test_a_features_file_trains_and_scores_by_its_id(tmp_path, capsys):
    """The table ``features`` writes, trained on and exported: the same ``id`` through."""
    features, buyers = _features(tmp_path, capsys, ".csv")
    run = tmp_path / "run"
    code, err = cli(
        "train",
        "--config",
        SMOKE,
        "--data",
        features,
        "--output-dir",
        run,
        "model.n_clusters=3",
        capsys=capsys,
    )
    assert code == 0, err
    code, err = cli(
        "export", "--run", run, "--data", features, "--output", tmp_path / "e.csv", capsys=capsys
    )
    assert code == 0, err
    assert _read(tmp_path / "e.csv")[1] == buyers
