"""Turn a mixed-type customer table into a float matrix, fitted on the train split only.

Numeric columns: median imputation, ``log1p`` where the column is non-negative and skewed,
then standardisation. Categorical columns: one-hot over the categories seen in training
(missing is a category of its own; unseen categories become all zeros and are counted).
The fitted state is plain JSON, so a run directory never holds a pickle.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dec.errors import DataError, SchemaError

MISSING = "(missing)"


@dataclass
class NumericColumn:
    name: str
    fill: float
    log1p: bool
    mean: float
    std: float


@dataclass
class CategoricalColumn:
    name: str
    categories: list[str] = field(default_factory=list)


def _as_text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), MISSING).astype(str)


#: Standardised values are clipped to this bound: a value ten thousand standard
#: deviations out is a data error, and anything larger can overflow float32 in the network.
MAX_STANDARD_SCORE = 1e4

#: A text column whose filled cells are at least this share numbers is read as a numeric
#: column with a few bad cells, not as a category with hundreds of levels.
NUMERIC_WITH_TEXT_SHARE = 0.9


def _numbers_from_text(name: str, series: pd.Series) -> pd.Series:
    """A text column that holds numbers, as numbers; other text columns unchanged.

    Raises DataError for a column of numbers with a few text cells (a typo or a
    placeholder such as "n/a?"), which would otherwise become a category per value.
    """
    observed = series.dropna()
    converted = pd.to_numeric(observed, errors="coerce")
    text = converted.isna()
    if not text.any():
        return pd.to_numeric(series)
    if 1 - text.mean() >= NUMERIC_WITH_TEXT_SHARE:
        raise DataError(f"column '{name}' must be numeric but holds text such as "
                        f"{observed[text].iloc[0]!r} (row {observed[text].index[0]!r}); fix or "
                        f"empty those cells, or pass --categorical-columns {name} if it is "
                        "a category")
    return series


def is_numeric(series: pd.Series) -> bool:
    """True for numeric and boolean columns (pandas' view, no guessing from text)."""
    return pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


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
    scaling : {"standard", "none"}, default="standard"
        ``"standard"``: ``log1p`` for skewed non-negative columns, then z-scores. ``"none"``:
        numeric values as given (missing cells still get the median), for features that
        already share one scale, such as pixel intensities in [0, 1].

    Attributes
    ----------
    columns_ : list of NumericColumn or CategoricalColumn
        Fitted state of each input column, in input order.
    feature_names_in_ : list of str
        Input columns seen in ``fit``.
    feature_names_out_ : list of str
        Names of the output matrix columns.
    """

    def __init__(self, categorical_columns=(), skew_threshold: float = 1.0,
                 max_categories: int = 50, scaling: str = "standard"):
        self.categorical_columns = list(categorical_columns)
        self.skew_threshold = skew_threshold
        self.max_categories = max_categories
        self.scaling = scaling

    # ------------------------------------------------------------------ fitting
    def fit(self, frame: pd.DataFrame) -> "Preprocessor":
        """Learn imputation values, transforms, scales and categories from ``frame``."""
        frame = _check_frame(frame)
        unknown = [c for c in self.categorical_columns if c not in frame.columns]
        if unknown:
            raise DataError(f"categorical column(s) {unknown} not in the data; "
                            f"columns are: {list(frame.columns)}")
        self.columns_: list[NumericColumn | CategoricalColumn] = []
        for name in frame.columns:
            series = frame[name]
            if series.isna().all():
                raise DataError(f"column '{name}' is entirely missing; drop it "
                                f"(--drop-columns {name}) or fill it in")
            if name not in self.categorical_columns and not is_numeric(series):
                series = _numbers_from_text(name, series)
            if name in self.categorical_columns or not is_numeric(series):
                self.columns_.append(self._fit_categorical(name, series))
            else:
                column = self._fit_numeric(name, series.astype(float))
                if column is not None:
                    self.columns_.append(column)
        if not self.columns_:
            raise DataError("no usable feature columns: every column is constant or missing")
        self.feature_names_in_ = [str(c) for c in frame.columns]
        # Remembered so that predict/export find the same id column in a new table.
        self.index_name_ = None if frame.index.name is None else str(frame.index.name)
        self.feature_names_out_ = _output_names(self.columns_)
        return self

    def _fit_numeric(self, name: str, values: pd.Series) -> NumericColumn | None:
        if np.isinf(values.to_numpy()).any():
            raise DataError(f"column '{name}' holds infinite values; replace them with "
                            "a finite number or leave the cells empty")
        observed = values.dropna()
        fill = float(observed.median())
        standard = self.scaling == "standard"
        log1p = bool(standard and observed.min() >= 0 and observed.skew() > self.skew_threshold)
        filled = values.fillna(fill)
        transformed = np.log1p(filled) if log1p else filled
        std = float(transformed.std(ddof=0))
        if not np.isfinite(std) or std < 1e-12:
            warnings.warn(f"column '{name}' is constant in the training data and is ignored",
                          stacklevel=3)
            return None
        if not standard:  # values already on one shared scale (e.g. pixels in [0, 1])
            return NumericColumn(name, fill, False, 0.0, 1.0)
        return NumericColumn(name, fill, log1p, float(transformed.mean()), std)

    def _fit_categorical(self, name: str, series: pd.Series) -> CategoricalColumn:
        counts = _as_text(series).value_counts()
        kept = sorted(counts.index[: self.max_categories].tolist())
        if len(kept) < 2:
            warnings.warn(f"column '{name}' has a single category in the training data "
                          "and carries no information", stacklevel=3)
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
        frame = _check_frame(frame)
        self.validate_schema(frame)
        blocks = []
        unseen_total: dict[str, int] = {}
        for column in self.columns_:
            series = frame[column.name]
            if isinstance(column, NumericColumn):
                blocks.append(self._transform_numeric(column, series)[:, None])
            else:
                text = _as_text(series)
                onehot = (text.to_numpy()[:, None] == np.asarray(column.categories)[None, :])
                unseen = int((~onehot.any(axis=1)).sum())
                if unseen:
                    unseen_total[column.name] = unseen
                blocks.append(onehot.astype(np.float32))
        if unseen_total:
            detail = ", ".join(f"{k}: {v}" for k, v in unseen_total.items())
            warnings.warn(f"categories not seen in training were encoded as all zeros ({detail})",
                          stacklevel=2)
        return np.hstack(blocks).astype(np.float32)

    def fit_transform(self, frame: pd.DataFrame) -> np.ndarray:
        return self.fit(frame).transform(frame)

    def _transform_numeric(self, column: NumericColumn, series: pd.Series) -> np.ndarray:
        if not is_numeric(series):
            converted = pd.to_numeric(series, errors="coerce")
            bad = series.notna() & converted.isna()
            if bad.any():
                example = series[bad].iloc[0]
                raise SchemaError(f"column '{column.name}' must be numeric but holds text "
                                  f"such as {example!r} (row {series[bad].index[0]!r})")
            series = converted
        values = series.astype(float).to_numpy()
        if np.isinf(values).any():
            raise DataError(f"column '{column.name}' holds infinite values; replace them "
                            "with a finite number or leave the cells empty")
        values = np.where(np.isnan(values), column.fill, values)
        if column.log1p:
            # Values below zero cannot occur in training; clip so log1p stays finite.
            values = np.log1p(np.maximum(values, 0.0))
        standardised = (values - column.mean) / column.std
        extreme = np.abs(standardised) > MAX_STANDARD_SCORE
        if extreme.any():
            warnings.warn(f"column '{column.name}': {int(extreme.sum())} value(s) more than "
                          f"{MAX_STANDARD_SCORE:g} standard deviations from the training mean "
                          "were clipped", stacklevel=3)
            standardised = np.clip(standardised, -MAX_STANDARD_SCORE, MAX_STANDARD_SCORE)
        return standardised.astype(np.float32)

    def validate_schema(self, frame: pd.DataFrame) -> None:
        """Raise SchemaError naming missing columns; warn about extra ones."""
        missing = [c for c in self.feature_names_in_ if c not in frame.columns]
        if missing:
            raise SchemaError(f"input is missing column(s) {missing} that the model was "
                              "trained with; add them (empty cells are fine)")
        extra = [str(c) for c in frame.columns if c not in self.feature_names_in_]
        if extra:
            warnings.warn(f"ignoring column(s) the model was not trained with: {extra}",
                          stacklevel=3)

    # --------------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        return {
            "categorical_columns": self.categorical_columns,
            "skew_threshold": self.skew_threshold,
            "max_categories": self.max_categories,
            "scaling": self.scaling,
            "feature_names_in": self.feature_names_in_,
            "index_name": self.index_name_,
            "columns": [{"kind": "numeric" if isinstance(c, NumericColumn) else "categorical",
                         **asdict(c)} for c in self.columns_],
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> "Preprocessor":
        pre = cls(state["categorical_columns"], state["skew_threshold"], state["max_categories"],
                  scaling=state.get("scaling", "standard"))
        pre.columns_ = []
        for spec in state["columns"]:
            spec = dict(spec)
            kind = spec.pop("kind")
            pre.columns_.append(NumericColumn(**spec) if kind == "numeric"
                                else CategoricalColumn(**spec))
        pre.feature_names_in_ = list(state["feature_names_in"])
        pre.index_name_ = state.get("index_name")
        pre.feature_names_out_ = _output_names(pre.columns_)
        return pre

    def save(self, path: str | Path) -> None:
        from dec.io import atomic_write_text

        atomic_write_text(path, json.dumps(self.to_dict(), indent=2))

    @classmethod
    def load(cls, path: str | Path) -> "Preprocessor":
        return cls.from_dict(json.loads(Path(path).read_text()))

    @property
    def n_features_out(self) -> int:
        return len(self.feature_names_out_)


def _output_names(columns) -> list[str]:
    names: list[str] = []
    for column in columns:
        if isinstance(column, NumericColumn):
            names.append(column.name)
        else:
            names.extend(f"{column.name}={cat}" for cat in column.categories)
    return names


def _check_frame(frame) -> pd.DataFrame:
    if isinstance(frame, np.ndarray):
        if frame.ndim != 2:
            raise DataError(f"expected a 2-D array of customers x features, got shape {frame.shape}")
        frame = pd.DataFrame(frame, columns=[f"x{i}" for i in range(frame.shape[1])])
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame or 2-D NumPy array, got {type(frame).__name__}")
    if len(frame) == 0:
        raise DataError("the data has no rows")
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    return frame
