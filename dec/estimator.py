"""A scikit-learn style estimator over the same training path as ``scripts/train.py``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy import sparse
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from dec.config import Config, deep_update, fields_with, get_value, load_config, nested
from dec.data import Dataset
from dec.errors import DataError
from dec.runs.rundir import FitResult, RunDir


def param_keys() -> dict[str, list[str]]:
    """Estimator parameter -> the config keys it sets, as declared in :mod:`dec.config`."""
    return {
        param: [key for key, _, _ in entries] for param, entries in fields_with("param").items()
    }


def _holds_text(X) -> bool:
    """Whether array-like ``X`` holds strings (only asked once numeric validation failed)."""
    try:
        values = np.asarray(X, dtype=object).ravel()
    except (TypeError, ValueError):  # ragged nesting: not a table at all
        return False
    return any(isinstance(value, (str, bytes)) for value in values)


class DeepEmbeddedClustering(ClusterMixin, TransformerMixin, BaseEstimator):
    """Deep Embedded Clustering (DEC / IDEC) of customers, scikit-learn style.

    Fits exactly as ``scripts/train.py`` does (:func:`dec.training.pipeline.fit`): preprocessing
    fitted on the data, a denoising autoencoder, KMeans initialisation, then refinement.
    ``val_fraction`` of the rows is held out of training to monitor it; ``labels_`` covers
    every row.

    Parameters
    ----------
    n_clusters : int, default=5
        Number of segments.
    hidden_dims : tuple of int, default=(256, 128)
        Encoder widths; the decoder mirrors them.
    embedding_dim : int, default=10
        Size of the embedding returned by :meth:`transform`.
    alpha : float, default=1.0
        Degrees of freedom of the Student-t kernel (DEC eq. 1).
    kernel : {"student_t", "mahalanobis", "gaussian"}, default="student_t"
        DEC's kernel on Euclidean distances, or on a Mahalanobis distance whose covariance
        is shared by the clusters and learned with them, or a Gaussian mixture head (each
        segment its own covariance and weight, started from the BIC-chosen mixture on the
        pretrained embeddings and refined by its likelihood; see docs/suite.md).
    gamma : float, default=10.0
        Weight of the reconstruction loss during refinement; 0 is plain DEC.
    balance : float, default=1.0
        Exponent of the cluster frequency in DEC's target distribution (eq. 3): 1 is DEC's
        own, which pulls the segments towards equal sizes; 0 lets them keep unequal sizes.
    pretrain_epochs, refine_epochs : int or None, default=None
        Epochs of pretraining and refinement. None: the budget that fits the data
        (:mod:`dec.training.sizing`): 40 and 30 epochs, brought within each stage's
        ``min_steps`` and ``max_steps`` optimiser steps (config keys).
    batch_size : int, default=256
    lr : float, default=1e-3
    input_noise : float, default=1.5
        Gaussian corruption of the standardised inputs during pretraining.
    update_interval : int, default=100
        Optimiser steps between refreshes of the target distribution.
    tol : float, default=1e-3
        Stop when fewer than this share of labels change between refreshes.
    n_init : int, default=20
        KMeans restarts for the initial centres.
    init : {"kmeans", "gmm", "gmm_tied", "umap"}, default="kmeans"
        How the initial centres are placed in the embedding space: KMeans, a Gaussian
        mixture (full covariance, or one covariance shared by all components, which also
        starts the Mahalanobis kernel's precision), or a Gaussian mixture on a UMAP of the
        embeddings (N2D).
    n_runs : int, default=1
        Models trained from different seeds; the one whose segments agree best with the
        others' is kept (:mod:`dec.training.consensus`). Costs ``n_runs`` trainings; segments that
        another set of seeds reproduces more often.
    categorical_columns : tuple of str, default=()
        DataFrame columns to one-hot encode even if numeric.
    data_kind : {"auto", "table", "dense"}, default="auto"
        Which recipe of defaults to train with. ``"auto"`` detects wide all-numeric data
        whose columns share one scale (pixels, say: at least 32 columns, ranges within 10x
        of each other) as ``"dense"``, and trains it with the digits config's settings
        (shared scaling, a 500-500-2000 encoder, the Mahalanobis kernel, UMAP-initialised
        centres, 200 + 200 epochs) wherever a parameter is left at its default. Anything
        else is a ``"table"`` and keeps the defaults above.
    val_fraction : float, default=0.1
        Share of rows held out to monitor training.
    accelerator : str, default="cpu"
    devices : int, default=1
    random_state : int or None, default=None
        Seed; None draws one from NumPy's global generator.
    verbose : bool, default=False
        Show Lightning's progress bars.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        Centres in the embedding space.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` was a DataFrame.
    """

    def __init__(
        self,
        n_clusters: int = 5,
        *,
        hidden_dims=(256, 128),
        embedding_dim: int = 10,
        alpha: float = 1.0,
        kernel: str = "student_t",
        gamma: float = 10.0,
        balance: float = 1.0,
        pretrain_epochs: int | None = None,
        refine_epochs: int | None = None,
        batch_size: int = 256,
        lr: float = 1e-3,
        input_noise: float = 1.5,
        update_interval: int = 100,
        tol: float = 1e-3,
        n_init: int = 20,
        init: str = "kmeans",
        n_runs: int = 1,
        categorical_columns=(),
        data_kind: str = "auto",
        val_fraction: float = 0.1,
        accelerator: str = "cpu",
        devices: int = 1,
        random_state=None,
        verbose: bool = False,
    ):
        self.n_clusters = n_clusters
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.alpha = alpha
        self.kernel = kernel
        self.gamma = gamma
        self.balance = balance
        self.pretrain_epochs = pretrain_epochs
        self.refine_epochs = refine_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.input_noise = input_noise
        self.update_interval = update_interval
        self.tol = tol
        self.n_init = n_init
        self.init = init
        self.n_runs = n_runs
        self.categorical_columns = categorical_columns
        self.data_kind = data_kind
        self.val_fraction = val_fraction
        self.accelerator = accelerator
        self.devices = devices
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ config
    def _config(self) -> Config:
        values: dict = {}
        params = self.get_params()
        if params["random_state"] is None:
            # None draws from numpy's global state, as scikit-learn's check_random_state(None)
            params["random_state"] = int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002
        for name, keys in param_keys().items():
            value = params[name]
            for key in keys:
                deep_update(values, nested(key, list(value) if isinstance(value, tuple) else value))
        deep_update(
            values,
            {
                "data": {"source": "in-memory", "test_fraction": 0.0},
                "trainer": {"enable_progress_bar": bool(self.verbose)},
            },
        )
        return load_config(values=values)

    @classmethod
    def _params_from_config(cls, config: Config) -> dict:
        params = {name: get_value(config, keys[0]) for name, keys in param_keys().items()}
        params["hidden_dims"] = tuple(params["hidden_dims"])
        params["categorical_columns"] = tuple(params["categorical_columns"])
        return params

    # ----------------------------------------------------------------- fitting
    def fit(self, X, y=None):
        """Fit the model to ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or DataFrame
            Customers; a DataFrame may mix numeric and text columns, while any other
            array-like must be numeric (validated as scikit-learn validates it). Missing
            values (NaN) are imputed in both.
        y : ignored

        Returns
        -------
        self

        Raises
        ------
        DataError
            Data the model cannot learn from: fewer than 2 rows or no columns, infinite or
            complex values, text in a plain array, too few customers for ``n_clusters``.
        ConfigError
            A parameter out of its range (``n_clusters`` below 2, say).
        TypeError
            ``X`` is a sparse matrix: sparse input is not supported.
        """
        from dec.training.pipeline import fit as pipeline_fit

        frame = self._as_frame(X, fitting=True)
        self._set_result(pipeline_fit(self._config(), dataset=Dataset("in-memory", frame)))
        # The frame just validated, not X: a second validation as unseen data would take a
        # DataFrame whose columns happen to be named x0, x1, ... for an unnamed array.
        self.labels_ = self.model_.assign(self._model_input(frame)).numpy()
        return self

    def _set_result(self, result: FitResult) -> None:
        self.result_ = result
        self.config_ = result.config
        self.preprocessor_ = result.preprocessor
        self.model_ = result.model
        self.training_metrics_ = result.metrics
        self.cluster_centers_ = result.model.centers.detach().cpu().numpy().copy()
        names = self.preprocessor_.feature_names_in_
        self.n_features_in_ = len(names)
        if self._fitted_on_frame(names):
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

    @staticmethod
    def _fitted_on_frame(names) -> bool:
        return list(names) != [f"x{i}" for i in range(len(names))]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Missing cells are imputed by the fitted preprocessing, in arrays as in DataFrames;
        # infinite values are still refused (by the preprocessing, at fit and after).
        tags.input_tags.allow_nan = True
        # Stated although it is the default: the preprocessing is dense, and sparse input
        # is refused by name rather than densified behind the user's back.
        tags.input_tags.sparse = False
        return tags

    def _as_frame(self, X, *, fitting: bool = False) -> pd.DataFrame:
        """``X`` validated, as the DataFrame the fitted preprocessing reads.

        A DataFrame keeps its column types (text and categorical columns are one-hot
        encoded by the preprocessing), so it is only checked for what the preprocessing
        would let through silently; anything else is validated as a numeric array the way
        scikit-learn validates it, and its columns are named by position.
        """
        if sparse.issparse(X):
            # scikit-learn's checks accept TypeError or ValueError here; TypeError is what
            # its own dense-only estimators raise.
            raise TypeError(
                f"{type(self).__name__} does not support sparse input (got "
                f"{type(X).__name__}); convert it with X.toarray() first"
            )
        if isinstance(X, pd.DataFrame) and (fitting or hasattr(self, "feature_names_in_")):
            # By name: the preprocessing raises SchemaError naming any missing column.
            return self._checked_frame(X)
        if not fitting and hasattr(self, "feature_names_in_"):
            raise DataError(
                f"the model was fitted on a DataFrame, and a {type(X).__name__} has no "
                f"column names to match its columns by; pass a DataFrame with the columns "
                f"{list(self.feature_names_in_)}"
            )
        try:
            # A DataFrame given to a model fitted on an array goes by position, with
            # scikit-learn's warning that its feature names are not used. Finiteness is
            # left to the preprocessing: it imputes NaN, and refuses infinite values
            # naming the column, which scikit-learn's message does not.
            # Two rows at least to fit, as there are two segments at least.
            array = validate_data(
                self,
                X,
                reset=fitting,
                dtype="numeric",
                ensure_all_finite=False,
                ensure_min_samples=2 if fitting else 1,
            )
        except ValueError as error:
            # The same message, as the package's type, so that callers catching
            # DataError see bad arrays as they see bad tables.
            hint = (
                "; text columns need a pandas DataFrame, whose text columns are one-hot encoded"
                if _holds_text(X)
                else ""
            )
            raise DataError(f"{error}{hint}") from error
        return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])

    @staticmethod
    def _checked_frame(frame: pd.DataFrame) -> pd.DataFrame:
        # The preprocessing refuses infinite values itself, but would cast complex numbers
        # to their real part with no more than NumPy's ComplexWarning.
        complex_columns = [
            name for name, dtype in frame.dtypes.items() if pd.api.types.is_complex_dtype(dtype)
        ]
        if complex_columns:
            raise DataError(
                f"column(s) {complex_columns} hold complex numbers, which are not "
                f"supported; pass their real part or magnitude as columns"
            )
        return frame

    # --------------------------------------------------------------- inference
    def preprocess(self, X) -> torch.Tensor:
        """The model's input matrix for ``X`` (fitted preprocessing applied), float32.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        DataError
            ``X`` has other features than the model was fitted with, or values it cannot
            use (infinite, complex, text in a plain array).
        TypeError
            ``X`` is a sparse matrix.
        """
        check_is_fitted(self, "model_")
        return self._model_input(self._as_frame(X))

    def _model_input(self, frame: pd.DataFrame) -> torch.Tensor:
        return torch.as_tensor(self.preprocessor_.transform(frame))

    def predict_proba(self, X) -> np.ndarray:
        """Soft assignments Q (DEC eq. 1), shape (n_samples, n_clusters)."""
        x = self.preprocess(X)  # checks that the model is fitted
        return self.model_.soft_assign(x).numpy()

    def predict(self, X) -> np.ndarray:
        """Segment of each row: the most probable cluster, shape (n_samples,)."""
        x = self.preprocess(X)
        return self.model_.assign(x).numpy()

    def transform(self, X) -> np.ndarray:
        """Embeddings, shape (n_samples, embedding_dim)."""
        x = self.preprocess(X)
        return self.model_.embed(x).numpy()

    def fit_transform(self, X, y=None) -> np.ndarray:
        return self.fit(X).transform(X)

    # ------------------------------------------------------------- persistence
    def save(self, path) -> Path:
        """Write a run directory in the format ``scripts/train.py`` writes."""
        check_is_fitted(self, "model_")
        return RunDir(path).save(self.result_).path

    @classmethod
    def load(cls, path) -> DeepEmbeddedClustering:
        """Load a run directory written by :meth:`save` or ``scripts/train.py``."""
        result = RunDir(path).load()
        model = cls(**cls._params_from_config(result.config))
        model._set_result(result)
        return model
