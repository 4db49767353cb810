"""scikit-learn's own estimator checks, run on :class:`dec.DeepEmbeddedClustering`.

The checks fit dozens of tiny data sets, so the estimator they get is shrunk to a few
optimiser steps of each stage on a one-layer network (enough steps that refinement runs):
what they test is the API, not the quality of the clustering.
"""

import pytest
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from dec import DeepEmbeddedClustering

TINY = dict(
    hidden_dims=(8,),
    embedding_dim=2,
    pretrain_epochs=1,
    refine_epochs=2,
    batch_size=16,
    n_init=1,
    update_interval=2,
    random_state=0,
)

# Checks that set ``n_clusters = 1`` before fitting. DEC refuses a single segment by design
# (ConfigError "model.n_clusters must be at least 2", asserted in tests/cli/test_bad_input.py),
# so they cannot pass as written; test_checks_that_set_one_cluster runs each of them with
# two clusters instead, so what they test beyond that is still tested.
ONE_CLUSTER_CHECKS = {
    "check_dont_overwrite_parameters": "fit does not change public attributes",
    "check_methods_subset_invariance": "predict, transform and predict_proba of one row "
    "match those of the whole batch",
    "check_fit2d_1feature": "fitting one feature works or says '1 feature(s)'",
    "check_fit2d_predict1d": "a 1-D array at predict is refused with 'Reshape your data'",
}


def _expected_failed_checks(estimator) -> dict[str, str]:
    return {
        name: f"sets n_clusters=1, which DEC refuses by design; run with n_clusters=2 "
        f"by test_checks_that_set_one_cluster ({what})"
        for name, what in ONE_CLUSTER_CHECKS.items()
    }


@parametrize_with_checks(
    [DeepEmbeddedClustering(2, **TINY)], expected_failed_checks=_expected_failed_checks
)
def test_sklearn_checks(estimator, check):
    check(estimator)


class _AtLeastTwoClusters(DeepEmbeddedClustering):
    """The estimator, reading an ``n_clusters`` below 2 as 2: the one change that lets the
    checks in ONE_CLUSTER_CHECKS run; everything they then test is the estimator's own."""

    def __setattr__(self, name, value):
        if name == "n_clusters":
            value = max(value, 2)
        super().__setattr__(name, value)


@pytest.mark.parametrize("check_name", sorted(ONE_CLUSTER_CHECKS))
def test_checks_that_set_one_cluster(check_name):
    check = getattr(estimator_checks, check_name)
    check(DeepEmbeddedClustering.__name__, _AtLeastTwoClusters(2, **TINY))
