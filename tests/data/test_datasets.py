import numpy as np
import pandas as pd
import pytest

from dec.data import load_dataset, split_indices
from dec.errors import DataError


def test_synthetic_and_digits():
    ds = load_dataset("synthetic", n_samples=300)
    assert len(ds) == 300 and ds.labels.shape == (300,) and ds.outcomes is None
    digits = load_dataset("digits")
    assert digits.features.shape == (1797, 64) and set(digits.labels) == set(range(10))


def test_csv_with_id_label_and_dropped_columns(tmp_path):
    path = tmp_path / "customers.csv"
    pd.DataFrame(
        {
            "cid": ["a", "b", "c"],
            "spend": [1.0, 2.0, 3.0],
            "seg": ["x", "y", "x"],
            "junk": [0, 0, 0],
        }
    ).to_csv(path, index=False)
    ds = load_dataset(str(path), id_column="cid", label_column="seg", drop_columns=["junk"])
    assert list(ds.features.columns) == ["spend"] and list(ds.features.index) == ["a", "b", "c"]
    np.testing.assert_array_equal(ds.labels, [0, 1, 0])


def test_parquet(tmp_path):
    path = tmp_path / "c.parquet"
    pd.DataFrame({"spend": [1.0, 2.0]}).to_parquet(path)
    assert load_dataset(str(path)).features.shape == (2, 1)


@pytest.mark.parametrize(
    "content, kwargs, message",
    [
        (None, {}, "not found"),
        ("", {}, "is empty"),
        ("a,b\n", {}, "header but no customer rows"),
        ("a,b\n1,2\n", {"id_column": "cid"}, "id column 'cid' not in"),
        ("cid,b\n1,2\n1,3\n", {"id_column": "cid"}, "duplicate ids"),
        ("a,b\n1,2\n", {"label_column": "seg"}, "label column 'seg' not in"),
        ("a,b\n1,2\n", {"drop_columns": ["zz"]}, "drop column"),
    ],
)
def test_bad_tables_raise_data_error(tmp_path, content, kwargs, message):
    path = tmp_path / "t.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DataError, match=message):
        load_dataset(str(path), **kwargs)


def test_unknown_extension(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_text("x")
    with pytest.raises(DataError, match="use a .csv or .parquet"):
        load_dataset(str(path))


def test_split_is_seeded_disjoint_and_complete():
    tr, va, te = split_indices(100, val_fraction=0.1, test_fraction=0.2, random_state=0)
    assert (len(tr), len(va), len(te)) == (70, 10, 20)
    assert len(set(tr) | set(va) | set(te)) == 100
    again = split_indices(100, val_fraction=0.1, test_fraction=0.2, random_state=0)
    assert all(np.array_equal(a, b) for a, b in zip((tr, va, te), again))


@pytest.mark.parametrize(
    "name, rows, outcome, rate, digest",
    [
        (
            "mlc_churn",
            5000,
            "churn",
            0.1414,
            "120d033b199b19ce27b556665fb684d7498278593384aef8755f62c7dc16d332",
        ),
        (
            "attrition",
            1470,
            "Attrition",
            0.1612,
            "22db7ee590589479392aeb9f44b9e11ea8d9c2458cc0fd942e8c233d95393d4b",
        ),
    ],
)
def test_shipped_tables_keep_their_outcome_out_of_the_features(name, rows, outcome, rate, digest):
    import gzip
    import hashlib

    from dec.utils.resources import shipped_data

    raw = gzip.open(shipped_data(f"modeldata/{name}.csv.gz")).read()
    assert hashlib.sha256(raw).hexdigest() == digest
    ds = load_dataset(name)
    assert len(ds) == rows and outcome not in ds.features.columns
    assert list(ds.outcomes.columns) == [outcome]
    assert ds.outcomes[outcome].mean() == pytest.approx(rate, abs=1e-4)


def test_outcome_columns_of_a_table(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "x": [1.0, 2.0, 3.0, 4.0],
            "churned": ["no", "yes", "no", "no"],
            "spend_next": [5, 0, 3, 1],
        }
    ).to_csv(path, index=False)
    ds = load_dataset(str(path), id_column="id", outcome_columns=["churned", "spend_next"])
    assert list(ds.features.columns) == ["x"]
    assert ds.outcomes["churned"].tolist() == [0.0, 1.0, 0.0, 0.0]
    with pytest.raises(DataError, match="outcome column\\(s\\) \\['nope'\\] not in"):
        load_dataset(str(path), id_column="id", outcome_columns=["nope"])


def test_missing_labels_are_counted_and_kept_out_of_the_classes(tmp_path):
    import warnings

    path = tmp_path / "t.csv"
    pd.DataFrame({"x": range(6), "segment": ["a", "b", None, "a", None, "b"]}).to_csv(
        path, index=False
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = load_dataset(str(path), label_column="segment")
    assert list(ds.labels) == [0, 1, -1, 0, -1, 1]
    assert any("missing for 2 customer(s)" in str(w.message) for w in caught)


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_other_separators_are_read_with_a_warning(tmp_path, sep):
    from dec.data.synthetic import make_customers

    table, _ = make_customers(50, random_state=0)
    path = tmp_path / "t.csv"
    table.reset_index().to_csv(path, index=False, sep=sep)
    with pytest.warns(UserWarning, match="columns are separated by"):
        ds = load_dataset(str(path), id_column="customer_id")
    assert list(ds.features.columns) == list(table.columns)
    assert len(ds) == 50
