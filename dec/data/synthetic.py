"""Synthetic e-commerce customers drawn from planted segments.

The table mimics what a retailer's CRM export looks like: demographics and purchase
behaviour, mixed numeric and categorical columns, heavy-tailed money columns, about 2 %
missing values, and a few columns that have nothing to do with the segments. Each segment
is a *tendency*, not a box: customers are drawn around a segment profile with wide spread,
so neighbouring segments overlap. The difficulty was set once, with KMeans alone (see
``SEPARATION``), never by looking at how DEC does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEGMENT_NAMES = (
    "bargain_hunters",
    "loyal_big_spenders",
    "occasional_browsers",
    "new_customers",
    "lapsed_customers",
)

CATEGORIES = ("electronics", "fashion", "home", "beauty")

# One row per segment. Location parameters of each feature's distribution; the spread
# around them is shared by all segments, so overlap comes from the data, not from labels.
_PROFILES = pd.DataFrame(
    {
        "age": [31, 46, 39, 29, 52],
        "log_income": [10.4, 11.2, 10.8, 10.6, 10.9],
        "orders": [9.0, 16.0, 2.5, 2.0, 4.0],
        "recency_days": [20, 12, 110, 15, 280],
        "tenure_days": [700, 1400, 900, 80, 1600],
        "log_aov": [3.4, 4.6, 4.0, 3.7, 3.9],
        "discount_share": [0.65, 0.15, 0.30, 0.35, 0.25],
        "return_rate": [0.06, 0.04, 0.10, 0.08, 0.12],
        "app_channel": [0.60, 0.45, 0.20, 0.55, 0.15],
    },
    index=SEGMENT_NAMES,
)

_CATEGORY_AFFINITY = np.array(
    [
        [1.0, 3.0, 2.0, 3.0],  # bargain hunters: fashion, beauty
        [3.0, 2.0, 3.0, 1.0],  # loyal big spenders: electronics, home
        [2.0, 2.0, 2.0, 2.0],  # occasional browsers: no preference
        [1.5, 3.0, 1.0, 2.5],  # new customers
        [2.5, 1.5, 2.5, 1.5],  # lapsed customers
    ]
)

_SEGMENT_SHARES = np.array([0.25, 0.12, 0.30, 0.15, 0.18])

#: How far segment profiles sit apart relative to the within-segment spread. Chosen once
#: so that KMeans on the standardised table lands in the middle of ARI 0.4-0.8.
SEPARATION = 1.0

MISSING_RATE = 0.02


def make_customers(
    n_samples: int = 20000,
    *,
    random_state: int = 0,
    separation: float = SEPARATION,
    missing_rate: float = MISSING_RATE,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Draw a customer table with planted segments.

    Parameters
    ----------
    n_samples : int, default=20000
        Number of customers.
    random_state : int, default=0
        Seed; the same seed always gives the same table.
    separation : float, default=SEPARATION
        Scales the distance between segment profiles (1.0 is the shipped difficulty).
    missing_rate : float, default=0.02
        Share of cells set to missing in the columns that usually have gaps.

    Returns
    -------
    features : DataFrame of shape (n_samples, 20)
        Indexed by ``customer_id``.
    labels : ndarray of shape (n_samples,)
        Planted segment of each customer (0..4), for evaluation only.
    """
    rng = np.random.default_rng(random_state)
    labels = rng.choice(len(SEGMENT_NAMES), size=n_samples, p=_SEGMENT_SHARES)
    if separation <= 0:
        raise ValueError("separation must be positive")
    behaviour = _draw_behaviour(rng, _segment_parameters(labels, separation), labels)
    frame = _assemble(rng, behaviour, n_samples)
    # The draws above and below come in a fixed order: the same seed gives the same table.
    for column in (
        "age",
        "income",
        "gender",
        "recency_days",
        "avg_order_value",
        "discount_share",
        "return_rate",
        "channel",
        "satisfaction_score",
    ):
        gaps = rng.random(n_samples) < missing_rate * 2.2
        frame.loc[gaps, column] = np.nan if frame[column].dtype.kind == "f" else None
    return frame, labels


def _segment_parameters(labels: np.ndarray, separation: float) -> dict[str, np.ndarray]:
    """Each customer's segment profile, pulled towards the grand mean by ``separation``."""
    centre = _PROFILES.mean()
    prof = centre + separation * (_PROFILES - centre)
    # Large separations would push rates past 0 or 1 and counts below zero.
    prof = prof.clip(lower=0.02 * centre, axis=1)
    prof[["discount_share", "return_rate", "app_channel"]] = prof[
        ["discount_share", "return_rate", "app_channel"]
    ].clip(upper=0.95)
    return {name: prof[name].to_numpy()[labels] for name in prof.columns}


def _draw_behaviour(rng: np.random.Generator, p: dict, labels: np.ndarray) -> dict:
    """Demographics and purchase behaviour around each customer's segment profile."""
    n_samples = len(labels)
    age = np.clip(rng.normal(p["age"], 11.0), 18, 90).round()
    income = np.exp(rng.normal(p["log_income"], 0.45))
    tenure = np.clip(rng.gamma(3.0, p["tenure_days"] / 3.0), 1, 4000).round()
    orders = 1 + rng.negative_binomial(2, 2 / (2 + np.maximum(p["orders"] - 1, 0.1)))
    recency = np.minimum(rng.gamma(1.5, p["recency_days"] / 1.5), tenure).round()
    aov = np.exp(rng.normal(p["log_aov"], 0.55))
    # Spend is orders x order value with noise of its own: heavy-tailed, as real spend is.
    total_spend = orders * aov * np.exp(rng.normal(0, 0.25, n_samples))
    shares = np.vstack([rng.dirichlet(_CATEGORY_AFFINITY[s]) for s in labels])
    discount_share = rng.beta(p["discount_share"] * 6, (1 - p["discount_share"]) * 6)
    return_rate = rng.beta(p["return_rate"] * 20, (1 - p["return_rate"]) * 20)
    app = rng.random(n_samples) < p["app_channel"]
    channel = np.where(app, "app", rng.choice(["web", "store"], size=n_samples, p=[0.7, 0.3]))
    return {
        "age": age,
        "income": income,
        "tenure": tenure,
        "orders": orders,
        "recency": recency,
        "aov": aov,
        "total_spend": total_spend,
        "shares": shares,
        "discount_share": discount_share,
        "return_rate": return_rate,
        "channel": channel,
    }


def _assemble(rng: np.random.Generator, b: dict, n_samples: int) -> pd.DataFrame:
    """The customer table, with the columns that have nothing to do with the segments."""
    return pd.DataFrame(
        {
            "age": b["age"],
            "gender": rng.choice(["female", "male", "other"], size=n_samples, p=[0.52, 0.46, 0.02]),
            "income": b["income"].round(-2),
            "region": rng.choice(["north", "south", "east", "west", "central"], size=n_samples),
            "orders": b["orders"].astype(float),
            "recency_days": b["recency"],
            "tenure_days": b["tenure"],
            "avg_order_value": b["aov"].round(2),
            "total_spend": b["total_spend"].round(2),
            **{f"share_{c}": b["shares"][:, i].round(3) for i, c in enumerate(CATEGORIES)},
            "discount_share": b["discount_share"].round(3),
            "return_rate": b["return_rate"].round(3),
            "channel": b["channel"],
            # Unrelated to the segments: what real tables carry too.
            "newsletter_opens": rng.poisson(4.0, n_samples).astype(float),
            "support_tickets": rng.poisson(0.4, n_samples).astype(float),
            "device_os": rng.choice(["android", "ios", "windows", "mac"], size=n_samples),
            "satisfaction_score": np.clip(rng.normal(7.5, 1.5, n_samples), 0, 10).round(1),
        },
        index=pd.Index([f"C{i:06d}" for i in range(n_samples)], name="customer_id"),
    )
