"""A scikit-learn style estimator over the same training path as ``scripts/train.py``."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from dec import io
from dec.config import Config, load_config, merge_values, save_config_yaml
from dec.data import Dataset, Preprocessor
from dec.errors import DataError
from dec.models.autoencoder import apply_in_batches

#: Estimator parameter -> config keys it sets (one parameter may set several).
PARAM_KEYS = {
    "n_clusters": ["model.n_clusters"],
    "hidden_dims": ["model.hidden_dims"],
    "embedding_dim": ["model.embedding_dim"],
    "alpha": ["model.alpha"],
    "gamma": ["refine.gamma"],
    "pretrain_epochs": ["pretrain.epochs"],
    "refine_epochs": ["refine.epochs"],
    "batch_size": ["pretrain.batch_size", "refine.batch_size"],
    "lr": ["pretrain.lr", "refine.lr"],
    "input_noise": ["pretrain.input_noise"],
    "update_interval": ["refine.update_interval"],
    "tol": ["refine.tol"],
    "n_init": ["refine.n_init"],
    "categorical_columns": ["data.categorical_columns"],
    "val_fraction": ["data.val_fraction"],
    "accelerator": ["trainer.accelerator"],
    "devices": ["trainer.devices"],
    "random_state": ["seed"],
}


def _get(config: Config, key: str):
    node = config
    for part in key.split("."):
        node = getattr(node, part)
    return node


def _nested(key: str, value) -> dict:
    parts = key.split(".")
    out: dict = {parts[-1]: value}
    for part in reversed(parts[:-1]):
        out = {part: out}
    return out


class DeepEmbeddedClustering(ClusterMixin, TransformerMixin, BaseEstimator):
    """Deep Embedded Clustering (DEC / IDEC) of customers, scikit-learn style.

    Fits exactly as ``scripts/train.py`` does (:func:`dec.pipeline.fit`): preprocessing
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
    gamma : float, default=10.0
        Weight of the reconstruction loss during refinement; 0 is plain DEC.
    pretrain_epochs, refine_epochs : int, default=40, 30
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
    categorical_columns : tuple of str, default=()
        DataFrame columns to one-hot encode even if numeric.
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

    def __init__(self, n_clusters: int = 5, *, hidden_dims=(256, 128), embedding_dim: int = 10,
                 alpha: float = 1.0, gamma: float = 10.0, pretrain_epochs: int = 40,
                 refine_epochs: int = 30, batch_size: int = 256, lr: float = 1e-3,
                 input_noise: float = 1.5, update_interval: int = 100, tol: float = 1e-3,
                 n_init: int = 20, categorical_columns=(), val_fraction: float = 0.1,
                 accelerator: str = "cpu", devices: int = 1, random_state=None,
                 verbose: bool = False):
        self.n_clusters = n_clusters
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.alpha = alpha
        self.gamma = gamma
        self.pretrain_epochs = pretrain_epochs
        self.refine_epochs = refine_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.input_noise = input_noise
        self.update_interval = update_interval
        self.tol = tol
        self.n_init = n_init
        self.categorical_columns = categorical_columns
        self.val_fraction = val_fraction
        self.accelerator = accelerator
        self.devices = devices
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ config
    def _config(self) -> Config:
        config = Config()
        values: dict = {}
        params = self.get_params()
        if params["random_state"] is None:
            params["random_state"] = int(np.random.randint(0, 2**31 - 1))
        for name, keys in PARAM_KEYS.items():
            value = params[name]
            if isinstance(value, tuple):
                value = list(value)
            for key in keys:
                _deep_update(values, _nested(key, value))
        _deep_update(values, {"data": {"source": "in-memory", "test_fraction": 0.0},
                              "trainer": {"enable_progress_bar": bool(self.verbose)}})
        return merge_values(config, values)

    @classmethod
    def _params_from_config(cls, config: Config) -> dict:
        params = {name: _get(config, keys[0]) for name, keys in PARAM_KEYS.items()}
        params["hidden_dims"] = tuple(params["hidden_dims"])
        params["categorical_columns"] = tuple(params["categorical_columns"])
        return params

    # ----------------------------------------------------------------- fitting
    def fit(self, X, y=None):
        """Fit the model to ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features) or DataFrame
            Customers; a DataFrame may mix numeric and text columns and hold missing values.
        y : ignored

        Returns
        -------
        self
        """
        from dec.pipeline import fit as pipeline_fit

        frame = self._as_frame(X, fitting=True)
        config = self._config()
        work = Path(tempfile.mkdtemp(prefix="dec-fit-"))
        try:
            run_dir = pipeline_fit(config, work / "run", dataset=Dataset("in-memory", frame))
            self._load_run(run_dir, config)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        self.labels_ = self.predict(X)
        return self

    def _load_run(self, run_dir: Path, config: Config) -> None:
        self.config_ = config
        self.preprocessor_ = Preprocessor.load(run_dir / "preprocessor.json")
        self.module_ = io.load_model(run_dir)
        self.pretrained_ = io.load_weights(run_dir / "pretrained.pt")
        self.training_metrics_ = io.read_json(run_dir / "metrics.json")
        self.cluster_centers_ = self.module_.centers.detach().cpu().numpy().copy()
        names = self.preprocessor_.feature_names_in_
        self.n_features_in_ = len(names)
        if self._fitted_on_frame(names):
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

    @staticmethod
    def _fitted_on_frame(names) -> bool:
        return list(names) != [f"x{i}" for i in range(len(names))]

    def _as_frame(self, X, *, fitting: bool = False) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            return X
        array = np.asarray(X)
        if array.ndim != 2:
            raise DataError(f"expected a 2-D array (n_samples, n_features), got shape {array.shape}")
        if not fitting and array.shape[1] != self.n_features_in_:
            raise DataError(f"X has {array.shape[1]} features, but the model was fitted with "
                            f"{self.n_features_in_}")
        return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])

    # --------------------------------------------------------------- inference
    def preprocess(self, X) -> torch.Tensor:
        """The model's input matrix for ``X`` (fitted preprocessing applied), float32."""
        check_is_fitted(self, "module_")
        return torch.as_tensor(self.preprocessor_.transform(self._as_frame(X)))

    def predict_proba(self, X) -> np.ndarray:
        """Soft assignments Q (DEC eq. 1), shape (n_samples, n_clusters)."""
        x = self.preprocess(X)
        return self.module_.soft_assign_all(x).numpy()

    def predict(self, X) -> np.ndarray:
        """Segment of each row: the most probable cluster, shape (n_samples,)."""
        return self.predict_proba(X).argmax(axis=1)

    def transform(self, X) -> np.ndarray:
        """Embeddings, shape (n_samples, embedding_dim)."""
        x = self.preprocess(X)
        return apply_in_batches(self.module_.autoencoder.encoder, x,
                                device=self.module_.device).numpy()

    def fit_transform(self, X, y=None) -> np.ndarray:
        return self.fit(X).transform(X)

    # ------------------------------------------------------------- persistence
    def save(self, path) -> Path:
        """Write a run directory in the format ``scripts/train.py`` writes."""
        check_is_fitted(self, "module_")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        io.atomic_write_text(path / "config.yaml", save_config_yaml(self.config_))
        self.preprocessor_.save(path / "preprocessor.json")
        hp = self.module_.hparams
        io.write_json(path / "model.json", {k: hp[k] for k in (
            "input_dim", "hidden_dims", "embedding_dim", "n_clusters", "alpha")})
        io.save_weights(path / "pretrained.pt", self.pretrained_)
        io.write_json(path / "metrics.json", self.training_metrics_)
        io.save_weights(path / "model.pt", self.module_.state_dict())
        return path

    @classmethod
    def load(cls, path) -> "DeepEmbeddedClustering":
        """Load a run directory written by :meth:`save` or ``scripts/train.py``."""
        run_dir = io.check_run_dir(path)
        config = load_config(run_dir / "config.yaml")
        model = cls(**cls._params_from_config(config))
        model._load_run(run_dir, config)
        return model


def _deep_update(target: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_update(target[key], value)
        else:
            target[key] = value
