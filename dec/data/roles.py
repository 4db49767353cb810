"""Which columns of a customer table are its id and its outcomes: never its features.

A file that ``python -m dec features`` writes says so itself, in its Parquet key-value
metadata (:data:`METADATA_KEY`). Any other table, a CSV included, is read by two rules:

- a column named ``holdout_*`` is an outcome: what the customer did after the features'
  date, which judges the segments and must never shape them;
- a column that is unique per row and looks like an identifier, by its name
  (``customer_id``, ``CustomerID``, ``id``, pandas' ``Unnamed: 0``) or by its type (text),
  is the id. One such column becomes the id; several, and the user must name one.

An id learned as a feature is noise at best (a category per customer) and, for numbered
customers, a proxy for sign-up order; an outcome learned as a feature is the future.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from dec.errors import plain

#: Parquet key-value metadata that carries the roles: ``{"id_column": ..., "outcome_columns":
#: [...]}`` as JSON.
METADATA_KEY = b"dec.roles"
#: The customer id column's name in every file the package writes (export, predict, migrate's
#: movers, ``python -m dec features``, ``dec.spark.score``), whatever the input called its own
#: (``customer_id``, ``CustomerID``); where the input had none, its row numbers. Parquet files
#: also declare it (:func:`roles_metadata`).
ID_COLUMN = "id"
#: The name rule for outcomes.
OUTCOME_PREFIX = "holdout_"
#: The last word of an identifier's name (``customer_id``, ``CustomerID``, ``user-uuid``),
#: or pandas' name for a saved row index.
_ID_WORDS = ("id", "uuid", "guid")
_INDEX_NAMES = ("unnamed: 0", "index")
#: Whose number a column names, and the words for a number: ``customer_no``, ``userid``,
#: ``CUSTOMERID``, ``account_number``.
_ID_OWNERS = (
    "customer",
    "cust",
    "client",
    "member",
    "account",
    "user",
    "person",
    "buyer",
    "shopper",
)
_ID_NUMBERS = ("id", "no", "nr", "num", "number", "code", "key")
#: A column whose values are at least this share distinct is an id gone wrong (an empty
#: cell, a duplicate), never a feature: as a category it is one level per customer.
NEARLY_UNIQUE = 0.9
#: Fewer rows than this say little about whether a text column is nearly unique.
MIN_ROWS_NEARLY_UNIQUE = 20


def roles_metadata(id_column: str, outcome_columns) -> dict[bytes, bytes]:
    """The key-value metadata a written table carries: its id and outcome columns."""
    roles = {"id_column": id_column, "outcome_columns": list(outcome_columns)}
    return {METADATA_KEY: json.dumps(roles).encode()}


def file_roles(path: str | Path) -> dict:
    """The roles a Parquet file declares (:func:`roles_metadata`), else ``{}`` (CSV files,
    and Parquet files from elsewhere, are read by the rules)."""
    path = Path(path)
    if path.suffix.lower() not in (".parquet", ".pq") or not path.is_file():
        return {}
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_schema(path).metadata or {}
        roles = json.loads(metadata.get(METADATA_KEY, b"{}"))
    except Exception:  # an unreadable file is reported, in one line, by its reader
        return {}
    return roles if isinstance(roles, dict) else {}


def outcome_names(columns) -> list[str]:
    """The columns the name rule makes outcomes (``holdout_*``)."""
    return [str(c) for c in columns if str(c).lower().startswith(OUTCOME_PREFIX)]


def id_like_name(name) -> bool:
    """Whether a column's name says it is an identifier: its last word is ``id`` (any case,
    after ``_``, ``-``, a space or a lower-case letter: ``CustomerID``, ``user_id``), it
    names a customer's number (``customer_no``, ``userid``) or just the customer (``cust``,
    ``customer``), or it is pandas' saved row index."""
    text = str(name).strip()
    if text.lower() in _INDEX_NAMES:
        return True
    words = [w.lower() for w in re.split(r"[_\-\s.]+|(?<=[a-z])(?=[A-Z])", text) if w]
    if not words:
        return False
    if words[-1] in _ID_WORDS or (len(words) == 1 and words[0] in _ID_OWNERS):
        return True  # ``customer_id``, or a column named just ``cust`` or ``customer``
    joined = "".join(words[-2:])
    return any(joined == owner + number for owner in _ID_OWNERS for number in _ID_NUMBERS)


def _kind(name, values: pd.Series) -> str | None:
    """``"name"`` for a column named like an id (numbers or text), ``"text"`` for other
    text (not numbers written as text), else None: the columns that can be ids."""
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    text = not (
        pd.api.types.is_numeric_dtype(values)
        or pd.api.types.is_bool_dtype(values)
        or pd.api.types.is_datetime64_any_dtype(values)
    )
    if id_like_name(name) and (numeric or text):
        return "name"
    if text and not _numbers_as_text(values):
        return "text"
    return None


def id_like_columns(frame: pd.DataFrame, exclude=()) -> list[str]:
    """Columns of ``frame`` (other than ``exclude``) that are unique per row, never empty,
    and identifiers by name or by type (text, where every value is its own category)."""
    found = []
    for name in frame.columns:
        if name in exclude or _kind(name, frame[name]) is None:
            continue
        values = frame[name]
        if len(values) > 1 and values.notna().all() and values.is_unique:
            found.append(str(name))
    return found


def broken_id(frame: pd.DataFrame, exclude=()) -> tuple[str, str] | None:
    """The first column of ``frame`` that is nearly unique (:data:`NEARLY_UNIQUE`) and can
    be an id, yet is none (an empty cell, a duplicate), with what is wrong with it; None
    where there is none. Such a column is an id with a fault, never a feature."""
    for name in frame.columns:
        kind = None if name in exclude else _kind(name, frame[name])
        values = frame[name]
        if (
            kind is None
            or (kind == "text" and len(values) < MIN_ROWS_NEARLY_UNIQUE)
            or len(values) < 2
        ):
            continue
        if values.nunique() < NEARLY_UNIQUE * len(values):
            continue
        empty = int(values.isna().sum())
        if empty:
            return str(name), f"is empty in {empty} row(s)"
        duplicated = values[values.duplicated()]
        if len(duplicated):
            return str(name), f"has duplicates such as {plain(duplicated.iloc[0])!r}"
    return None


def _numbers_as_text(values: pd.Series) -> bool:
    return bool(pd.to_numeric(values, errors="coerce").notna().mean() >= 0.9)
