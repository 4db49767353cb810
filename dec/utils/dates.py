"""Reading dates: the one rule for purchase-log dates and as-of dates.

Every date the package compares is time-zone-naive. Text with a time zone (``...Z``,
``+05:00``) is converted to UTC and the zone dropped, so a log written in UTC and an as-of
date written with an offset compare as the same instants. Day and month written as
``07/08/2020`` are read day-first only when some day is above 12; where every value fits
both orders the file is read month-first (pandas' rule) and the user is warned.
"""

from __future__ import annotations

import re
import warnings

import pandas as pd

from dec.errors import ConfigError, DataError

#: ``dd/mm/yyyy``, ``mm.dd.yy`` and the like: the forms whose order of day and month is
#: not written down.
_SLASHED = r"^\s*(\d{1,2})[/.\-\s](\d{1,2})[/.\-\s](\d{2}|\d{4})(?:\D|$)"


#: Words that date parsers read as dates (the day the command runs, 1970-01-01) but no
#: purchase was made on: refused, on every engine.
PLACEHOLDERS = (
    "today",
    "now",
    "yesterday",
    "tomorrow",
    "epoch",
    "infinity",
    "-infinity",
    "allballs",
)


def parse_date(text, *, setting: str = "{data.as_of}") -> pd.Timestamp:
    """One date (an as-of date) as a naive Timestamp, UTC where it has a zone.

    Raises
    ------
    ConfigError
        For empty text, ``NaT`` or anything that is not a date, naming ``setting``.
    """
    shown = str(text).strip()
    if not shown:
        raise ConfigError(f"{setting} is empty; give a date as YYYY-MM-DD")
    try:
        stamp = pd.Timestamp(shown)
    except (ValueError, TypeError, OverflowError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise ConfigError(f"{setting} {shown!r} is not a date; write it as YYYY-MM-DD")
    fields = re.match(_SLASHED, shown)
    if fields and int(fields[1]) <= 12 and int(fields[2]) <= 12 and fields[1] != fields[2]:
        raise ConfigError(
            f"{setting} {shown!r} could be day/month or month/day; write it as YYYY-MM-DD"
        )
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp


def parse_dates(values: pd.Series, source: str) -> pd.Series:
    """A log's date column as naive datetimes (UTC where a value has a zone).

    ``YYYYMMDD`` integers or text are read as such; day-first ``dd/mm/yyyy`` where a
    first field is above 12; an order that every value fits both ways is read month-first
    with a warning.

    Raises
    ------
    DataError
        Naming the first value that is not a date.
    """
    text = values.astype(str).str.strip()
    options: dict = {}
    if text.str.fullmatch(r"\d{8}").all():
        options["format"] = "%Y%m%d"
    elif text.str.match(r"\d{4}-\d{2}-\d{2}").all():
        options["format"] = "ISO8601"  # with or without a time, seconds or a zone
    else:
        options["dayfirst"] = _day_first(text, source)
    with warnings.catch_warnings():
        # pandas warns when it parses dates one by one; unreadable ones are reported below.
        warnings.simplefilter("ignore", UserWarning)
        dates = pd.to_datetime(text, errors="coerce", utc=True, **options)
    dates = dates.where(~text.str.lower().isin(PLACEHOLDERS))
    if dates.isna().any():
        bad = values[dates.isna()].iloc[0]
        raise DataError(f"{source}: cannot read date {str(bad)!r}; use YYYY-MM-DD or YYYYMMDD")
    return dates.dt.tz_localize(None)


def _day_first(text: pd.Series, source: str) -> bool:
    fields = text.str.extract(_SLASHED)
    if len(text) == 0 or fields[0].isna().any():
        return False  # ISO dates and the like say their order themselves
    first, second = fields[0].astype(int), fields[1].astype(int)
    if (first > 12).any():
        return True
    if not (second > 12).any():
        warnings.warn(
            f"{source}: dates such as {text.iloc[0]!r} could be day/month or "
            "month/day; they were read month first (MM/DD/YYYY); write them as "
            "YYYY-MM-DD to be sure",
            stacklevel=3,
        )
    return False
