import re

import numpy as np
import pandas as pd
import pytest
from conftest import SMOKE, run_script
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

from dec import DeepEmbeddedClustering, load_dataset
from dec.errors import DataError, SchemaError

FAST = dict(
    hidden_dims=(16,),
    embedding_dim=4,
    pretrain_epochs=2,
    refine_epochs=2,
    batch_size=64,
    n_init=2,
    update_interval=5,
)


@pytest.fixture(scope="module")
def customers():
    return load_dataset("synthetic", n_samples=500, random_state=2)


@pytest.fixture(scope="module")
def fitted(customers):
    return DeepEmbeddedClustering(5, random_state=0, **FAST).fit(customers.features)


def test_fit_on_mixed_dataframe(fitted, customers):
    n = len(customers)
    assert fitted.labels_.shape == (n,) and set(fitted.labels_) <= set(range(5))
    assert fitted.cluster_centers_.shape == (5, 4)
    assert fitted.n_features_in_ == customers.features.shape[1]
    assert list(fitted.feature_names_in_) == list(customers.features.columns)
    proba = fitted.predict_proba(customers.features)
    assert proba.shape == (n, 5) and np.allclose(proba.sum(1), 1, atol=1e-5)
    np.testing.assert_array_equal(proba.argmax(1), fitted.labels_)
    assert fitted.transform(customers.features).shape == (n, 4)


def test_fit_on_float_array_and_fit_predict():
    x = np.random.default_rng(0).normal(size=(300, 6))
    x[:150] += 4
    model = DeepEmbeddedClustering(2, random_state=0, **FAST)
    labels = model.fit_predict(x)
    assert labels.shape == (300,) and not hasattr(model, "feature_names_in_")
    assert model.n_features_in_ == 6
    with pytest.raises(
        DataError,
        match="X has 5 features, but DeepEmbeddedClustering is expecting 6 features as input",
    ):
        model.predict(x[:, :5])


@pytest.fixture(scope="module")
def on_array():
    """A model fitted on a plain (60, 4) float array, and that array."""
    x = np.random.default_rng(4).normal(size=(60, 4))
    return DeepEmbeddedClustering(2, random_state=0, **FAST).fit(x), x


@pytest.mark.parametrize("method", ["predict", "predict_proba", "transform"])
def test_other_number_of_features_is_refused_in_sklearn_words(on_array, method):
    model, x = on_array
    with pytest.raises(
        DataError,
        match="X has 3 features, but DeepEmbeddedClustering is expecting 4 features as input",
    ):
        getattr(model, method)(x[:, :3])


def test_one_dimensional_input_asks_for_a_reshape(on_array):
    model, x = on_array
    with pytest.raises(
        ValueError, match="(?s)Expected 2D array, got 1D array instead.*Reshape your data"
    ):
        model.predict(x[0])


def test_complex_input_is_refused_not_cast_to_its_real_part(on_array, customers):
    model, x = on_array
    with pytest.raises(ValueError, match="Complex data not supported"):
        DeepEmbeddedClustering(2, random_state=0, **FAST).fit(x + 1j)
    with pytest.raises(ValueError, match="Complex data not supported"):
        model.predict(x + 1j)
    frame = customers.features.assign(income=customers.features["income"] + 0j)
    with pytest.raises(DataError, match=r"\['income'\] hold complex numbers"):
        DeepEmbeddedClustering(2, random_state=0, **FAST).fit(frame)


def test_infinity_is_refused_and_missing_values_are_imputed(on_array):
    model, x = on_array
    with_inf, with_nan = x.copy(), x.copy()
    with_inf[0, 1], with_nan[0, 1] = np.inf, np.nan
    # refused by the preprocessing, which names the column (by position in an array)
    infinite = "column 'x1' holds infinite values"
    with pytest.raises(DataError, match=infinite):
        DeepEmbeddedClustering(2, random_state=0, **FAST).fit(with_inf)
    with pytest.raises(DataError, match=infinite):
        model.transform(with_inf)
    # NaN is imputed by design (the allow_nan input tag): the row gets a segment
    assert get_tags(model).input_tags.allow_nan
    labels = DeepEmbeddedClustering(2, random_state=0, **FAST).fit(with_nan).labels_
    assert labels.shape == (60,) and set(labels) <= {0, 1}
    assert np.isfinite(model.predict_proba(with_nan)).all()


def test_sparse_input_is_refused_by_name(on_array):
    model, x = on_array
    message = r"does not support sparse input \(got csr_matrix\); convert it with X.toarray()"
    with pytest.raises(TypeError, match=message):
        DeepEmbeddedClustering(2, random_state=0, **FAST).fit(sparse.csr_matrix(x))
    with pytest.raises(TypeError, match=message):
        model.predict(sparse.csr_matrix(x))


def test_too_little_data_gets_sklearns_messages(on_array):
    _, x = on_array
    model = DeepEmbeddedClustering(2, random_state=0, **FAST)
    with pytest.raises(
        DataError,
        match=r"Found array with 1 sample\(s\) \(shape=\(1, 4\)\) "
        "while a minimum of 2 is required",
    ):
        model.fit(x[:1])
    with pytest.raises(
        DataError,
        match=r"Found array with 0 feature\(s\) \(shape=\(60, 0\)\) "
        "while a minimum of 1 is required",
    ):
        model.fit(x[:, :0])
    with pytest.raises(DataError, match=r"Found array with 0 sample\(s\)"):
        model.fit(x[:0])


def test_text_in_a_plain_array_points_to_a_dataframe(on_array):
    _, x = on_array
    text = x.astype(object)
    text[:, 0] = "web"
    with pytest.raises(
        DataError, match="could not convert string to float.*text columns need a pandas DataFrame"
    ):
        DeepEmbeddedClustering(2, random_state=0, **FAST).fit(text)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "transform", "preprocess"])
def test_every_method_says_not_fitted(method):
    with pytest.raises(NotFittedError):
        getattr(DeepEmbeddedClustering(2), method)(np.zeros((3, 4)))


def test_array_and_dataframe_are_not_mixed_up(fitted, customers, on_array):
    with pytest.raises(
        DataError,
        match="fitted on a DataFrame.*the columns "
        + re.escape(str(list(customers.features.columns))),
    ):
        fitted.predict(customers.features.to_numpy())
    # fitted without names, a DataFrame goes by position, with scikit-learn's warning
    model, x = on_array
    frame = pd.DataFrame(x, columns=["d", "c", "b", "a"])
    with pytest.warns(
        UserWarning,
        match="X has feature names, but DeepEmbeddedClustering was fitted without feature names",
    ):
        np.testing.assert_array_equal(model.predict(frame), model.labels_)


def test_save_load_gives_identical_labels_and_embeddings(fitted, customers, tmp_path):
    fitted.save(tmp_path / "model")
    loaded = DeepEmbeddedClustering.load(tmp_path / "model")
    np.testing.assert_array_equal(loaded.predict(customers.features), fitted.labels_)
    np.testing.assert_array_equal(
        loaded.transform(customers.features), fitted.transform(customers.features)
    )
    assert loaded.get_params() == fitted.get_params()


def test_clone_params_and_not_fitted(fitted):
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params() and not hasattr(copy, "labels_")
    with pytest.raises(NotFittedError):
        copy.predict(np.zeros((2, 3)))
    assert copy.set_params(gamma=0.0).gamma == 0.0


def test_inside_sklearn_pipeline():
    x = np.random.default_rng(1).normal(size=(200, 4))
    pipe = Pipeline(
        [("scale", StandardScaler()), ("dec", DeepEmbeddedClustering(3, random_state=0, **FAST))]
    )
    assert pipe.fit(x).predict(x).shape == (200,)
    assert pipe.transform(x).shape == (200, 4)


def test_same_seed_same_labels(customers):
    a = DeepEmbeddedClustering(5, random_state=3, **FAST).fit(customers.features).labels_
    b = DeepEmbeddedClustering(5, random_state=3, **FAST).fit(customers.features).labels_
    np.testing.assert_array_equal(a, b)


def test_missing_column_at_predict_is_named(fitted, customers):
    with pytest.raises(SchemaError, match="'income'"):
        fitted.predict(customers.features.drop(columns=["income"]))


def test_script_run_loads_in_python(tmp_path, customers):
    run_dir = tmp_path / "run"
    result = run_script("train.py", "--config", str(SMOKE), "--output-dir", str(run_dir))
    assert result.returncode == 0, result.stderr
    model = DeepEmbeddedClustering.load(run_dir)
    assert model.n_clusters == 5 and model.hidden_dims == (16,)
    labels = model.predict(customers.features)
    assert labels.shape == (len(customers),)


@pytest.mark.slow
def test_python_model_works_with_the_scripts(fitted, customers, tmp_path):
    import pandas as pd

    run_dir = fitted.save(tmp_path / "model")
    data = tmp_path / "customers.csv"
    customers.features.to_csv(data)  # the index is written as the customer_id column
    out = tmp_path / "segments.csv"
    result = run_script(
        "predict.py", "--run", str(run_dir), "--data", str(data), "--output", str(out)
    )
    assert result.returncode == 0, result.stderr
    predicted = pd.read_csv(out)
    np.testing.assert_array_equal(predicted["segment"], fitted.labels_)
    # the model remembers the index name it was fitted with and finds it in the table
    assert predicted["id"].tolist() == customers.features.index.tolist()
    refused = run_script("export.py", "--run", str(run_dir), "--output", str(tmp_path / "e.csv"))
    assert refused.returncode == 2 and "pass --data PATH" in refused.stderr
    tested = run_script("test.py", "--run", str(run_dir))
    assert tested.returncode == 2 and "fitted in Python on in-memory data" in tested.stderr


def test_gaussian_mixture_head_fits_saves_and_loads(customers, tmp_path):
    model = DeepEmbeddedClustering(3, kernel="gaussian", random_state=0, **FAST)
    model.fit(customers.features)
    proba = model.predict_proba(customers.features)
    assert np.allclose(proba.sum(1), 1, atol=1e-5)
    np.testing.assert_array_equal(proba.argmax(1), model.labels_)
    head = model.model_
    weights = head.log_weights.detach().softmax(0).numpy()
    assert weights.shape == (3,) and np.isfinite(head.scale_ceiling.item())
    loaded = DeepEmbeddedClustering.load(model.save(tmp_path / "model"))
    np.testing.assert_array_equal(loaded.predict(customers.features), model.labels_)
    np.testing.assert_allclose(loaded.predict_proba(customers.features), proba, atol=1e-6)
