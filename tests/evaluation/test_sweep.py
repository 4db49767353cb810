import pandas as pd
import pytest
from conftest import SMOKE, run_script

from dec.errors import ConfigError
from dec.evaluation.recommend_k import (
    recommend,
    recommend_by_prediction_strength,
    recommend_by_stable_silhouette,
)
from dec.evaluation.sweep import parse_grid, write_report


def test_best_silhouette_among_stable_k():
    table = pd.DataFrame(
        {
            "k": [2, 3, 4, 5],
            "silhouette": [0.30, 0.25, 0.28, 0.10],
            "agreement": [0.95, 0.85, 0.60, 0.90],
        }
    )
    k, reason = recommend_by_stable_silhouette(table)
    assert k == 2 and "best silhouette (0.300)" in reason
    k, _ = recommend_by_stable_silhouette(table.assign(silhouette=[0.1, 0.3, 0.9, 0.2]))
    assert k == 3  # k=4 has the best silhouette but is unstable


def test_stable_silhouette_says_when_nothing_is_stable():
    table = pd.DataFrame({"k": [2, 3], "silhouette": [0.3, 0.2], "agreement": [0.4, 0.5]})
    k, reason = recommend_by_stable_silhouette(table)
    assert k == 3 and reason.startswith("no k reached agreement 0.8")


def test_one_seed_without_bootstrap_is_reported_not_a_crash(tmp_path):
    # One seed and no bootstrap leave the agreement NaN for every k (this used to raise in
    # pandas' idxmax after the whole sweep had trained).
    table = pd.DataFrame(
        {
            "k": [2, 3],
            "silhouette": [0.2, 0.3],
            "agreement": [None, None],
            "prediction_strength": [0.9, 0.5],
            "embedding_silhouette": [0.3, 0.2],
        },
        dtype=float,
    )
    k, reason = recommend_by_stable_silhouette(table)
    assert k == 3 and reason.endswith(
        "the runs' agreement was not measured (give two --seeds or --bootstrap 1 or more)"
    )
    write_report(table.assign(k=[2, 3]), [], tmp_path)
    assert (tmp_path / "sweep.md").read_text().count("Recommended: **k = 2**") == 1


def test_report_gives_each_seeds_pick_per_grid_point(tmp_path):
    means = pd.DataFrame(
        {
            "gamma": [0, 0, 10, 10],
            "k": [2, 3, 2, 3],
            "silhouette": [0.3, 0.2, 0.3, 0.2],
            "agreement": [0.9] * 4,
            "prediction_strength": [0.9, 0.85, 0.9, 0.6],
            "embedding_silhouette": [0.2] * 4,
        }
    )
    # gamma 0: both seeds reach 0.8 at k = 3; gamma 10: seed 0 at k = 3, seed 1 only at 2
    per_seed = pd.DataFrame(
        {
            "gamma": [0] * 4 + [10] * 4,
            "k": [2, 2, 3, 3] * 2,
            "seed": [0, 1] * 4,
            "prediction_strength": [0.9, 0.9, 0.85, 0.85, 0.9, 0.9, 0.9, 0.3],
            "embedding_silhouette": [0.2] * 8,
        }
    )
    write_report(means, ["gamma"], tmp_path, per_seed)
    text = (tmp_path / "sweep.md").read_text()
    assert "alone: k = 3 (seed 0), k = 3 (seed 1)." in text.split("## gamma=10")[0]
    assert "alone: k = 3 (seed 0), k = 2 (seed 1)." in text.split("## gamma=10")[1]
    write_report(means, ["gamma"], tmp_path, per_seed[per_seed["seed"] == 0])
    assert "each seed" not in (tmp_path / "sweep.md").read_text()  # one seed: the table


def test_recommend_follows_prediction_strength_and_flags_unstable_segments():
    table = pd.DataFrame(
        {
            "k": [2, 3, 4, 5],
            "silhouette": [0.30, 0.25, 0.28, 0.10],
            "agreement": [0.95, 0.85, 0.90, 0.90],
            "prediction_strength": [0.99, 0.9, 0.85, 0.5],
        }
    )
    k, reason = recommend(table)
    assert k == 4 and "largest k" in reason and "agree less" not in reason
    k, reason = recommend(table.assign(agreement=[0.95, 0.85, 0.60, 0.90]))
    assert k == 4 and "agree less than 0.8 (mean ARI across seeds and resamples: 0.60)" in reason
    # A sweep.csv from before the rename, its ARI under "stability", reads the same.
    former = table.assign(agreement=[0.95, 0.85, 0.60, 0.90]).rename(
        columns={"agreement": "stability"}
    )
    assert recommend(former) == (k, reason)


def test_recommend_falls_back_to_the_embeddings_silhouette_when_no_k_is_predictable():
    table = pd.DataFrame(
        {
            "k": [2, 3, 4],
            "silhouette": [0.3, 0.1, 0.1],
            "embedding_silhouette": [0.1, 0.3, 0.2],
            "agreement": [0.9, 0.9, 0.9],
            "prediction_strength": [0.7, 0.5, 0.4],
        }
    )
    k, reason = recommend(table)
    assert k == 3  # the inputs' silhouette (k = 2) is not what the fallback reads
    assert reason.startswith("no k reached prediction strength 0.8")
    assert "best silhouette on the pretrained embeddings (0.300)" in reason
    assert "largest k tried" not in reason and "agree less" not in reason
    k, reason = recommend(
        table.assign(embedding_silhouette=[0.1, 0.2, 0.3], agreement=[0.9, 0.9, 0.5])
    )
    assert k == 4 and "agree less than 0.8 (mean ARI across seeds and resamples: 0.50)" in reason
    assert reason.endswith(
        "it is the largest k tried: widen --k to see whether a larger k does better"
    )


def test_prediction_strength_rule_takes_the_largest_strong_k():
    table = pd.DataFrame({"k": [2, 3, 4, 5, 6], "prediction_strength": [0.95, 0.9, 0.6, 0.85, 0.5]})
    k, reason = recommend_by_prediction_strength(table)
    assert k == 5 and "largest k" in reason
    k, reason = recommend_by_prediction_strength(table.assign(prediction_strength=0.1))
    assert k == 1 and reason.startswith("no k reached")


def test_parse_grid():
    assert parse_grid(["refine.gamma=0,10", "model.embedding_dim=5"]) == {
        "refine.gamma": ["0", "10"],
        "model.embedding_dim": ["5"],
    }
    with pytest.raises(ConfigError):
        parse_grid(["refine.gamma"])


@pytest.mark.slow
def test_sweep_script_writes_table_recommendation_and_plot(tmp_path):
    out = tmp_path / "sweep"
    result = run_script(
        "sweep.py",
        "--config",
        str(SMOKE),
        "--k",
        "2,3",
        "--seeds",
        "0,1",
        "--bootstrap",
        "1",
        "--output-dir",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out / "sweep.csv")
    assert list(table["k"]) == [2, 3]
    assert {
        "silhouette",
        "davies_bouldin",
        "calinski_harabasz",
        "agreement",
        "agreement_seeds",
        "agreement_bootstrap",
        "prediction_strength",
        "embedding_silhouette",
    } <= set(table.columns)
    assert table["prediction_strength"].between(0, 1).all()
    assert table["embedding_silhouette"].between(-1, 1).all()
    assert table["agreement"].between(-1, 1).all()
    # The former names, kept for scripts that read them: the same numbers, at the end.
    assert list(table.columns[-3:]) == ["stability", "stability_seeds", "stability_bootstrap"]
    for name in ("", "_seeds", "_bootstrap"):
        assert table[f"stability{name}"].equals(table[f"agreement{name}"])
    text = (out / "sweep.md").read_text()
    assert "Recommended: **k =" in text and "agreement" in text
    # In the sweep, "stability" is only named to say that it is test.py's Jaccard.
    mentions = [line for line in text.splitlines() if "stabil" in line.lower()]
    assert len(mentions) == 1 and "not the per-segment bootstrap Jaccard" in mentions[0]
    seeds = pd.read_csv(out / "sweep_seeds.csv")
    assert sorted(zip(seeds["k"], seeds["seed"])) == [(2, 0), (2, 1), (3, 0), (3, 1)]
    assert seeds.groupby("k")["prediction_strength"].mean().tolist() == pytest.approx(
        table["prediction_strength"].tolist()
    )
    assert "The same rule on each seed's scores alone: k = " in (out / "sweep.md").read_text()
    assert (out / "sweep.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_sweep_on_bad_data_says_so_in_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "sweep"
    result = run_script(
        "sweep.py",
        "--k",
        "2,3",
        "--output-dir",
        str(out),
        f"data.source={tmp_path / 'missing.csv'}",
    )
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]  # after the progress log's "sweep: k=2"
    assert last.startswith("error: data file") and last.endswith(
        "missing.csv not found; check the path"
    )
    assert "Traceback" not in result.stderr and not out.exists()


@pytest.mark.slow
def test_sweep_into_a_file_stops_before_training(tmp_path):
    (tmp_path / "taken").write_text("")
    result = run_script("sweep.py", "--k", "2", "--output-dir", str(tmp_path / "taken"))
    assert result.returncode == 2 and "sweep:" not in result.stderr  # no k was started
    assert result.stderr.strip() == (
        f"error: cannot create sweep folder {tmp_path / 'taken'}: "
        "it is a file, not a folder; choose another --output-dir"
    )


def test_sweep_plot_marks_each_grid_points_recommended_k():
    from dec.evaluation.sweep_plot import plot_sweep

    table = pd.DataFrame(
        {
            "gamma": [0, 0, 10, 10],
            "k": [2, 3, 2, 3],
            "silhouette": [0.3, 0.2, 0.3, 0.1],
            "prediction_strength": [0.9, 0.85, 0.9, 0.5],
        }
    )
    fig = plot_sweep(table, ["gamma"], 0.8, recommended=[3, 2])
    verticals = [
        tuple(line.get_xdata()) for line in fig.axes[1].lines if line.get_linestyle() == ":"
    ]
    assert verticals == [(3, 3), (2, 2)]
    assert fig.axes[0].lines[0].get_color() != fig.axes[0].lines[2].get_color()


def test_python_m_dec_sweep_takes_trains_data_flags(tmp_path, capsys):
    """``python -m dec sweep --data T --id-column C --k 2-3``: the same flags as train."""
    from conftest import cli

    path = _customers_csv(tmp_path)
    out = tmp_path / "sweep"
    code, err = _sweep_on(
        path,
        "--k",
        "2-3",
        "--seeds",
        "0",
        "--bootstrap",
        "1",
        "--output-dir",
        str(out),
        capsys=capsys,
    )
    assert code == 0, err
    assert list(pd.read_csv(out / "sweep.csv")["k"]) == [2, 3]
    code, err = cli(
        "sweep",
        "--data",
        str(path),
        "--id-column",
        "nope",
        "--k",
        "2",
        "--output-dir",
        str(tmp_path / "bad"),
        capsys=capsys,
    )
    assert code == 2 and "nope" in err.strip().splitlines()[-1]
    assert not (tmp_path / "bad").exists()


def test_sweep_never_writes_over_the_table_it_reads(tmp_path, capsys):
    """A customer table named sweep.csv in the --output-dir folder: refused before any training."""
    from conftest import cli

    from dec.data.synthetic import make_customers

    table = tmp_path / "sweep.csv"
    make_customers(300, random_state=1)[0].to_csv(table, index_label="customer_id")
    before = table.read_bytes()
    code, err = cli(
        "sweep",
        "--config",
        str(SMOKE),
        "--data",
        str(table),
        "--id-column",
        "customer_id",
        "--k",
        "2",
        "--output-dir",
        str(tmp_path),
        capsys=capsys,
    )
    assert code == 2 and "the data the sweep reads" in err and "sweep:" not in err
    assert table.read_bytes() == before


def test_sweep_shows_each_outcome_per_k(tmp_path, capsys):
    """``--outcome-columns`` in a sweep: each k's eta² of every outcome, in sweep.csv,
    sweep_seeds.csv, sweep.md and the plot; the recommendation does not read it."""
    import numpy as np

    rng = np.random.default_rng(0)
    path = _customers_csv(tmp_path, churned=lambda n: (rng.random(n) < 0.3).astype(int))
    out = tmp_path / "sweep"
    code, err = _sweep_on(
        path,
        "--outcome-columns",
        "churned",
        "--k",
        "2,3",
        "--seeds",
        "0",
        "--output-dir",
        str(out),
        capsys=capsys,
    )
    assert code == 0, err
    table = pd.read_csv(out / "sweep.csv")
    assert table["churned_eta2"].between(0, 1).all() and len(table) == 2
    assert "churned_eta2" in pd.read_csv(out / "sweep_seeds.csv").columns
    text = (out / "sweep.md").read_text()
    assert "churned_eta2" in text and "They judge the segments and never chose k." in text
    best = int(table.loc[table["churned_eta2"].idxmax(), "k"])
    assert f"most explained: churned, k = {best})" in text
    assert recommend(table) == recommend(table.drop(columns="churned_eta2"))


def _customers_csv(folder, **extra):
    """300 synthetic customers with an id column ``customer_id`` (and each ``extra``
    column, from a function of the number of rows) as a CSV in ``folder``."""
    from dec.data.synthetic import make_customers

    customers = make_customers(300, random_state=1)[0]
    for name, make in extra.items():
        customers[name] = make(len(customers))
    path = folder / "customers.csv"
    customers.to_csv(path, index_label="customer_id")
    return path


def _sweep_on(path, *args, capsys):
    """``dec sweep`` with the smoke config on the customer table ``path``."""
    from conftest import cli

    return cli(
        "sweep",
        "--config",
        str(SMOKE),
        "--data",
        str(path),
        "--id-column",
        "customer_id",
        *args,
        capsys=capsys,
    )
