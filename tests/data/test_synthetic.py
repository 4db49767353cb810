import numpy as np
import pandas as pd

from dec.data.synthetic import SEGMENT_NAMES, make_customers


def test_same_seed_same_table_and_different_seed_differs():
    a, la = make_customers(500, random_state=3)
    b, lb = make_customers(500, random_state=3)
    c, _ = make_customers(500, random_state=4)
    pd.testing.assert_frame_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    assert not a.equals(c)


def test_table_is_realistic():
    frame, labels = make_customers(5000, random_state=0)
    assert frame.index.name == "customer_id" and frame.index.is_unique
    assert set(np.unique(labels)) == set(range(len(SEGMENT_NAMES)))
    assert 0.01 < frame.isna().to_numpy().mean() < 0.03  # about 2 % missing
    kinds = frame.dtypes.map(lambda d: d.kind)
    assert (kinds == "f").sum() >= 10 and (kinds != "f").sum() >= 3  # mixed types
    spend = frame["total_spend"]
    assert spend.skew() > 2 and spend.max() > 10 * spend.median()  # heavy tail
    shares = frame.filter(regex="^share_").sum(axis=1)
    assert np.allclose(shares, 1.0, atol=0.01)


def test_noise_columns_do_not_depend_on_segment():
    frame, labels = make_customers(20000, random_state=0)
    by_segment = frame.groupby(labels)
    opens = by_segment["newsletter_opens"].mean()
    assert opens.max() - opens.min() < 0.2  # Poisson(4): same in every segment
    region = pd.crosstab(labels, frame["region"], normalize="index")
    assert (region.max() - region.min()).max() < 0.05
    recency = by_segment["recency_days"].median()
    assert recency.max() > 5 * recency.min()  # while the behaviour columns do differ
