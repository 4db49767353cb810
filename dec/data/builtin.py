"""The built-in sources: generated customers, scikit-learn's digits and the customer tables
shipped in ``data/modeldata/``."""

from __future__ import annotations

import pandas as pd

from dec.data.dataset import Dataset
from dec.data.readers import read_table, split_outcomes

#: Real customer tables shipped in ``data/modeldata/`` (provenance in data/README.md):
#: name -> (id column, outcome column). The outcome judges the segments, never a feature.
PACKAGED_TABLES = {"mlc_churn": ("rownames", "churn"), "attrition": ("rownames", "Attrition")}


def packaged_table(name: str) -> Dataset:
    """A table of :data:`PACKAGED_TABLES`, its outcome kept aside."""
    from dec.utils.resources import shipped_data

    id_column, outcome = PACKAGED_TABLES[name]
    path = shipped_data(f"modeldata/{name}.csv.gz")
    frame, _ = read_table(path, id_column=id_column)
    frame.index.name = "customer_id"
    frame, outcomes = split_outcomes(frame, [outcome], path)
    return Dataset(name, frame, None, outcomes)


def synthetic(n_samples: int, random_state: int) -> Dataset:
    """Generated customers with planted segments (:func:`dec.data.synthetic.make_customers`)."""
    from dec.data.synthetic import make_customers

    features, labels = make_customers(n_samples, random_state=random_state)
    return Dataset("synthetic", features, labels)


def digits() -> Dataset:
    """scikit-learn's handwritten digits, the classic sanity check for DEC."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    # Grey levels 0..16 scaled to [0, 1], as DEC's papers scale MNIST.
    features = pd.DataFrame(digits.data / 16.0, columns=[f"pixel_{i}" for i in range(64)])
    features.index = pd.Index([f"D{i:05d}" for i in range(len(features))], name="id")
    return Dataset("digits", features, digits.target.astype(int))
