"""What kind of data a table is: a customer table, or dense features on one shared scale.

The package's defaults were chosen on customer tables (mixed types, a few dozen columns on
unrelated scales). Wide all-numeric data whose columns share one scale, such as pixels,
needs another recipe (benchmarks/choices/data_kind.md): :func:`data_kind` tells them apart
from the training table alone, before anything is fitted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Fewer numeric columns than this is a table whatever the scales.
DENSE_MIN_COLUMNS = 32
#: Columns share one scale when the widest range is at most this many times the median one.
SHARED_SCALE_RATIO = 10.0


def data_kind(features: pd.DataFrame) -> str:
    """``"dense"`` for wide all-numeric data on one shared scale, else ``"table"``.

    Parameters
    ----------
    features : DataFrame of shape (n_samples, n_columns)
        The feature columns, before preprocessing.

    Returns
    -------
    {"table", "dense"}
        ``"dense"`` when every column is numeric (booleans count as categories), there
        are at least :data:`DENSE_MIN_COLUMNS` of them, and the largest column range is at
        most :data:`SHARED_SCALE_RATIO` times the median range of the columns that vary.
    """
    if features.shape[1] < DENSE_MIN_COLUMNS:
        return "table"
    numeric = all(
        pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
        for t in features.dtypes
    )
    if not numeric:
        return "table"
    values = features.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        ranges = np.nanmax(values, axis=0) - np.nanmin(values, axis=0)
    ranges = ranges[np.isfinite(ranges) & (ranges > 0)]
    if len(ranges) < DENSE_MIN_COLUMNS:
        return "table"
    return "dense" if ranges.max() <= SHARED_SCALE_RATIO * np.median(ranges) else "table"
