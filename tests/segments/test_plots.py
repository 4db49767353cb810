"""The segment figures draw for every shape of data a run can have, desktop and phone."""

import numpy as np
import pandas as pd
import pytest

from dec.segments.plots import plot_confusion, plot_feature_heatmap, segment_figures
from dec.utils.figures import PHONE, figure_png, plt, smallest_text_share


def _tick_labels(fig, axis="y"):
    ax = fig.axes[0]
    ticks = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in ticks]


def test_more_known_classes_than_segments_draws_a_row_per_segment():
    labels = np.array([0, 1, 2, 3, 4, 0, 1, 2])
    segments = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    fig = plot_confusion(labels, segments, ["a", "b", "c"])
    assert _tick_labels(fig) == ["0: a", "1: b", "2: c"]
    plt.close(fig)


def test_the_heatmap_names_each_row_by_its_segment_when_one_is_empty():
    features = pd.DataFrame({"spend": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    segments = np.array([0, 0, 1, 1, 3, 3])  # segment 2 has nobody
    fig = plot_feature_heatmap(features, segments, ["zero", "one", "(empty)", "three"])
    assert _tick_labels(fig) == ["0: zero", "1: one", "3: three"]
    plt.close(fig)


def test_only_categories_draw_no_heatmap_and_the_rest_still_draws():
    features = pd.DataFrame({"channel": list("aabbab"), "region": list("xyxyxx")})
    segments = np.array([0, 0, 1, 1, 0, 1])
    embeddings = np.random.default_rng(0).normal(size=(6, 2))
    for phone in (False, True):
        figures = segment_figures(features, segments, embeddings, ["a", "b"], phone=phone)
        assert "segment_heatmap" not in " ".join(figures) and len(figures) == 2
        for fig in figures.values():
            figure_png(fig)


@pytest.mark.parametrize("k", [3, 12])
def test_phone_figures_keep_their_text_readable_with_long_names(k):
    rng = np.random.default_rng(0)
    segments = np.arange(120) % k
    features = pd.DataFrame(
        {f"a_very_long_feature_name_number_{i}": rng.normal(size=120) for i in range(8)}
    )
    embeddings = rng.normal(size=(120, 4))
    names = [f"segment name that goes on and on for a very long while {j}" * 2 for j in range(k)]
    figures = segment_figures(features, segments, embeddings, names, phone=True)
    for name, fig in figures.items():
        ticks = [t for ax in fig.axes for t in ax.get_yticklabels() if t.get_text()]
        assert all(t.get_text().count("\n") <= 1 for t in ticks), name  # two lines at most
        png = figure_png(fig, dpi=PHONE["dpi"])
        # Shown 343 px wide (a 390 px phone), the smallest text is at least 11 px.
        assert smallest_text_share(png) * 343 >= 11, name
