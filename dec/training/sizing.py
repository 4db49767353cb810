"""Sizes that fit the table: how many epochs each stage runs, and how wide the embedding is.

An epoch of a 150-row table is one optimiser step at batch 256, of a 60,000-row table 235:
a budget in epochs leaves small tables almost untrained and large ones slow. Unless a
stage's ``epochs`` is given, the budget is its base epochs (40 for pretraining, 30 for
refinement: what the defaults always ran), raised to at least ``min_steps`` optimiser steps
and lowered to at most ``max_steps``, then rounded up to whole epochs. An embedding wider
than the table has columns only adds directions for the clusters to spread into, so
``model.embedding_dim: null`` takes the number of columns, up to 10.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dec.config import Config
    from dec.data import Dataset
log = logging.getLogger("dec")

#: Epochs a stage starts from when none are given (the earlier fixed defaults).
BASE_EPOCHS = {"pretrain": 40, "refine": 30}


def steps_per_epoch(n_rows: int, batch_size: int) -> int:
    """Optimiser steps in one pass over ``n_rows`` (the last batch may be short)."""
    return max(1, math.ceil(n_rows / batch_size))


def budget_epochs(
    n_rows: int,
    batch_size: int,
    *,
    epochs: int | None,
    base_epochs: int,
    min_steps: int,
    max_steps: int,
) -> int:
    """Epochs for one stage.

    Parameters
    ----------
    n_rows, batch_size : int
        Training rows and the stage's batch size.
    epochs : int or None
        Given epochs, which win; None for the budget.
    base_epochs : int
        Epochs of the budget before the step bounds.
    min_steps, max_steps : int
        Bounds on the budget in optimiser steps.

    Returns
    -------
    int
        ``epochs`` if given; else ``base_epochs`` brought within ``[min_steps,
        max_steps]`` steps, in whole epochs (at least one).

    Examples
    --------
    150 rows at batch 256 make 1 step an epoch: 40 epochs are 40 steps, raised to 2,000.

    >>> budget_epochs(150, 256, epochs=None, base_epochs=40, min_steps=2000, max_steps=50000)
    2000
    """
    if epochs is not None:
        return epochs
    per_epoch = steps_per_epoch(n_rows, batch_size)
    steps = min(max(base_epochs * per_epoch, min_steps), max_steps)
    return max(1, math.ceil(steps / per_epoch))


#: The widest embedding ``model.embedding_dim: null`` gives.
MAX_AUTO_EMBEDDING = 10


def embedding_width(embedding_dim: int | None, n_columns: int) -> int:
    """``embedding_dim`` if given; else the table's number of columns, at most
    :data:`MAX_AUTO_EMBEDDING` (and at least 1)."""
    if embedding_dim is not None:
        return embedding_dim
    return max(1, min(MAX_AUTO_EMBEDDING, n_columns))


def with_budget(config, n_train: int):
    """``config`` with both stages' epochs resolved for ``n_train`` training rows (the
    resolved numbers are what the run folder records and ``--resume`` continues)."""
    from dec.config import replace

    values = {}
    for stage in ("pretrain", "refine"):
        section = getattr(config, stage)
        values[stage] = {
            "epochs": budget_epochs(
                n_train,
                section.batch_size,
                epochs=section.epochs,
                base_epochs=BASE_EPOCHS[stage],
                min_steps=section.min_steps,
                max_steps=section.max_steps,
            )
        }
    return replace(config, values=values)


def resolve_config(config: Config, dataset: Dataset) -> Config:
    """The settings a run on ``dataset`` trains with: the recipe for its kind of data
    (detected when ``data.kind=auto``), then the sizes that fit the table
    (this module): the embedding width for its columns and each stage's epochs for its
    number of training rows; and the id and outcome columns the loader found in a table
    (``Dataset.found``), so every later read of the run's data takes the same ones."""
    from dec.config import replace
    from dec.config.recipes import apply_recipe
    from dec.data.kind import data_kind
    from dec.data.prepare import split_indices

    if dataset.found:
        config = replace(config, values={"data": dataset.found})
    kind = config.data.kind
    if kind == "auto":
        kind = data_kind(dataset.features)
        if kind != "table":
            log.info(
                "data: %d numeric columns on one scale: the %s recipe's settings replace "
                "the defaults (data.kind=table keeps them)",
                dataset.features.shape[1],
                kind,
            )
    config = apply_recipe(config, kind)
    d = config.data
    train, _, _ = split_indices(
        len(dataset),
        val_fraction=d.val_fraction,
        test_fraction=d.test_fraction,
        random_state=d.random_state,
    )
    width = embedding_width(config.model.embedding_dim, dataset.features.shape[1])
    return with_budget(replace(config, values={"model": {"embedding_dim": width}}), len(train))
