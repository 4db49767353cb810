"""Split and preprocess: a data set becomes train / val / test matrices.

The preprocessor is fitted on the training rows only; the test rows are never used by any
fit. A trained run's data is prepared again exactly as in training from its config and its
saved preprocessor.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from dec.config import Config
from dec.data.dataset import Dataset
from dec.data.preprocessing import Preprocessor, check_no_roles
from dec.data.sources import load_dataset
from dec.errors import DataError, RunDirError


@dataclass
class PreparedData:
    """A data set split and preprocessed; the test rows are never used by any fit."""

    dataset: Dataset
    preprocessor: Preprocessor
    train_index: np.ndarray
    val_index: np.ndarray
    test_index: np.ndarray
    X_train: np.ndarray
    X_val: np.ndarray
    X_test: np.ndarray

    def labels(self, part: str) -> np.ndarray | None:
        if self.dataset.labels is None:
            return None
        return self.dataset.labels[getattr(self, f"{part}_index")]

    def X_all(self) -> np.ndarray:
        """Every row's preprocessed features, in the data set's own order."""
        x = np.empty((len(self.dataset), self.X_train.shape[1]), dtype=np.float32)
        for part in ("train", "val", "test"):
            x[getattr(self, f"{part}_index")] = getattr(self, f"X_{part}")
        return x


def split_indices(
    n_samples: int, *, val_fraction: float, test_fraction: float, random_state: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded train/val/test split of row positions; the same seed gives the same split."""
    order = np.random.default_rng(random_state).permutation(n_samples)
    n_test = int(round(n_samples * test_fraction))
    n_val = int(round(n_samples * val_fraction))
    test, val, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    return np.sort(train), np.sort(val), np.sort(test)


def load_dataset_from_config(config: Config) -> Dataset:
    """The data set a config names, with all its source options."""
    d = config.data
    return load_dataset(
        d.source,
        n_samples=d.n_samples,
        random_state=d.random_state,
        id_column=d.id_column,
        label_column=d.label_column,
        drop_columns=d.drop_columns,
        categorical_columns=d.categorical_columns,
        format=d.format,
        date_column=d.date_column,
        amount_column=d.amount_column,
        quantity_column=d.quantity_column,
        as_of=d.as_of,
        outcome_columns=d.outcome_columns,
        log_engine=d.log_engine,
        log_memory_limit=d.log_memory_limit,
        log_temp_directory=d.log_temp_directory,
        table=d.table,
        query=d.query,
    )


def prepare_data(
    config: Config, preprocessor: Preprocessor | None = None, dataset: Dataset | None = None
) -> PreparedData:
    """Load (unless ``dataset`` is given), split and preprocess.

    The preprocessor is fitted on the training rows unless one is given.
    """
    d = config.data
    if dataset is None:
        dataset = load_dataset_from_config(config)
    train, val, test = split_indices(
        len(dataset),
        val_fraction=d.val_fraction,
        test_fraction=d.test_fraction,
        random_state=d.random_state,
    )
    if len(train) < config.model.n_clusters:
        raise DataError(
            f"only {len(train)} training customers for "
            f"{config.model.n_clusters} segments; use more data or fewer segments "
            "({model.n_clusters})"
        )
    if len(val) == 0:
        raise DataError(
            f"data.val_fraction={d.val_fraction} leaves no validation customers "
            f"among {len(dataset)}; raise it (e.g. data.val_fraction=0.1)"
        )
    features = dataset.features
    check_rfm_columns(d, features, dataset.name)
    if preprocessor is None:
        check_no_roles(features)
        with warnings.catch_warnings():  # every fit reports its own column warnings
            warnings.simplefilter("always")
            preprocessor = Preprocessor(d.categorical_columns, scaling=d.scaling).fit(
                features.iloc[train]
            )

    def transform(rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:  # e.g. no test split when the estimator fits on everything
            return np.empty((0, preprocessor.n_features_out), dtype=np.float32)
        return preprocessor.transform(features.iloc[rows])

    return PreparedData(
        dataset, preprocessor, train, val, test, transform(train), transform(val), transform(test)
    )


#: What each RFM setting must hold, for its error message.
RFM_MEANING = {
    "recency": "the days since the last order",
    "frequency": "the number of orders",
    "monetary": "the total spend",
}


def check_rfm_columns(d, features, name: str) -> None:
    """The columns named as recency, frequency and monetary value are numeric features
    (profiles score them; a date is not a recency)."""
    from dec.data.columns import is_numeric

    for role, meaning in RFM_MEANING.items():
        column = getattr(d, f"{role}_column")
        if column is None:
            continue
        if column not in features.columns:
            raise DataError(
                f"{{data.{role}_column}} {column!r} is not a feature column of "
                f"{name}; name one of {', '.join(map(repr, features.columns[:10]))}"
                f"{', ...' if len(features.columns) > 10 else ''}"
            )
        if not is_numeric(features[column]):
            raise DataError(
                f"{{data.{role}_column}} {column!r} holds text or dates; it must be "
                f"{meaning}, as a number"
            )


def prepare_run_data(run) -> PreparedData:
    """A trained run's data (``run`` a :class:`~dec.runs.rundir.RunDir`), split and preprocessed
    exactly as in training."""
    config = run.check().config()
    if config.data.source == "in-memory":
        raise RunDirError(
            f"run {run} was fitted in Python on in-memory data, which is not "
            "on disk; score it with DeepEmbeddedClustering.load(run).predict(X)"
        )
    dataset = load_dataset_from_config(config)
    check_same_data(run.fingerprint(), dataset, f"run {run} was trained on")
    return prepare_data(config, run.preprocessor(), dataset)


def check_same_data(recorded: dict | None, dataset: Dataset, what: str) -> None:
    """Raise DataError if ``dataset`` is not the data a run recorded (its
    :meth:`Dataset.fingerprint`): its splits would hold other customers. Runs from before
    fingerprints pass."""
    if recorded is None or dataset.matches(recorded):
        return
    now = dataset.fingerprint()
    if (now["rows"], now["columns"]) != (recorded["rows"], recorded["columns"]):
        detail = (
            f"{now['rows']} rows x {now['columns']} columns, but {what} "
            f"{recorded['rows']} x {recorded['columns']}"
        )
    else:
        detail = f"same shape, but its contents or order differ from what {what}"
    raise DataError(
        f"the data {dataset.name} has changed: {detail}; its splits would hold "
        "other customers, so use the data the run was trained on"
    )
