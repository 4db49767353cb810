"""Turn a mixed-type customer table into a float matrix, fitted on the train split only.

Numeric columns: median imputation, ``log1p`` where the column is non-negative and skewed,
then standardisation. Categorical columns: one-hot over the categories seen in training
(missing is a category of its own; unseen categories become all zeros and are counted).
The fitted state is plain JSON, so a run directory never holds a pickle.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dec.data.columns import (
    MISSING,
    CategoricalColumn,
    NumericColumn,
    as_text,
    check_frame,
    is_numeric,
    magnitude,
    numbers_from_text,
    output_names,
    scaled,
    transform_numeric,
    unseen_detail,
)
from dec.errors import DataError, SchemaError

__all__ = ["Preprocessor", "MISSING", "is_numeric"]


class Preprocessor:
    """Fit-on-train preprocessing for customer tables.

    Parameters
    ----------
    categorical_columns : sequence of str, default=()
        Columns to one-hot encode even if they hold numbers (e.g. a store id).
    skew_threshold : float, default=1.0
        A non-negative column whose sample skewness exceeds this is ``log1p``-transformed.
    max_categories : int, default=50
        Only the most frequent categories get a column; rarer ones encode as all zeros.
    scaling : {"standard", "none", "shared"}, default="standard"
        ``"standard"``: ``log1p`` for skewed non-negative columns, then z-scores. ``"none"``:
        numeric values as given (missing cells still get the median), for features that
        already share one scale, such as pixel intensities in [0, 1]. ``"shared"``: every
        numeric column divided by one number, the largest absolute value in the training
        data, so grey levels 0..255 or 0..16 become [0, 1] and keep their relative scale.

    Attributes
    ----------
    columns_ : list of NumericColumn or CategoricalColumn
        Fitted state of each input column, in input order.
    feature_names_in_ : list of str
        Input columns seen in ``fit``.
    feature_names_out_ : list of str
        Names of the output matrix columns.
    """

    def __init__(
        self,
        categorical_columns=(),
        skew_threshold: float = 1.0,
        max_categories: int = 50,
        scaling: str = "standard",
    ):
        self.categorical_columns = list(categorical_columns)
        self.skew_threshold = skew_threshold
        self.max_categories = max_categories
        self.scaling = scaling

    # ------------------------------------------------------------------ fitting
    def fit(self, frame: pd.DataFrame) -> Preprocessor:
        """Learn imputation values, transforms, scales and categories from ``frame``."""
        frame = check_frame(frame)
        unknown = [c for c in self.categorical_columns if c not in frame.columns]
        if unknown:
            raise DataError(
                f"categorical column(s) {unknown} not in the data; "
                f"columns are: {list(frame.columns)}"
            )
        self.columns_: list[NumericColumn | CategoricalColumn] = []
        for name in frame.columns:
            series = frame[name]
            if series.isna().all():
                raise DataError(
                    f"column '{name}' is entirely missing; drop it "
                    f"({{data.drop_columns}} {name}) or fill it in"
                )
            if name not in self.categorical_columns and not is_numeric(series):
                series = numbers_from_text(name, series)
            if name in self.categorical_columns or not is_numeric(series):
                categorical = self._fit_categorical(name, series)
                if categorical is not None:
                    self.columns_.append(categorical)
            else:
                column = self._fit_numeric(name, series.astype(float))
                if column is not None:
                    self.columns_.append(column)
        if not self.columns_:
            raise DataError("no usable feature columns: every column is constant or missing")
        if self.scaling == "shared":
            self._share_scale(frame)
        self.feature_names_in_ = [str(c) for c in frame.columns]
        # Remembered so that predict/export find the same id column in a new table.
        self.index_name_ = None if frame.index.name is None else str(frame.index.name)
        self.feature_names_out_ = output_names(self.columns_)
        return self

    def _fit_numeric(self, name: str, values: pd.Series) -> NumericColumn | None:
        if np.isinf(values.to_numpy()).any():
            raise DataError(
                f"column '{name}' holds infinite values; replace them with "
                "a finite number or leave the cells empty"
            )
        observed = values.dropna()
        fill = float(observed.median())
        standard = self.scaling == "standard"
        # Moments of values divided by their largest magnitude, scaled back: the squares of
        # huge finite values (1e300) would overflow to inf and make a column look constant.
        log1p = bool(
            standard and observed.min() >= 0 and scaled(observed).skew() > self.skew_threshold
        )
        filled = values.fillna(fill)
        transformed = np.log1p(filled) if log1p else filled
        scale = magnitude(transformed)
        std = float(scaled(transformed).std(ddof=0)) * scale
        mean = float(scaled(transformed).mean()) * scale
        if not np.isfinite(std) or std < 1e-12 * max(scale, 1.0):
            warnings.warn(
                f"column '{name}' is constant in the training data and is ignored", stacklevel=3
            )
            return None
        if not standard:  # values already on one shared scale (e.g. pixels in [0, 1])
            return NumericColumn(name, fill, False, 0.0, 1.0)
        return NumericColumn(name, fill, log1p, mean, std)

    def _share_scale(self, frame: pd.DataFrame) -> None:
        """One divisor for every numeric column: the largest absolute training value."""
        numeric = [c for c in self.columns_ if isinstance(c, NumericColumn)]
        if not numeric:
            return
        values = frame[[c.name for c in numeric]].astype(float).to_numpy()
        scale = float(np.nanmax(np.abs(values)))
        for column in numeric:
            column.std = scale

    def _fit_categorical(self, name: str, series: pd.Series) -> CategoricalColumn | None:
        counts = as_text(series).value_counts()
        kept = sorted(counts.index[: self.max_categories].tolist())
        if len(kept) < 2:  # one value everywhere: a constant, like a constant number
            warnings.warn(
                f"column '{name}' has a single category in the training data and is ignored",
                stacklevel=3,
            )
            return None
        return CategoricalColumn(name, kept)

    # -------------------------------------------------------------- transforming
    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Apply the fitted preprocessing.

        Parameters
        ----------
        frame : DataFrame of shape (n_samples, n_columns)
            Must hold every column seen in ``fit``; extra columns are ignored with a warning.

        Returns
        -------
        ndarray of shape (n_samples, n_features_out), float32
        """
        frame = check_frame(frame)
        self.validate_schema(frame)
        empty = [c.name for c in self.columns_ if len(frame) > 1 and frame[c.name].isna().all()]
        if empty:
            warnings.warn(
                f"column(s) {empty} are empty for all {len(frame):,} customers scored; "
                "they were filled in as missing values are in training",
                stacklevel=2,
            )
        blocks = []
        unseen_total: dict[str, str] = {}
        for column in self.columns_:
            series = frame[column.name]
            if isinstance(column, NumericColumn):
                blocks.append(transform_numeric(column, series)[:, None])
            else:
                text = as_text(series)
                onehot = text.to_numpy()[:, None] == np.asarray(column.categories)[None, :]
                unseen = ~onehot.any(axis=1)
                if unseen.any():
                    unseen_total[column.name] = unseen_detail(text[unseen])
                blocks.append(onehot.astype(np.float32))
        if unseen_total:
            detail = "; ".join(f"{k}: {v}" for k, v in unseen_total.items())
            warnings.warn(
                f"categories not seen in training were encoded as all zeros ({detail})",
                stacklevel=2,
            )
        return np.hstack(blocks).astype(np.float32)

    def fit_transform(self, frame: pd.DataFrame) -> np.ndarray:
        return self.fit(frame).transform(frame)

    def validate_schema(self, frame: pd.DataFrame) -> None:
        """Raise SchemaError naming missing columns; warn about extra ones."""
        missing = [c for c in self.feature_names_in_ if c not in frame.columns]
        if missing:
            raise SchemaError(
                f"input is missing column(s) {missing} that the model was "
                "trained with; add them (empty cells are fine)"
            )
        extra = [str(c) for c in frame.columns if c not in self.feature_names_in_]
        if extra:
            warnings.warn(
                f"ignoring column(s) the model was not trained with: {extra}", stacklevel=3
            )

    # --------------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        return {
            "categorical_columns": self.categorical_columns,
            "skew_threshold": self.skew_threshold,
            "max_categories": self.max_categories,
            "scaling": self.scaling,
            "feature_names_in": self.feature_names_in_,
            "index_name": self.index_name_,
            "columns": [
                {"kind": "numeric" if isinstance(c, NumericColumn) else "categorical", **asdict(c)}
                for c in self.columns_
            ],
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Preprocessor:
        pre = cls(
            state["categorical_columns"],
            state["skew_threshold"],
            state["max_categories"],
            scaling=state.get("scaling", "standard"),
        )
        pre.columns_ = []
        for spec in state["columns"]:
            spec = dict(spec)
            kind = spec.pop("kind")
            pre.columns_.append(
                NumericColumn(**spec) if kind == "numeric" else CategoricalColumn(**spec)
            )
        pre.feature_names_in_ = list(state["feature_names_in"])
        pre.index_name_ = state.get("index_name")
        pre.feature_names_out_ = output_names(pre.columns_)
        return pre

    def save(self, path: str | Path) -> None:
        from dec.utils.files import write_json

        write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str | Path) -> Preprocessor:
        from dec.utils.files import read_json

        return cls.from_dict(read_json(path))

    @property
    def n_features_out(self) -> int:
        return len(self.feature_names_out_)


def check_no_roles(frame: pd.DataFrame) -> None:
    """Raise DataError for a column that is an id or an outcome by :mod:`dec.data.roles`'
    rules: whatever path brought it to training (a table read with another id, a DataFrame
    given to the estimator), it must not be learned. :func:`dec.data.prepare.prepare_data`
    checks every customer's features before they are split."""
    from dec.data.roles import broken_id, id_like_columns, outcome_names

    outcomes = outcome_names(frame.columns)
    if outcomes:
        raise DataError(
            f"column '{outcomes[0]}' is an outcome (what customers did after the "
            "features' date), never a feature; name it in "
            "{data.outcome_columns} or leave it out with {data.drop_columns}"
        )
    broken = broken_id(frame)
    if broken:
        raise DataError(
            f"column '{broken[0]}' looks like an id (its values are nearly all "
            f"different) but {broken[1]}; fix it and make it the id "
            "({data.id_column}, or the DataFrame's index), or leave it out with "
            "{data.drop_columns}"
        )
    ids = id_like_columns(frame)
    if ids:
        raise DataError(
            f"column '{ids[0]}' is unique per row and looks like an id, not a "
            "feature; make it the id ({data.id_column}, or the DataFrame's index) "
            "or leave it out with {data.drop_columns}"
        )
