"""Property tests: arbitrary tables and transaction logs either give finite features or
one of the package's own errors, never a crash from inside pandas or NumPy."""

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dec.data.logs.transactions import clean_transactions, customer_features, holdout_outcomes
from dec.data.preprocessing import Preprocessor
from dec.errors import DecError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

extreme_floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=False, width=64),
    st.sampled_from([0.0, -0.0, 1e-300, -1e300, 1e300, 1e15, np.nan]),
)
cells = {
    "float": extreme_floats,
    "int": st.integers(min_value=-(2**62), max_value=2**62),
    "bool": st.booleans(),
    "text": st.one_of(st.none(), st.text(max_size=6)),
    "mixed": st.one_of(st.none(), extreme_floats, st.integers(-1000, 1000), st.text(max_size=4)),
    "numeric_text": st.one_of(
        st.none(), st.floats(-1e6, 1e6).map(str), st.sampled_from(["n/a", "?"])
    ),
}


@st.composite
def tables(draw):
    n_rows = draw(st.integers(min_value=1, max_value=25))
    kinds = draw(st.lists(st.sampled_from(sorted(cells)), min_size=1, max_size=6))
    columns = {}
    for j, kind in enumerate(kinds):
        values = draw(st.lists(cells[kind], min_size=n_rows, max_size=n_rows))
        columns[f"{kind}_{j}"] = pd.Series(values, dtype=float if kind == "float" else None)
    return pd.DataFrame(columns)


def _fit_transform(frame, new=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pre = Preprocessor().fit(frame)
        return pre.transform(frame), pre.transform(new if new is not None else frame)


@SETTINGS
@given(tables())
def test_preprocessing_is_finite_or_a_clear_error(frame):
    try:
        train, again = _fit_transform(frame)
    except DecError as err:
        assert str(err) and "\n" not in str(err)
        return
    assert train.dtype == np.float32 and train.shape[0] == len(frame)
    assert np.isfinite(train).all()
    np.testing.assert_array_equal(train, again)


@SETTINGS
@given(tables(), st.sampled_from([1e300, -1e300, 1e30, 0.0]))
def test_new_customers_with_extreme_values_stay_finite(frame, extreme):
    numeric = [c for c in frame.columns if c.startswith(("float", "int"))]
    new = frame.copy()
    for column in numeric:
        new[column] = extreme
    try:
        _, transformed = _fit_transform(frame, new)
    except DecError:
        return
    assert np.isfinite(transformed).all()


dates = st.datetimes(
    min_value=pd.Timestamp("1970-01-01").to_pydatetime(),
    max_value=pd.Timestamp("2100-12-31").to_pydatetime(),
)


@st.composite
def transaction_logs(draw):
    n = draw(st.integers(min_value=1, max_value=30))
    ids = draw(
        st.lists(
            st.one_of(st.integers(0, 5), st.sampled_from(["a", "b", " a", "é"])),
            min_size=n,
            max_size=n,
        )
    )
    when = draw(st.lists(dates, min_size=n, max_size=n))
    style = draw(st.sampled_from(["iso", "compact", "timestamp"]))
    if style == "iso":
        when = [d.strftime("%Y-%m-%d") for d in when]
    elif style == "compact":
        when = [d.strftime("%Y%m%d") for d in when]
    amounts = draw(
        st.lists(
            st.one_of(st.floats(-1e12, 1e12), st.sampled_from([0.0, 1e300])), min_size=n, max_size=n
        )
    )
    quantities = draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n))
    return pd.DataFrame({"id": ids, "date": when, "amount": amounts, "quantity": quantities})


@SETTINGS
@given(transaction_logs(), dates)
def test_transaction_features_are_finite_or_a_clear_error(log, as_of):
    try:
        clean = clean_transactions(log)
        features = customer_features(clean, as_of)
        outcomes = holdout_outcomes(clean, as_of, features.index)
    except DecError as err:
        assert str(err) and "\n" not in str(err)
        return
    assert len(features) >= 1 and features.index.is_unique
    assert np.isfinite(features.to_numpy(dtype=float)).all()
    assert (features["recency_days"] >= 0).all()
    assert (features["tenure_days"] >= features["recency_days"]).all()
    assert np.isfinite(outcomes.to_numpy(dtype=float)).all()
    assert set(outcomes["holdout_active"].unique()) <= {0.0, 1.0}


@SETTINGS
@given(transaction_logs())
def test_garbage_in_date_or_amount_is_named(log):
    broken = log.astype({"date": object, "amount": object})
    broken.loc[broken.index[0], "date"] = "not a date"
    try:
        clean_transactions(broken)
    except DecError as err:
        assert "not a date" in str(err)
    else:
        raise AssertionError("a bad date was accepted")
