"""RFM names for segments: find the recency, frequency and monetary columns, score a
segment's medians 1-5 against all customers, and name it (Champions, At Risk, ...).

The names are the usual RFM segment names (a grid of R against the mean of F and M);
scores are quintiles of the segment's median among all customers, so a name says where
the segment's typical customer stands.
"""

from __future__ import annotations

import re

import pandas as pd

#: Column-name patterns that identify recency (days since the last order), frequency
#: (orders) and monetary value (total spend); docs/profiles.md lists them for users.
RFM_PATTERNS = {
    "recency": r"(recency|days_since_last|since_last_(order|purchase|visit)|"
    r"last_(order|purchase)_days|days_inactive)",
    "frequency": r"^(frequency|(n|num|total|count)_?(orders|purchases|transactions)|"
    r"(orders|purchases|transactions)(_count)?|(order|purchase)_count)$",
    "monetary": r"(total_spend|monetary|total_value|revenue|spend_total|total_amount|"
    r"total_sales|lifetime_value|^spend$|^sales$)",
}
RFM_ROLES = tuple(RFM_PATTERNS)
#: Optional: how long someone has been a customer, to tell "New" from "Potential Loyalists".
TENURE_PATTERN = r"(tenure|days_since_first|customer_age_days)"


def find_rfm_columns(columns, given: dict[str, str | None] | None = None) -> dict[str, str] | None:
    """The recency, frequency and monetary columns, or None unless all three are found.

    Parameters
    ----------
    columns : sequence of str
        The numeric feature columns.
    given : dict, optional
        Columns the user named per role (``data.recency_column`` ...); a role left out or
        None is found by :data:`RFM_PATTERNS` among the columns not named for another role.
    """
    given = {role: name for role, name in (given or {}).items() if name}
    found = {}
    for role, pattern in RFM_PATTERNS.items():
        if role in given:
            found[role] = given[role]
            continue
        matches = [
            c
            for c in columns
            if re.search(pattern, str(c), re.IGNORECASE) and c not in given.values()
        ]
        if not matches:
            return None
        found[role] = matches[0]
    return found


def rfm_score(values: pd.Series, segment_value: float, *, reverse: bool = False) -> int:
    """1-5 score of a segment's median against all customers (quintile of its rank)."""
    share_below = float((values.dropna() < segment_value).mean())
    score = min(5, 1 + int(share_below * 5))
    return 6 - score if reverse else score


def rfm_name(r: int, f: int, m: int, tenure: int | None = None) -> str:
    """Map R, F, M scores (1-5) to the usual RFM segment names.

    ``tenure`` (1-5, optional) marks recently acquired customers as "New" even after their
    second or third order.
    """
    fm = (f + m) / 2
    if r >= 4 and tenure is not None and tenure == 1 and fm < 4:
        return "New"
    if r >= 4 and fm >= 4:
        return "Champions"
    if r <= 2 and fm >= 4:
        return "Can't Lose" if r == 1 else "At Risk"
    if r >= 3 and fm >= 3.5:
        return "Loyal"
    if r >= 4 and fm <= 1.5:
        return "New"
    if r >= 3:
        return "Potential Loyalists"
    if fm >= 3:
        return "At Risk"
    return "Lost" if r == 1 else "Hibernating"


def rfm_naming(
    features: pd.DataFrame, median: pd.Series, rfm: dict[str, str], numeric: list[str]
) -> dict[str, str]:
    """The segment's RFM name and scores from the medians of its R, F, M (and tenure)."""
    r = rfm_score(features[rfm["recency"]], median[rfm["recency"]], reverse=True)
    f = rfm_score(features[rfm["frequency"]], median[rfm["frequency"]])
    m = rfm_score(features[rfm["monetary"]], median[rfm["monetary"]])
    tenure_cols = [c for c in numeric if re.search(TENURE_PATTERN, str(c), re.I)]
    tenure = rfm_score(features[tenure_cols[0]], median[tenure_cols[0]]) if tenure_cols else None
    return {"name": rfm_name(r, f, m, tenure), "rfm": f"R{r} F{f} M{m}"}
