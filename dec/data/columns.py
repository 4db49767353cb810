"""Column-level pieces of preprocessing: how a column is typed, the fitted state of one
numeric or categorical column (plain dataclasses, saved as JSON), and how one column's
values become the network's inputs."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dec.errors import DataError, SchemaError, plain

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


def as_text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), MISSING).astype(str)


#: Standardised values are clipped to this bound: a value ten thousand standard
#: deviations out is a data error, and anything larger can overflow float32 in the network.
MAX_STANDARD_SCORE = 1e4

#: A text column whose filled cells are at least this share numbers is read as a numeric
#: column with a few bad cells, not as a category with hundreds of levels.
NUMERIC_WITH_TEXT_SHARE = 0.9


def numbers_from_text(name: str, series: pd.Series) -> pd.Series:
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
        example, row = plain(observed[text].iloc[0]), plain(observed[text].index[0])
        raise DataError(
            f"column '{name}' must be numeric but holds text such as "
            f"{example!r} (row {row!r}); fix or empty those cells, or pass "
            f"{{data.categorical_columns}} {name} if it is a category"
        )
    return series


def is_numeric(series: pd.Series) -> bool:
    """True for numeric and boolean columns (pandas' view, no guessing from text)."""
    return pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def output_names(columns) -> list[str]:
    names: list[str] = []
    for column in columns:
        if isinstance(column, NumericColumn):
            names.append(column.name)
        else:
            names.extend(f"{column.name}={cat}" for cat in column.categories)
    return names


def check_frame(frame) -> pd.DataFrame:
    if isinstance(frame, np.ndarray):
        if frame.ndim != 2:
            raise DataError(
                f"expected a 2-D array of customers x features, got shape {frame.shape}"
            )
        frame = pd.DataFrame(frame, columns=[f"x{i}" for i in range(frame.shape[1])])
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"expected a pandas DataFrame or 2-D NumPy array, got {type(frame).__name__}"
        )
    if len(frame) == 0:
        raise DataError("the data has no rows")
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    return frame


def magnitude(values: pd.Series) -> float:
    """The largest absolute value, or 1 where all are zero: one scale for ``shared``."""
    largest = float(np.abs(values).max()) if len(values) else 0.0
    return largest if largest > 0 else 1.0


def scaled(values: pd.Series) -> pd.Series:
    """``values`` divided by their :func:`magnitude`."""
    return values / magnitude(values)


def transform_numeric(column: NumericColumn, series: pd.Series) -> np.ndarray:
    """A numeric column as the network sees it: text refused, missing cells filled, log1p
    where fitted, standardised and clipped to ``MAX_STANDARD_SCORE`` (with a warning)."""
    if not is_numeric(series):
        converted = pd.to_numeric(series, errors="coerce")
        bad = series.notna() & converted.isna()
        if bad.any():
            example, row = plain(series[bad].iloc[0]), plain(series[bad].index[0])
            raise SchemaError(
                f"column '{column.name}' must be numeric but holds text "
                f"such as {example!r} (row {row!r})"
            )
        series = converted
    values = series.astype(float).to_numpy()
    if np.isinf(values).any():
        raise DataError(
            f"column '{column.name}' holds infinite values; replace them "
            "with a finite number or leave the cells empty"
        )
    values = np.where(np.isnan(values), column.fill, values)
    if column.log1p:
        # Values below zero cannot occur in training; clip so log1p stays finite.
        values = np.log1p(np.maximum(values, 0.0))
    standardised = (values - column.mean) / column.std
    extreme = np.abs(standardised) > MAX_STANDARD_SCORE
    if extreme.any():
        warnings.warn(
            f"column '{column.name}': {int(extreme.sum())} value(s) more than "
            f"{MAX_STANDARD_SCORE:g} standard deviations from the training mean "
            "were clipped",
            stacklevel=3,
        )
        standardised = np.clip(standardised, -MAX_STANDARD_SCORE, MAX_STANDARD_SCORE)
    return standardised.astype(np.float32)


#: Unseen category values a warning names before it says "and N more".
UNSEEN_SHOWN = 3


def unseen_detail(values: pd.Series) -> str:
    """``'DE', 'FR' (5 customers)``: the most frequent unseen values first, a few only."""
    counts = values.value_counts().sort_index().sort_values(ascending=False, kind="stable")
    shown = ", ".join(repr(v) for v in counts.index[:UNSEEN_SHOWN])
    more = f" and {len(counts) - UNSEEN_SHOWN} more" if len(counts) > UNSEEN_SHOWN else ""
    customers = int(counts.sum())
    return f"{shown}{more} ({customers:,} customer{'s' if customers != 1 else ''})"
