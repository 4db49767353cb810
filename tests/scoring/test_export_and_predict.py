"""scripts/export.py and scripts/predict.py on a shrunk run, as a user runs them."""

import numpy as np
import pandas as pd
import pytest
from conftest import run_script

from dec import DeepEmbeddedClustering
from dec.data.synthetic import make_customers


@pytest.fixture(scope="module")
def new_customers(tmp_path_factory):
    frame, _ = make_customers(250, random_state=7)
    path = tmp_path_factory.mktemp("new") / "new.csv"
    frame.reset_index().to_csv(path, index=False)
    return path


def _columns(d, k):
    return ["id", "segment", *[f"z_{j}" for j in range(d)], *[f"p_{j}" for j in range(k)]]


@pytest.mark.parametrize(
    "suffix",
    [
        ".parquet",
        pytest.param(".csv", marks=pytest.mark.slow),
        pytest.param(".npz", marks=pytest.mark.slow),
    ],
)
def test_export_has_documented_columns_for_every_row(smoke_run, tmp_path, suffix):
    out = tmp_path / f"export{suffix}"
    result = run_script("export.py", "--run", str(smoke_run), "--output", str(out))
    assert result.returncode == 0, result.stderr
    if suffix == ".npz":
        data = np.load(out)
        assert data["id"].shape == (600,) and data["z"].shape == (600, 4)
        assert data["p"].shape == (600, 5)
        np.testing.assert_array_equal(data["p"].argmax(1), data["segment"])
        return
    frame = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    assert list(frame.columns) == _columns(4, 5) and len(frame) == 600
    assert frame["id"].is_unique
    np.testing.assert_allclose(frame.filter(like="p_").sum(axis=1), 1.0, atol=1e-5)


def test_export_matches_estimator_and_onnx_matches_torch(smoke_run, tmp_path, new_customers):
    onnxruntime = pytest.importorskip("onnxruntime")
    out, onnx_path = tmp_path / "e.parquet", tmp_path / "encoder.onnx"
    result = run_script(
        "export.py",
        "--run",
        str(smoke_run),
        "--data",
        str(new_customers),
        "--output",
        str(out),
        "--onnx",
        str(onnx_path),
    )
    assert result.returncode == 0, result.stderr
    model = DeepEmbeddedClustering.load(smoke_run)
    frame = pd.read_csv(new_customers, index_col="customer_id")
    exported = pd.read_parquet(out)
    torch_z = model.transform(frame)
    np.testing.assert_allclose(exported.filter(like="z_").to_numpy(), torch_z, atol=1e-6)
    session = onnxruntime.InferenceSession(str(onnx_path))
    inputs = model.preprocess(frame).numpy()
    onnx_z = session.run(None, {"inputs": inputs})[0]
    assert np.abs(onnx_z - torch_z).max() < 1e-4


@pytest.mark.slow
def test_predict_new_customers_is_stable(smoke_run, tmp_path, new_customers):
    outputs = []
    for name in ("a.csv", "b.csv"):
        result = run_script(
            "predict.py",
            "--run",
            str(smoke_run),
            "--data",
            str(new_customers),
            "--output",
            str(tmp_path / name),
        )
        assert result.returncode == 0, result.stderr
        outputs.append(pd.read_csv(tmp_path / name))
    a, b = outputs
    assert list(a.columns) == ["id", "segment", *[f"p_{j}" for j in range(5)]]
    assert len(a) == 250
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.slow
def test_predict_missing_column_is_one_line_and_writes_nothing(smoke_run, tmp_path, new_customers):
    broken = tmp_path / "broken.csv"
    pd.read_csv(new_customers).drop(columns=["income"]).to_csv(broken, index=False)
    out = tmp_path / "out.csv"
    result = run_script(
        "predict.py", "--run", str(smoke_run), "--data", str(broken), "--output", str(out)
    )
    assert result.returncode == 2 and "'income'" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()
    assert list(tmp_path.iterdir()) == [broken]  # no temporary file either


@pytest.mark.slow
def test_predict_unseen_category_is_counted_in_a_warning(smoke_run, tmp_path, new_customers):
    changed = tmp_path / "changed.csv"
    pd.read_csv(new_customers).assign(channel="kiosk").to_csv(changed, index=False)
    result = run_script(
        "predict.py",
        "--run",
        str(smoke_run),
        "--data",
        str(changed),
        "--output",
        str(tmp_path / "out.parquet"),
    )
    assert result.returncode == 0, result.stderr
    assert "channel: 'kiosk' (250 customers)" in result.stderr


def test_bad_output_format_is_refused_before_work(smoke_run, tmp_path):
    result = run_script("export.py", "--run", str(smoke_run), "--output", str(tmp_path / "x.xlsx"))
    assert result.returncode == 2 and "must end in .parquet, .csv, .npz" in result.stderr
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_tables_are_read_in_batches_with_the_same_result(
    smoke_run, tmp_path, new_customers, suffix
):
    from dec.errors import DataError
    from dec.scoring.export import customer_batches, score_batches

    model = DeepEmbeddedClustering.load(smoke_run)
    table = pd.read_csv(new_customers)
    path = tmp_path / f"new{suffix}"
    table.to_parquet(path) if suffix == ".parquet" else table.to_csv(path, index=False)
    batches = list(customer_batches(model, path, batch_rows=60))
    assert [len(b) for b in batches] == [60, 60, 60, 60, 10]
    whole = pd.concat(batches)
    assert whole.index.tolist() == table["customer_id"].tolist()
    scored = pd.concat(score_batches(model, batches))
    np.testing.assert_array_equal(scored["segment"], model.predict(table.set_index("customer_id")))

    # Row numbers run on across batches when there is no id column.
    no_ids = tmp_path / f"no_ids{suffix}"
    plain = table.drop(columns="customer_id")
    plain.to_parquet(no_ids) if suffix == ".parquet" else plain.to_csv(no_ids, index=False)
    assert pd.concat(customer_batches(model, no_ids, batch_rows=60)).index.tolist() == list(
        range(250)
    )

    # A duplicate id in another batch is still found.
    dup = table.copy()
    dup.loc[200, "customer_id"] = dup.loc[3, "customer_id"]
    dup_path = tmp_path / f"dup{suffix}"
    dup.to_parquet(dup_path) if suffix == ".parquet" else dup.to_csv(dup_path, index=False)
    with pytest.raises(DataError, match="duplicate ids"):
        list(customer_batches(model, dup_path, batch_rows=60))
