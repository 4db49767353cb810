"""Every bad-input case in the README's table, through the scripts and the Python API.

Each script case checks the exit code, that stderr holds exactly one ``error:`` line (what,
where, how to fix) and no traceback, and that nothing was written: no run directory, no
output file, no temporary file.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import SMOKE, run_script

from dec import DeepEmbeddedClustering, load_dataset
from dec.errors import ConfigError, DataError, OutputPathError, SchemaError


def customers(n=300) -> pd.DataFrame:
    from dec.data.synthetic import make_customers

    frame, _ = make_customers(n, random_state=0)
    return frame.reset_index()


def _edit(change):
    def write(path: Path):
        frame = customers()
        change(frame)
        frame.to_csv(path, index=False)

    return write


def _text(path: Path, content: bytes):
    path.write_bytes(content)


def _set(column, row, value, dtype=None):
    def change(frame):
        if dtype is not None:
            frame[column] = frame[column].astype(dtype)
        frame.loc[row, column] = value

    return change


@dataclass
class Case:
    name: str
    write: object = None  # writes the input file ``data.csv`` (or ``data.parquet``)
    args: list = field(default_factory=list)
    message: str = ""
    error: type = DataError  # what the Python API raises
    python: bool = True  # whether the Python API has this input at all
    suffix: str = ".csv"


TRAIN_CASES = [
    Case("missing file", None, [], "data file", error=DataError),
    Case(
        "corrupt parquet",
        lambda p: _text(p, b"PAR1\x00garbage"),
        [],
        "check that it is a complete Parquet file",
        suffix=".parquet",
    ),
    Case(
        "binary junk as csv",
        lambda p: _text(p, bytes(range(256)) * 20),
        [],
        "check that it is a complete CSV file",
    ),
    Case("empty file", lambda p: _text(p, b""), [], "is empty; it needs a header row"),
    Case(
        "no usable feature",
        lambda p: customers()[["customer_id"]].assign(a=1, b="x").to_csv(p, index=False),
        [],
        "no usable feature columns",
    ),
    Case(
        "header only",
        lambda p: customers().head(0).to_csv(p, index=False),
        [],
        "has a header but no customer rows",
    ),
    Case(
        "missing id column",
        lambda p: customers().to_csv(p, index=False),
        ["--id-column", "cid"],
        "id column 'cid' not in",
    ),
    Case(
        "duplicate ids",
        _edit(_set("customer_id", 3, "C000004")),
        [],
        "has duplicate ids, e.g. 'C000004'",
    ),
    Case(
        "all-missing column",
        _edit(lambda f: f.insert(len(f.columns), "notes", np.nan)),
        [],
        "column 'notes' is entirely missing; drop it (--drop-columns notes)",
    ),
    Case(
        "text in numeric column",
        _edit(_set("age", 5, "thirty", object)),
        [],
        "column 'age' must be numeric but holds text such as 'thirty'",
    ),
    Case(
        "infinite values",
        _edit(_set("income", 5, np.inf, float)),
        [],
        "column 'income' holds infinite values",
    ),
    Case(
        "fewer customers than segments",
        lambda p: customers().head(4).to_csv(p, index=False),
        [],
        "training customers for 5 segments; use more data or fewer segments",
    ),
    Case(
        "n_clusters < 2",
        lambda p: customers().to_csv(p, index=False),
        ["--n-clusters", "1"],
        "model.n_clusters must be at least 2",
        error=ConfigError,
    ),
    Case(
        "unknown config key",
        lambda p: customers().to_csv(p, index=False),
        ["model.n_clusterz=3"],
        "unknown config key 'model.n_clusterz'",
        error=ConfigError,
        python=False,
    ),
    Case(
        "value of the wrong type",
        lambda p: customers().to_csv(p, index=False),
        ["pretrain.epochs=abc"],
        "config key 'pretrain.epochs' must be an integer",
        error=ConfigError,
        python=False,
    ),
    Case(
        "date that is not a date",
        lambda p: customers().to_csv(p, index=False),
        ["--as-of", "yesterday"],
        "--as-of 'yesterday' is not a date; write it as YYYY-MM-DD",
        error=ConfigError,
        python=False,
    ),
    Case(
        "validation split of no rows",
        lambda p: customers().to_csv(p, index=False),
        ["data.val_fraction=0.0001"],
        "leaves no validation customers among 300",
        python=False,
    ),
    Case(
        "missing outcome column",
        lambda p: customers().to_csv(p, index=False),
        ["--outcome-columns", "churn"],
        "outcome column(s) ['churn'] not in",
        python=False,
    ),
    Case(
        "all-missing outcome",
        _edit(lambda f: f.insert(len(f.columns), "churn", np.nan)),
        ["--outcome-columns", "churn"],
        "is entirely missing",
        python=False,
    ),
    Case(
        "text in a numeric outcome",
        _edit(
            lambda f: f.insert(
                len(f.columns), "spend_next", [str(i) for i in range(len(f) - 1)] + ["unknown"]
            )
        ),
        ["--outcome-columns", "spend_next"],
        "is numeric but has text in 1 row(s), e.g. 'unknown'; fix or empty those cells",
        python=False,
    ),
    Case(
        "output path cannot be written",
        lambda p: customers().to_csv(p, index=False),
        ["--output-dir", "{tmp}/data.csv/run"],
        "is a file, not a folder; choose another --output-dir",
        error=OutputPathError,
        python=False,
    ),
]
if not torch.cuda.is_available():
    TRAIN_CASES.append(
        Case(
            "GPU asked for, none there",
            lambda p: customers().to_csv(p, index=False),
            ["--gpus", "1"],
            "CUDA is not available",
            error=ConfigError,
        )
    )


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def assert_one_line_error(result, message: str):
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert result.returncode == 2, result.stderr
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert all(line.startswith(("error: ", "warning: ")) for line in lines), result.stderr


def _train_args(case, tmp_path) -> list[str]:
    data = tmp_path / f"data{case.suffix}"
    if case.write is not None:
        case.write(data)
    args = [a.replace("{tmp}", str(tmp_path)) for a in case.args]
    if "--output-dir" not in args:
        args += ["--output-dir", str(tmp_path / "run")]
    if "--id-column" not in args:
        args += ["--id-column", "customer_id"]
    return ["--config", str(SMOKE), "--data", str(data), *args]


@pytest.mark.parametrize("case", TRAIN_CASES, ids=lambda c: c.name)
def test_train_refuses_bad_input_in_one_line(case, tmp_path, capsys):
    """The train command, run in this process (the command line's code path without a new
    interpreter per case): exit code 2, one line, nothing written."""
    from conftest import cli

    args = _train_args(case, tmp_path)
    before = _files(tmp_path)
    code, err = cli("train", *args, capsys=capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert code == 2, err
    assert len(errors) == 1 and case.message in errors[0], err
    assert all(line.startswith(("error: ", "warning: ")) for line in lines), err
    assert _files(tmp_path) == before  # no run dir, no temporary file


@pytest.mark.parametrize(
    "name", ["missing file", pytest.param("binary junk as csv", marks=pytest.mark.slow)]
)
def test_train_script_refuses_bad_input_in_one_line(name, tmp_path):
    """Two of the cases through ``scripts/train.py`` in a fresh interpreter, as a user runs it."""
    case = next(c for c in TRAIN_CASES if c.name == name)
    args = _train_args(case, tmp_path)
    before = _files(tmp_path)
    result = run_script("train.py", *args)
    assert_one_line_error(result, case.message)
    assert _files(tmp_path) == before


@pytest.mark.parametrize("case", [c for c in TRAIN_CASES if c.python], ids=lambda c: c.name)
def test_python_api_raises_the_specific_error(case, tmp_path):
    data = tmp_path / f"data{case.suffix}"
    if case.write is not None:
        case.write(data)
    args = dict(zip(case.args[::2], case.args[1::2]))
    with pytest.raises(case.error, match=_pattern(case.message)):
        ds = load_dataset(str(data), id_column=args.get("--id-column", "customer_id"))
        DeepEmbeddedClustering(
            int(args.get("--n-clusters", 5)),
            pretrain_epochs=1,
            refine_epochs=1,
            hidden_dims=(8,),
            embedding_dim=2,
            accelerator="gpu" if "--gpus" in args else "cpu",
        ).fit(ds.features)


def _pattern(message: str) -> str:
    import re

    return re.escape(message)


def test_python_api_config_errors():
    with pytest.raises(ConfigError, match="n_clusters must be at least 2"):
        DeepEmbeddedClustering(1).fit(customers().set_index("customer_id"))
    with pytest.raises(ConfigError):
        DeepEmbeddedClustering(3, pretrain_epochs="abc").fit(customers())


@pytest.mark.slow
def test_constant_column_warns_and_training_goes_on(tmp_path):
    data = tmp_path / "data.csv"
    customers().assign(store="web", const=7).to_csv(data, index=False)
    result = run_script(
        "train.py",
        "--config",
        str(SMOKE),
        "--data",
        str(data),
        "--id-column",
        "customer_id",
        "--output-dir",
        str(tmp_path / "run"),
    )
    assert result.returncode == 0, result.stderr
    assert (
        "warning: column 'const' is constant in the training data and is ignored" in result.stderr
    )
    assert "warning: column 'store' has a single category" in result.stderr
    assert (tmp_path / "run" / "model.pt").exists()


# ------------------------------------------------------------ predict and export
@pytest.fixture(scope="module")
def new_table():
    return customers(80).set_index("customer_id")


def _predict(run_dir, frame, tmp_path):
    path = tmp_path / "new.csv"
    frame.reset_index().to_csv(path, index=False)
    before = _files(tmp_path)
    result = run_script(
        "predict.py",
        "--run",
        str(run_dir),
        "--data",
        str(path),
        "--output",
        str(tmp_path / "out.csv"),
    )
    return result, before


def test_predict_missing_columns_is_one_line(smoke_run, tmp_path, new_table):
    result, before = _predict(smoke_run, new_table.drop(columns=["age", "channel"]), tmp_path)
    assert_one_line_error(result, "input is missing column(s) ['age', 'channel']")
    assert _files(tmp_path) == before


@pytest.mark.slow
def test_predict_extra_columns_and_unseen_categories_warn(smoke_run, tmp_path, new_table):
    frame = new_table.assign(coupon_code="X1")
    frame.loc[frame.index[:3], "channel"] = "kiosk"
    result, _ = _predict(smoke_run, frame, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "warning: ignoring column(s) the model was not trained with: ['coupon_code']"
        in result.stderr
    )
    assert (
        "warning: categories not seen in training were encoded as all zeros "
        "(channel: 'kiosk' (3 customers))" in result.stderr
    )
    # The training index name (customer_id) is found in the new table and used as the id.
    assert pd.read_csv(tmp_path / "out.csv")["id"].tolist() == new_table.index.tolist()


def test_predict_text_in_numeric_column_is_one_line(smoke_run, tmp_path, new_table):
    frame = new_table.copy()
    frame["age"] = frame["age"].astype(object)
    frame.loc[frame.index[2], "age"] = "n/a?"
    result, before = _predict(smoke_run, frame, tmp_path)
    assert_one_line_error(result, "column 'age' must be numeric but holds text such as 'n/a?'")
    assert _files(tmp_path) == before


@pytest.mark.parametrize(
    "script, output, message",
    [
        ("predict.py", "no/such/folder/out.csv", "does not exist; create it first"),
        ("predict.py", "out.xlsx", "must end in .parquet, .csv, .npz"),
        ("export.py", "folder.csv", "it is a folder; give a file name"),
    ],
)
def test_unwritable_outputs_fail_before_any_work(
    smoke_run, tmp_path, new_table, script, output, message
):
    path = tmp_path / "new.csv"
    new_table.reset_index().to_csv(path, index=False)
    (tmp_path / "folder.csv").mkdir()
    before = _files(tmp_path)
    result = run_script(
        script, "--run", str(smoke_run), "--data", str(path), "--output", str(tmp_path / output)
    )
    assert_one_line_error(result, message)
    assert _files(tmp_path) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_read_only_output_folder(smoke_run, tmp_path, new_table):
    path = tmp_path / "new.csv"
    new_table.reset_index().to_csv(path, index=False)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = run_script(
        "predict.py",
        "--run",
        str(smoke_run),
        "--data",
        str(path),
        "--output",
        str(locked / "out.csv"),
    )
    assert_one_line_error(result, "is not writable")
    assert not any(locked.iterdir())


def test_schema_error_type_in_python(smoke_run, new_table):
    model = DeepEmbeddedClustering.load(smoke_run)
    with pytest.raises(SchemaError, match="missing column"):
        model.predict(new_table.drop(columns=["age"]))


class _Exploit:
    """Unpickling this would run a shell command that creates ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.slow
def test_planted_malicious_model_is_refused_without_running(smoke_run, tmp_path, new_table):
    import shutil

    from dec.errors import UnsafeModelError

    run_dir = tmp_path / "run"
    shutil.copytree(smoke_run, run_dir)
    marker = tmp_path / "pwned"
    torch.save({"centers": _Exploit(marker)}, run_dir / "model.pt")
    result = run_script(
        "predict.py",
        "--run",
        str(run_dir),
        "--data",
        "unused.csv",
        "--output",
        str(tmp_path / "out.csv"),
    )
    assert_one_line_error(result, "model.pt changed after training finished")
    # Whoever can plant a file can rewrite the manifest too: the file is still never run.
    from dec.utils import files

    listed = files.read_json(run_dir / "manifest.json")["files"]
    files.write_json(
        run_dir / "manifest.json",
        {"files": {name: files.sha256(run_dir / name) for name in listed}},
    )
    path = tmp_path / "new.csv"
    new_table.reset_index().to_csv(path, index=False)
    result = run_script(
        "predict.py",
        "--run",
        str(run_dir),
        "--data",
        str(path),
        "--output",
        str(tmp_path / "out.csv"),
    )
    assert_one_line_error(result, "refusing to load")
    with pytest.raises(UnsafeModelError, match="only load model files you trust"):
        DeepEmbeddedClustering.load(run_dir)
    assert not marker.exists() and not (tmp_path / "out.csv").exists()
