import json
import warnings

import numpy as np
import pandas as pd
import pytest

from dec.data import Preprocessor
from dec.errors import DataError, SchemaError


@pytest.fixture
def table():
    return pd.DataFrame(
        {
            "spend": [10.0, 20.0, np.nan, 1000.0, 15.0, 12.0, 11.0, 5000.0],
            "age": [30, 40, 50, 60, 35, 45, 55, 65],
            "channel": ["app", "web", None, "app", "web", "app", "store", "app"],
        }
    )


def test_numeric_columns_are_imputed_logged_and_standardised(table):
    pre = Preprocessor().fit(table)
    spend = pre.columns_[0]
    assert spend.log1p  # non-negative and heavily skewed
    assert spend.fill == pytest.approx(15.0)  # median of the observed values
    out = pre.transform(table)
    assert out.dtype == np.float32
    assert np.isfinite(out).all()
    assert out[:, 0].mean() == pytest.approx(0.0, abs=1e-6)
    assert out[:, 0].std() == pytest.approx(1.0, abs=1e-5)
    assert not pre.columns_[1].log1p  # age is not skewed


def test_categoricals_one_hot_with_missing_as_a_category(table):
    pre = Preprocessor().fit(table)
    assert pre.feature_names_out_ == [
        "spend",
        "age",
        "channel=(missing)",
        "channel=app",
        "channel=store",
        "channel=web",
    ]
    out = pre.transform(table)
    np.testing.assert_array_equal(out[:, 2:].sum(1), np.ones(len(table)))
    assert out[2, 2] == 1.0  # the missing channel


def test_json_round_trip_gives_identical_output(table, tmp_path):
    pre = Preprocessor(categorical_columns=["age"]).fit(table)
    pre.save(tmp_path / "pre.json")
    json.loads((tmp_path / "pre.json").read_text())  # plain JSON, no pickle
    loaded = Preprocessor.load(tmp_path / "pre.json")
    np.testing.assert_array_equal(loaded.transform(table), pre.transform(table))
    assert loaded.feature_names_out_ == pre.feature_names_out_


def test_fit_on_train_only_statistics(table):
    pre = Preprocessor().fit(table.iloc[:4])
    assert pre.columns_[1].mean == pytest.approx(45.0)  # ages 30..60 only


def test_missing_column_is_an_error_naming_it(table):
    pre = Preprocessor().fit(table)
    with pytest.raises(SchemaError, match="'age'"):
        pre.transform(table.drop(columns=["age"]))


def test_extra_column_warns_and_is_ignored(table):
    pre = Preprocessor().fit(table)
    with pytest.warns(UserWarning, match="not trained with: \\['extra'\\]"):
        out = pre.transform(table.assign(extra=1))
    assert out.shape[1] == len(pre.feature_names_out_)


def test_unseen_category_is_zero_and_counted(table):
    pre = Preprocessor().fit(table)
    new = table.assign(channel=["phone"] * len(table))
    with pytest.warns(UserWarning, match=r"channel: 'phone' \(8 customers\)"):
        out = pre.transform(new)
    assert (out[:, 2:] == 0).all()


def test_text_in_numeric_column_is_an_error(table):
    pre = Preprocessor().fit(table)
    bad = table.astype({"age": object})
    bad.loc[3, "age"] = "sixty"
    with pytest.raises(SchemaError, match="'age' must be numeric.*'sixty'"):
        pre.transform(bad)


def test_constant_column_warns_and_is_dropped(table):
    with pytest.warns(UserWarning, match="'flag' is constant"):
        pre = Preprocessor().fit(table.assign(flag=1.0))
    assert "flag" not in pre.feature_names_out_


def test_all_missing_and_infinite_columns_are_errors(table):
    with pytest.raises(DataError, match="'empty' is entirely missing"):
        Preprocessor().fit(table.assign(empty=np.nan))
    with pytest.raises(DataError, match="'spend' holds infinite"):
        Preprocessor().fit(table.assign(spend=np.inf))


def test_plain_array_input():
    x = np.random.default_rng(0).normal(size=(20, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = Preprocessor().fit_transform(x)
    assert out.shape == (20, 3)


def test_scaling_none_keeps_numbers_as_given_and_survives_json(table, tmp_path):
    pre = Preprocessor(scaling="none").fit(table)
    out = pre.transform(table)
    np.testing.assert_allclose(out[:, 0], table["spend"].fillna(15.0), rtol=1e-6)
    np.testing.assert_allclose(out[:, 1], table["age"])
    pre.save(tmp_path / "p.json")
    np.testing.assert_array_equal(Preprocessor.load(tmp_path / "p.json").transform(table), out)


def test_numbers_stored_as_text_are_numeric_and_stray_text_is_an_error():
    numbers_as_text = pd.DataFrame({"age": ["30", "41", None, "52.5"], "x": [1, 2, 3, 4]})
    pre = Preprocessor().fit(numbers_as_text)
    assert pre.feature_names_out_ == ["age", "x"]  # one numeric column, not four categories
    typo = pd.DataFrame({"age": [str(a) for a in range(20, 40)] + ["thirty"]})
    with pytest.raises(
        DataError, match="column 'age' must be numeric but holds text such as 'thirty'"
    ):
        Preprocessor().fit(typo)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert Preprocessor(categorical_columns=["age"]).fit(typo).columns_[0].categories


def test_scaling_shared_divides_every_numeric_column_by_the_largest_value(tmp_path):
    pixels = pd.DataFrame(
        {"a": [0.0, 8.0, 16.0, 4.0], "b": [2.0, 0.0, 1.0, 12.0], "c": [None, 0.0, 4.0, 8.0]}
    )
    pre = Preprocessor(scaling="shared").fit(pixels)
    out = pre.transform(pixels)
    # 16 is the largest grey level: each column is divided by it, the relative scale kept.
    np.testing.assert_allclose(out[:, 0], [0.0, 0.5, 1.0, 0.25])
    np.testing.assert_allclose(out[:, 1], [0.125, 0.0, 0.0625, 0.75])
    np.testing.assert_allclose(out[:, 2], [0.25, 0.0, 0.25, 0.5])  # missing: median 4
    pre.save(tmp_path / "p.json")
    np.testing.assert_array_equal(Preprocessor.load(tmp_path / "p.json").transform(pixels), out)


def test_huge_finite_values_are_scaled_not_mistaken_for_a_constant_column():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"income": np.r_[rng.normal(5e4, 1e4, 300), [1e300] * 6], "age": rng.normal(40, 10, 306)}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning, no false "constant" warning
        pre = Preprocessor().fit(frame)
    assert [c.name for c in pre.columns_] == ["income", "age"]
    assert pre.columns_[0].log1p  # the skew is measured, not lost to an overflow
    assert np.isfinite(pre.transform(frame)).all()


def test_unseen_categories_are_named_most_frequent_first():
    from dec.data.columns import unseen_detail as _unseen_detail

    values = pd.Series(["DE", "FR", "DE", "IT", "ES", "DE", "FR"])
    assert _unseen_detail(values) == "'DE', 'FR', 'ES' and 1 more (7 customers)"
    assert _unseen_detail(pd.Series(["x"])) == "'x' (1 customer)"
