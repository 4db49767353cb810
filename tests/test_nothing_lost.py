"""Issue 21: no command writes over what it reads or what a run depends on, ids stay as
written, and every bad input from the hostile pass is one line (or a warning and a correct
result). The commands run in this process (``run_cli``, as the scripts do), so the many
cases cost seconds, not a Python start each."""

import json
import os
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import SMOKE, cli, one_error, write_small_log

from dec.config import load_config, replace
from dec.errors import ConfigError, DataError, RunDirError
from dec.runs.rundir import RunDir
from dec.training.pipeline import fit
from dec.utils import files

FAST = ["pretrain.epochs=1", "refine.epochs=1"]
MATHTEXT = r"$\badcmd{$"


def customers(n=300) -> pd.DataFrame:
    """Customers whose ids have leading zeros, a category value matplotlib would read as
    mathtext, and a constant outcome column."""
    from dec.data.synthetic import make_customers

    frame, _ = make_customers(n, random_state=0)
    frame = frame.reset_index()
    frame["customer_id"] = [f"{i:05d}" for i in range(n)]
    frame.loc[::7, "device_os"] = MATHTEXT
    frame["promo"] = 1
    return frame


@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("table_run")
    customers().to_csv(folder / "t1.csv", index=False)
    fit(
        replace(
            load_config(SMOKE),
            [
                *FAST,
                f"data.source={folder / 't1.csv'}",
                "data.id_column=customer_id",
                "data.outcome_columns=[promo]",
            ],
        ),
        folder / "run",
    )
    return folder


@pytest.fixture(scope="module")
def log_run(tmp_path_factory):
    """A run trained on the first 3,000 rows of CDNOW, saved as ``log.csv``."""
    folder = tmp_path_factory.mktemp("log_run")
    write_small_log(folder)
    fit(
        replace(
            load_config(SMOKE),
            [
                *FAST,
                f"data.source={folder / 'log.csv'}",
                "data.format=transactions",
                "data.id_column=cust",
                "data.date_column=date",
                "data.amount_column=value",
                "data.as_of=1997-09-30",
            ],
        ),
        folder / "run",
    )
    return folder


def spelt(path, how: str, tmp_path):
    """``path`` under another name: through ``..``, a symbolic link or a hard link."""
    if how == "same":
        return path
    if how == "dotdot":
        return path.parent / ".." / path.parent.name / path.name
    other = tmp_path / f"{how}{path.suffix}"
    (os.symlink if how == "symlink" else os.link)(path, other)
    return other


# ------------------------------------------------------- outputs never land on inputs
@pytest.mark.parametrize("how", ["same", "dotdot", "symlink", "hardlink"])
def test_export_never_writes_over_the_data_the_run_was_trained_on(table_run, tmp_path, how, capsys):
    data = table_run / "t1.csv"
    before = data.read_bytes()
    code, err = cli(
        "export", "--run", table_run / "run", "--output", spelt(data, how, tmp_path), capsys=capsys
    )
    assert code == 2 and one_error(err, "is the data the run was trained on"), err
    assert data.read_bytes() == before


def test_no_output_lands_on_a_file_of_the_run(table_run, tmp_path, capsys):
    run = table_run / "run"
    profiles = run / "profiles.csv"  # test.py's, if another test has run it already
    before = profiles.read_bytes() if profiles.exists() else None
    code, err = cli(
        "predict",
        "--run",
        run,
        "--data",
        table_run / "t1.csv",
        "--output",
        run / "profiles.csv",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "is the run's own file"), err
    assert (profiles.read_bytes() if profiles.exists() else None) == before
    code, err = cli(
        "migrate",
        "--run",
        run,
        "--data",
        table_run / "t1.csv",
        "--data",
        table_run / "t1.csv",
        "--output",
        run / "profiles.csv",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "is the run's own file"), err
    assert (profiles.read_bytes() if profiles.exists() else None) == before
    assert not list(run.glob("profiles.transitions.*"))


def test_training_never_writes_over_its_own_table(tmp_path):
    from dec.errors import OutputPathError

    (tmp_path / "run").mkdir()
    data = tmp_path / "run" / "profiles.csv"  # a name test.py writes in the run folder
    customers().to_csv(data, index=False)
    before = data.read_bytes()
    config = replace(
        load_config(SMOKE), [*FAST, f"data.source={data}", "data.id_column=customer_id"]
    )
    with pytest.raises(OutputPathError, match="is the training data .*choose another"):
        fit(config, tmp_path / "run", overwrite=True)
    assert data.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["profiles.csv"]


def test_migrate_never_writes_over_the_runs_log(log_run, capsys):
    log = log_run / "log.csv"
    before = log.read_bytes()
    code, err = cli(
        "migrate",
        "--run",
        log_run / "run",
        "--as-of",
        "1997-03-01",
        "--as-of",
        "1997-09-30",
        "--output",
        log,
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "is the data the run was trained on"), err
    assert log.read_bytes() == before


def test_migrate_outputs_never_land_on_its_inputs(table_run, tmp_path, capsys):
    shutil.copy(table_run / "t1.csv", tmp_path / "X.transitions.csv")
    before = (tmp_path / "X.transitions.csv").read_bytes()
    code, err = cli(
        "migrate",
        "--run",
        table_run / "run",
        "--data",
        tmp_path / "X.transitions.csv",
        "--data",
        table_run / "t1.csv",
        "--output",
        tmp_path / "X.csv",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "is the input file"), err
    assert (tmp_path / "X.transitions.csv").read_bytes() == before
    assert not (tmp_path / "X.csv").exists()


def test_migrate_refuses_a_derived_name_in_the_way_before_any_work(table_run, tmp_path, capsys):
    (tmp_path / "y.transitions.md").mkdir()
    code, err = cli(
        "migrate",
        "--run",
        table_run / "run",
        "--data",
        table_run / "t1.csv",
        "--data",
        table_run / "t1.csv",
        "--output",
        tmp_path / "y.csv",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "y.transitions.md: it is a folder"), err
    assert "--resume" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["y.transitions.md"]


def test_migrate_writes_its_files_as_one_set_or_none(tmp_path, monkeypatch):
    import dec.utils.figures
    from dec.scoring.migrate import check_migration_paths, write_migration

    paths = check_migration_paths(tmp_path / "m.csv")
    before, after = pd.Series({"a": 0, "b": 1}), pd.Series({"a": 1, "b": 1})

    def disk_full(figure):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dec.utils.figures, "figure_png", disk_full)
    with pytest.raises(OSError):
        write_migration(before, after, ["x", "y"], paths, "q1", "q2")
    assert list(tmp_path.iterdir()) == []  # not the movers, not the counts, no temp file


# ------------------------------------------------------------------ ids are text
def test_ids_keep_their_zeros_in_predict_export_and_migrate(table_run, tmp_path, capsys):
    run, data = table_run / "run", table_run / "t1.csv"
    expected = customers()["customer_id"].tolist()
    for command, extra in (("predict", ["--data", data]), ("export", [])):
        out = tmp_path / f"{command}.csv"
        code, err = cli(command, "--run", run, *extra, "--output", out, capsys=capsys)
        assert code == 0, err
        assert pd.read_csv(out, dtype=str)["id"].tolist() == expected
    code, err = cli(
        "migrate",
        "--run",
        run,
        "--data",
        data,
        "--data",
        data,
        "--output",
        tmp_path / "m.parquet",
        capsys=capsys,
    )
    assert code == 0, err
    counts = pd.read_csv(tmp_path / "m.transitions.csv", index_col="from")
    assert counts.loc["new"].sum() == 0 and counts["gone"].sum() == 0  # matched by id


def test_ids_7_and_00007_are_two_customers(tmp_path):
    from dec.data.readers import read_table

    pd.DataFrame({"id": ["7", "00007"], "x": [1.0, 2.0]}).to_csv(tmp_path / "t.csv", index=False)
    frame, _ = read_table(tmp_path / "t.csv", id_column="id")
    assert frame.index.tolist() == ["7", "00007"]


def test_an_empty_id_is_one_line(tmp_path):
    from dec.data.readers import read_table

    pd.DataFrame({"id": ["a", None, "c"], "x": [1.0, 2.0, 3.0]}).to_csv(
        tmp_path / "t.csv", index=False
    )
    with pytest.raises(
        DataError, match="'id' in .* is empty in 1 row.*e.g. row 2; every customer needs an id"
    ):
        read_table(tmp_path / "t.csv", id_column="id")


def test_snapshots_that_share_no_id_are_refused_and_few_are_warned(table_run, tmp_path, capsys):
    run, table = table_run / "run", customers()
    as_numbers = table.assign(customer_id=table["customer_id"].astype(int))
    as_numbers.to_parquet(tmp_path / "numbers.parquet", index=False)
    code, err = cli(
        "migrate",
        "--run",
        run,
        "--data",
        tmp_path / "numbers.parquet",
        "--data",
        table_run / "t1.csv",
        "--output",
        tmp_path / "m.csv",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "no customer of"), err
    assert not (tmp_path / "m.csv").exists()
    table.iloc[250:].to_csv(tmp_path / "few.csv", index=False)
    code, err = cli(
        "migrate",
        "--run",
        run,
        "--data",
        table_run / "t1.csv",
        "--data",
        tmp_path / "few.csv",
        "--output",
        tmp_path / "m.csv",
        capsys=capsys,
    )
    assert code == 0 and "warning: only" not in err, err
    table.iloc[250:].assign(customer_id=lambda f: "X" + f["customer_id"]).iloc[:45].pipe(
        lambda f: pd.concat([f, table.iloc[:5]])
    ).to_csv(tmp_path / "few.csv", index=False)
    code, err = cli(
        "migrate",
        "--run",
        run,
        "--data",
        table_run / "t1.csv",
        "--data",
        tmp_path / "few.csv",
        "--output",
        tmp_path / "m.csv",
        capsys=capsys,
    )
    assert code == 0 and "warning: only 5 of the 50 customers" in err, err


# ------------------------------------------------------------------- run folder
@pytest.mark.parametrize("link", [os.symlink, os.link])
def test_the_lock_is_never_opened_through_a_link(tmp_path, link):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link(victim, tmp_path / ".lock")
    with pytest.raises(RunDirError, match="remove it and run again"):
        with files.exclusive_lock(tmp_path / ".lock", what="run directory"):
            pass
    assert victim.read_text() == "precious"


def test_the_manifest_vouches_for_every_run_file(table_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(table_run / "run", run)
    (run / "model.pt").rename(tmp_path / "model.pt")
    (run / "model.pt").symlink_to(tmp_path / "model.pt")
    (run / "manifest.json").write_text('{"files": {}}')
    with pytest.raises(RunDirError, match="does not vouch for"):
        RunDir(run).check()
    shutil.rmtree(run)
    shutil.copytree(table_run / "run", run)
    manifest = files.read_json(run / "manifest.json")
    del manifest["files"]["pretrained.pt"]  # a planted file the manifest does not list
    files.write_json(run / "manifest.json", manifest)
    with pytest.raises(RunDirError, match="does not vouch for pretrained.pt"):
        RunDir(run).check()


@pytest.mark.parametrize("folder", ["tensorboard", "checkpoints"])
def test_lightning_folders_must_be_real_folders_inside_the_run(table_run, tmp_path, folder, capsys):
    run, outside = tmp_path / "run", tmp_path / "outside"
    shutil.copytree(table_run / "run", run)
    outside.mkdir()
    if (run / folder).exists():
        shutil.rmtree(run / folder)
    (run / folder).symlink_to(outside)
    code, err = cli("test", "--run", run, "--no-profiles", capsys=capsys)
    assert code == 2 and one_error(err, "must be a folder inside the run"), err
    with pytest.raises(RunDirError):
        fit(replace(load_config(run / "config.yaml"), FAST), run, overwrite=True)
    assert list(outside.iterdir()) == []


def test_a_checkpoint_planted_as_a_link_is_refused(table_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(table_run / "run", run)
    last = run / "checkpoints" / "refine" / "last.ckpt"
    last.rename(tmp_path / "elsewhere.ckpt")
    last.symlink_to(tmp_path / "elsewhere.ckpt")
    with pytest.raises(RunDirError, match="last.ckpt is a link out of the run folder"):
        RunDir(run).check()


# ---------------------------------------------------------- every bad input one line
def test_test_report_is_valid_json_and_mathtext_in_the_data_is_drawn(table_run, capsys):
    run = table_run / "run"
    code, err = cli("test", "--run", run, capsys=capsys)
    assert code == 0, err
    text = (run / "test_report.json").read_text()
    report = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert report["outcomes"]["dec"]["promo_eta2"] is None  # a constant outcome: no eta²
    for name in ("segment_sizes", "segment_heatmap", "embedding_projection"):
        assert (run / f"{name}.png").stat().st_size > 0
    assert (run / "report.html").exists()


def test_mathtext_in_segment_and_snapshot_names_is_drawn_as_text():
    from dec.scoring.migrate import row_shares, transition_counts
    from dec.segments.plots import plot_segment_sizes, plot_transitions
    from dec.utils.figures import figure_png

    names = [MATHTEXT, "ok"]
    assert figure_png(plot_segment_sizes(np.array([0, 1, 1]), names))
    counts = transition_counts(pd.Series({"a": 0}), pd.Series({"a": 1}), 2)
    assert figure_png(plot_transitions(counts, row_shares(counts), names, MATHTEXT, "$x"))


def test_dates_with_time_zones_are_read_as_utc():
    from dec.data.logs.transactions import clean_transactions, customer_features

    log = clean_transactions(
        pd.DataFrame(
            {
                "id": ["a", "a", "b"],
                "amount": [1.0, 2.0, 3.0],
                "date": ["2020-06-01T10:00:00Z", "2020-06-29T22:00:00-05:00", "2020-06-10T00:00Z"],
            }
        )
    )
    assert log["date"].dt.tz is None
    # 06-29 22:00 at -05:00 is 06-30 03:00 in UTC; a purchase's date is its day, in UTC.
    assert log["date"].iloc[1] == pd.Timestamp("2020-06-30")
    features = customer_features(log, "2020-06-30T00:00+05:00")  # 06-29 19:00 UTC
    assert features.loc["a", "frequency"] == 1  # the purchase at 03:00 UTC came after


def test_time_zones_through_the_scoring_commands(log_run, tmp_path, capsys):
    log = pd.read_csv(log_run / "log.csv", dtype=str)
    log["date"] = pd.to_datetime(log["date"]).dt.strftime("%Y-%m-%dT12:00:00Z")
    log.to_csv(tmp_path / "zulu.csv", index=False)
    code, err = cli(
        "predict",
        "--run",
        log_run / "run",
        "--transactions",
        tmp_path / "zulu.csv",
        "--as-of",
        "1997-06-30T00:00+05:00",
        "--output",
        tmp_path / "s.csv",
        capsys=capsys,
    )
    assert code == 0, err
    assert len(pd.read_csv(tmp_path / "s.csv")) > 0


@pytest.mark.parametrize(
    "dates, expected, warned",
    [
        (["07/08/2020", "01/02/2020"], "2020-07-08", True),  # both orders fit: month first
        (["07/08/2020", "13/02/2020"], "2020-08-07", False),  # a day above 12: day first
        (["07/08/2020", "02/13/2020"], "2020-07-08", False),  # a day above 12 second
        (["2020-07-08", "2020-02-01"], "2020-07-08", False),  # ISO says its order
    ],
)
def test_day_and_month_order_is_read_from_the_data(dates, expected, warned):
    from dec.utils.dates import parse_dates

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parsed = parse_dates(pd.Series(dates), "log.csv")
    assert parsed.iloc[0] == pd.Timestamp(expected)
    assert any("could be day/month or month/day" in str(w.message) for w in caught) == warned


@pytest.mark.parametrize(
    "dates, message",
    [
        (["1997-09-30", "1997-03-01"], "must be before the second"),
        (["1997-03-01", "1997-03-01"], "must be before the second"),
        (["", "1997-03-01"], "--as-of is empty"),
        (["NaT", "1997-03-01"], "'NaT' is not a date"),
    ],
)
def test_snapshot_dates_are_refused_in_one_line(log_run, tmp_path, dates, message, capsys):
    code, err = cli(
        "migrate",
        "--run",
        log_run / "run",
        "--as-of",
        dates[0],
        "--as-of",
        dates[1],
        "--output",
        tmp_path / "m.csv",
        capsys=capsys,
    )
    assert code == 2 and one_error(err, message), err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["data.outcome_columns=[churn,churn]"], "--outcome-columns names 'churn' twice"),
        (["data.drop_columns=[a,b,a]"], "--drop-columns names 'a' twice"),
        (
            ["data.outcome_columns=[age]", "data.drop_columns=[age]"],
            "column 'age' is given both as --drop-columns and as --outcome-columns",
        ),
        (
            ["data.outcome_columns=[cid]", "data.id_column=cid"],
            "column 'cid' is given both as --id-column and as --outcome-columns",
        ),
        (["model.hidden_dims=[" + ",".join(["4"] * 65) + "]"], "at most 64 layers"),
    ],
)
def test_column_lists_name_each_column_once_in_one_role(overrides, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        replace(load_config(SMOKE), overrides)


@pytest.mark.parametrize(
    "override, message",
    [
        ('model.n_clusters=${oc.decode:"[1,2]"}', "cannot resolve model.n_clusters"),
        ("data.source=${data.source}", "Recursive interpolation"),
        ("data.source=${foo:bar}", "Unsupported interpolation type foo"),
        ("data.source=${oc.env:DEC_NOT_SET_ANYWHERE}", "DEC_NOT_SET_ANYWHERE"),
    ],
)
def test_interpolations_that_cannot_resolve_are_one_line(override, message, tmp_path, capsys):
    code, err = cli(
        "train", "--config", SMOKE, "--output-dir", tmp_path / "run", override, capsys=capsys
    )
    assert code == 2 and one_error(err, message), err
    assert not (tmp_path / "run").exists()


def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path):
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    (tmp_path / "bomb.yaml").write_text("\n".join([*lines, "model:", "  hidden_dims: *a8"]))
    with pytest.raises(ConfigError, match="expands to more than 100,000 values"):
        load_config(tmp_path / "bomb.yaml")


def test_a_column_empty_for_everyone_scored_is_warned_about(table_run):
    from dec import DeepEmbeddedClustering

    model = DeepEmbeddedClustering.load(table_run / "run")
    frame = customers().set_index("customer_id").drop(columns="promo").assign(age=np.nan)
    with pytest.warns(UserWarning, match=r"\['age'\] are empty for all 300 customers"):
        assert len(model.predict(frame)) == 300


def test_negative_amounts_count_as_refunds_with_a_warning():
    from dec.data.logs.transactions import clean_transactions, customer_features

    log = pd.DataFrame(
        {"id": ["a", "a"], "date": ["2020-01-01", "2020-01-05"], "amount": [10.0, -4.0]}
    )
    with pytest.warns(
        UserWarning, match="1 transaction.* negative amount, e.g. -4; they are counted as refunds"
    ):
        log = clean_transactions(log, "log.csv")
    assert customer_features(log, "2020-01-31").loc["a", "total_spend"] == 6.0


def test_amounts_too_large_to_add_blame_the_amounts():
    from dec.data.logs.transactions import clean_transactions, customer_features

    log = clean_transactions(
        pd.DataFrame(
            {"id": ["a", "a"], "date": ["2020-01-01", "2020-01-05"], "amount": [1e308, 1e308]}
        )
    )
    with pytest.raises(DataError, match="purchase amounts are too large to add up"):
        customer_features(log, "2020-01-31")


def test_messages_show_plain_values(tmp_path):
    from dec.data.logs.transactions import clean_transactions
    from dec.data.readers import read_table

    pd.DataFrame({"id": [4, 4], "x": [1.0, 2.0]}).to_parquet(tmp_path / "t.parquet")
    with pytest.raises(DataError, match=r"duplicate ids, e.g. 4; ids") as caught:
        read_table(tmp_path / "t.parquet", id_column="id")
    assert "np." not in str(caught.value)
    with pytest.raises(DataError, match=r"amount value inf is not a finite number"):
        clean_transactions(pd.DataFrame({"id": ["a"], "date": ["2020-01-01"], "amount": [np.inf]}))


def test_json_never_holds_nan(tmp_path):
    files.write_json(
        tmp_path / "r.json", {"eta2": np.float64("nan"), "x": [1.0, float("inf")], "n": np.int64(3)}
    )
    assert json.loads((tmp_path / "r.json").read_text()) == {"eta2": None, "x": [1.0, None], "n": 3}


def test_a_log_where_a_table_belongs_names_transactions(log_run, tmp_path, capsys):
    """Scoring the log's customer table with a log-trained run, or training on a log given
    as --data: the one-line error says to use --transactions."""
    import pandas as pd

    table = tmp_path / "customers.csv"
    pd.DataFrame({"cust": ["00001", "00002"], "age": [30, 40]}).to_csv(table, index=False)
    code, err = cli(
        "predict",
        "--run",
        str(log_run / "run"),
        "--data",
        str(table),
        "--output",
        str(tmp_path / "out.csv"),
        capsys=capsys,
    )
    assert code == 2 and one_error(
        err, "the run computed from its purchase log; score a log with --transactions LOG"
    )
    code, err = cli(
        "train",
        "--config",
        str(SMOKE),
        "--data",
        str(log_run / "log.csv"),
        "--id-column",
        "cust",
        "--output-dir",
        str(tmp_path / "run"),
        capsys=capsys,
    )
    assert code == 2 and one_error(err, "give it as --transactions with --date-column")
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "run" / "model.pt").exists()
