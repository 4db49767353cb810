"""Customer value: what each customer is worth, from the purchase-log features a run
already makes.

- :mod:`~dec.value.inputs`: ``x``, ``t_x``, ``T``, ``m_x`` from the features, and their checks;
- :mod:`~dec.value.closed_forms`: BG/NBD, Pareto/NBD and Gamma-Gamma in closed form;
- :mod:`~dec.value.settings`: the models and settings ``value_model.json`` keeps;
- :mod:`~dec.value.clv`: expected purchases, P(alive), spend and CLV per customer;
- :mod:`~dec.value.fit`: the models fitted by pymc-marketing (the ``dec[clv]`` extra).
"""

from dec.value.closed_forms import (
    WEEKS_PER_MONTH,
    alive,
    discounted_value,
    expected_purchases,
    expected_spend,
    monthly_rate,
    nonpositive_spend,
    p_alive,
    pareto_dropout_odds,
    pareto_expected_purchases,
    pareto_p_alive,
    purchases_ahead,
    purchases_since_first,
)
from dec.value.clv import (
    VALUE_COLUMNS,
    customer_value,
    value_arrays,
)
from dec.value.inputs import (
    FEATURE_RULES,
    RFM_FEATURES,
    features_problem,
    rfm,
    spark_checked_features,
)
from dec.value.settings import (
    DEFAULT_MODELS,
    MODEL_PARAMETERS,
    PURCHASE_MODELS,
    check_discount_rate,
    model_of,
    parameters,
    parse_horizon,
    settings_problem,
)

__all__ = [
    "DEFAULT_MODELS",
    "FEATURE_RULES",
    "MODEL_PARAMETERS",
    "PURCHASE_MODELS",
    "RFM_FEATURES",
    "VALUE_COLUMNS",
    "WEEKS_PER_MONTH",
    "alive",
    "check_discount_rate",
    "customer_value",
    "discounted_value",
    "expected_purchases",
    "expected_spend",
    "features_problem",
    "model_of",
    "monthly_rate",
    "nonpositive_spend",
    "p_alive",
    "parameters",
    "pareto_dropout_odds",
    "pareto_expected_purchases",
    "pareto_p_alive",
    "parse_horizon",
    "purchases_ahead",
    "purchases_since_first",
    "rfm",
    "settings_problem",
    "shown_value",
    "spark_checked_features",
    "value_arrays",
]
