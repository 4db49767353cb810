"""``value_model.json`` is checked on every read (its own sha256, and models that score),
``--discount-rate`` and ``--clv-horizon`` before any work, and a ``test.py --clv`` that fails
leaves every file of the run as it was."""

import errno
import hashlib
import json
import math
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import SMOKE, cli, log_features, one_error, write_small_log

from dec import value
from dec.errors import DataError, RunDirError
from dec.runs.outputs import value_model_digest
from dec.runs.rundir import RunDir
from dec.utils import files

GOOD = {
    "purchases": {"model": "bg_nbd", "r": 0.25, "alpha": 4.8, "a": 0.71, "b": 2.1},
    "spend": {"model": "gamma_gamma", "p": 6.3, "q": 3.6, "v": 15.0},
    "method": "map",
    "horizon": "12M",
    "months": 12,
    "discount_rate": 0.1,
}
AGAIN = "fit it again with: python scripts/test.py --run"


def _edited(**parts) -> dict:
    """GOOD with some keys replaced; ``purchases`` and ``spend`` are merged key by key."""
    settings = json.loads(json.dumps(GOOD))
    for key, new in parts.items():
        if isinstance(new, dict):
            settings[key].update(new)
        else:
            settings[key] = new
    return settings


def test_the_file_carries_the_sha256_of_the_rest_and_reads_back(tmp_path):
    run = RunDir(tmp_path)
    run.write_value_model(GOOD)
    written = json.loads((tmp_path / "value_model.json").read_text())
    body = {k: v for k, v in written.items() if k != "sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    assert written["sha256"] == hashlib.sha256(canonical).hexdigest()
    assert run.read_value_model() == GOOD


def test_a_hand_edit_is_refused_in_one_line(tmp_path):
    run = RunDir(tmp_path)
    run.write_value_model(GOOD)
    path = tmp_path / "value_model.json"
    edited = json.loads(path.read_text())
    edited["purchases"]["r"] = 0.5  # a valid number: only the checksum can tell
    path.write_text(json.dumps(edited))
    with pytest.raises(RunDirError) as error:
        run.read_value_model()
    assert str(error.value) == (
        f"value_model.json in {tmp_path} was changed after test.py "
        f"--clv wrote it; {AGAIN} {tmp_path} --clv"
    )


NO_CHECKSUM = (
    "value_model.json in {run} has no checksum (written by an older dec, or "
    "edited); its models are checked but an edit cannot be detected: fit it again "
    "with: python scripts/test.py --run {run} --clv"
)


def test_a_file_from_before_the_checksum_is_still_read_and_checked_but_not_silently(tmp_path):
    """Deleting the sha256 line is the one edit the digest cannot catch: before, a file so
    edited was read without a word."""
    run = RunDir(tmp_path)
    files.write_json(tmp_path / "value_model.json", GOOD)  # as older versions wrote it
    with pytest.warns(UserWarning) as said:
        assert run.read_value_model() == GOOD
    assert [str(w.message) for w in said] == [NO_CHECKSUM.format(run=tmp_path)]
    run.write_value_model(GOOD)  # with its checksum: nothing to say
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run.read_value_model() == GOOD
    files.write_json(tmp_path / "value_model.json", _edited(spend={"q": 0.5}))
    with pytest.raises(RunDirError, match="spend.q is 0.5; Gamma-Gamma needs q above 1"):
        run.read_value_model()


def _replace(old: str, new: str):
    return lambda text: text.replace(old, new, 1)


#: Hand edits of a file written without a sha256 (as older versions wrote it, or with the
#: field removed), and the key each message names.
BROKEN = {
    "not JSON": (lambda text: text[:40], "is not valid JSON"),
    "a list": (lambda text: "[1, 2]", "it holds a JSON list, not an object"),
    "no spend": (
        lambda text: json.dumps({k: v for k, v in GOOD.items() if k != "spend"}),
        "'spend' is missing",
    ),
    "a string parameter": (
        _replace('"r": 0.25', '"r": "0.25"'),
        "purchases.r is '0.25', not a finite number above 0",
    ),
    "NaN": (_replace('"alpha": 4.8', '"alpha": NaN'), "purchases.alpha is nan"),
    "negative": (_replace('"p": 6.3', '"p": -6.3'), "spend.p is -6.3"),
    "1e400": (_replace('"v": 15.0', '"v": 1e400'), "spend.v is inf"),
    "true": (_replace('"a": 0.71', '"a": true'), "purchases.a is true"),
    "a parameter left out": (_replace('"b": 2.1', '"B": 2.1'), "purchases.b is null"),
    "q below 1": (_replace('"q": 3.6', '"q": 0.9'), "spend.q is 0.9; Gamma-Gamma needs q"),
    "an unknown model": (
        _replace('"bg_nbd"', '"bgnbd"'),
        "purchases.model 'bgnbd' is not one of bg_nbd, pareto_nbd",
    ),
    "Pareto/NBD without s": (
        _replace('"model": "bg_nbd"', '"model": "pareto_nbd"'),
        "purchases.s is null",
    ),
    "a bad horizon": (_replace('"12M"', '"12X"'), "horizon is '12X', not a horizon"),
    "months off the horizon": (
        _replace('"months": 12', '"months": 24'),
        "months is 24, but the horizon 12M is 12 months",
    ),
    "months not a whole number": (_replace('"months": 12', '"months": 12.0'), "months is 12.0"),
    "a null rate": (
        _replace('"discount_rate": 0.1', '"discount_rate": null'),
        "discount_rate is null",
    ),
    "a negative rate": (
        _replace('"discount_rate": 0.1', '"discount_rate": -1'),
        "discount_rate is -1",
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_an_unusable_file_is_one_line_naming_the_key_and_the_fix(tmp_path, case):
    edit, message = BROKEN[case]
    (tmp_path / "value_model.json").write_text(edit(json.dumps(GOOD)))
    with pytest.raises(RunDirError) as error:
        RunDir(tmp_path).read_value_model()
    text = str(error.value)
    assert message in text and "\n" not in text, text
    assert str(tmp_path / "value_model.json") in text and text.endswith(f"{tmp_path} --clv")


def test_the_writer_refuses_what_the_reader_would(tmp_path):
    with pytest.raises(DataError, match="spend.q is 1.0"):
        RunDir(tmp_path).write_value_model(_edited(spend={"q": 1.0}))
    assert not (tmp_path / "value_model.json").exists()


@pytest.mark.parametrize(
    "rate", ["nan", "NaN", "inf", "-inf", "-1", "-0.01", "1e400", "abc", "", math.nan, None]
)
def test_impossible_discount_rates_are_refused(rate):
    with pytest.raises(
        DataError, match="is not a yearly discount rate; give a finite number of at least 0"
    ):
        value.check_discount_rate(rate)


def test_possible_discount_rates_pass_and_one_above_100_percent_is_warned_about():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [value.check_discount_rate(r) for r in ("0", "0.1", 1, 0.25)] == [0, 0.1, 1, 0.25]
    with pytest.warns(
        UserWarning, match="discounts future spend by 1000 % a year; if you meant a percentage"
    ):
        assert value.check_discount_rate("10") == 10.0


def test_an_enormous_rate_is_warned_about_readably_and_scores():
    """Before: "by inf % a year", then an OverflowError traceback over two years."""
    with pytest.warns(UserWarning) as said:
        assert value.check_discount_rate("1e308") == 1e308
    assert str(said[0].message).startswith(
        "--discount-rate 1e+308 discounts future spend by "
        "1e+310 % a year; if you meant a percentage"
    )
    with pytest.warns(UserWarning, match=r"by 1\.7e\+309 % a year"):
        value.check_discount_rate(1.7e307)
    worth = value.value_arrays(
        log_features(20), _edited(horizon="2Y", months=24, discount_rate=1e308)
    )
    assert all(np.isfinite(v).all() for v in worth.values())
    assert (worth["clv"] >= 0).all() and worth["clv"].max() < 1e-20  # all but worthless


def test_bg_nbd_at_a_equal_to_1_is_the_limit_not_nan():
    """``(a + b + x - 1) / (a - 1)`` times a bracket that vanishes at ``a = 1``: 0/0."""
    at = {
        a: value.expected_purchases(10.0, [0, 2], [0, 5], [20, 20], r=0.3, alpha=5.0, a=a, b=0.8)
        for a in (1 - 1e-4, 1.0, 1 + 1e-4)
    }
    assert np.isfinite(at[1.0]).all()
    assert np.allclose(at[1.0], (at[1 - 1e-4] + at[1 + 1e-4]) / 2, rtol=1e-6)
    ahead = value.purchases_since_first(10.0, 0.3, 5.0, 1.0, 0.8)
    assert ahead == pytest.approx(
        value.purchases_since_first(10.0, 0.3, 5.0, 1 + 1e-4, 0.8), rel=1e-3
    )


def test_values_that_overflow_are_one_line_not_inf():
    extreme = _edited(spend={"p": 1e300, "v": 1e300})
    assert value.settings_problem(extreme) is None  # finite and positive: possible
    with (
        np.errstate(over="ignore"),
        pytest.raises(DataError, match=r"customer\(s\) a value that is not a finite number"),
    ):
        value.value_arrays(log_features(20), extreme)


# ------------------------------------------------------------ the commands on a real run


def _canned_fit(spend_q: float = 3.6):
    """fit_value_model without pymc: fixed parameters, as value_fit returns them."""

    def fit(features, method="map", seed=0, purchase_model="bg_nbd"):
        return {
            "purchases": {"model": "bg_nbd", "r": 0.3, "alpha": 5.7, "a": 0.25, "b": 0.76},
            "spend": {"model": "gamma_gamma", "p": 5.7, "q": spend_q, "v": 20.8},
            "time_unit": "week",
            "method": method,
            "customers": len(features),
            "repeat_customers": int((features["frequency"] > 1).sum()),
            "fitted_with": "a canned fit",
            "fit_seconds": 0.0,
        }

    return fit


@pytest.fixture(scope="module")
def log_run(tmp_path_factory):
    """A smoke run trained on 3,000 rows of CDNOW, evaluated once with ``--clv`` (a canned
    fit) and its profiles: every file test.py writes is there."""
    folder = tmp_path_factory.mktemp("clv")
    log = write_small_log(folder)
    run = folder / "run"
    capsys = _NoCapture()
    code, err = cli(
        "train",
        "--config",
        SMOKE,
        "--transactions",
        log,
        "--id-column",
        "cust",
        "--date-column",
        "date",
        "--amount-column",
        "value",
        "--quantity-column",
        "number_of_cds",
        "--as-of",
        "1997-09-30",
        "--output-dir",
        run,
        capsys=capsys,
    )
    assert code == 0, err
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("dec.value.fit.fit_value_model", _canned_fit())
        code, err = cli("test", "--run", run, "--clv-model", "bg_nbd", capsys=capsys)
    assert code == 0, err
    return run


class _NoCapture:
    """cli()'s capsys for a module fixture, which cannot take the function-scoped one."""

    def readouterr(self):
        return type("Captured", (), {"out": "", "err": ""})()


def _copy(run, tmp_path):
    shutil.copytree(run, tmp_path / "run")
    return tmp_path / "run"


def _state(run) -> dict:
    """Every file of the run: its bytes' hash and its modification time."""
    return {
        str(p.relative_to(run)): (files.sha256(p), p.stat().st_mtime_ns)
        for p in sorted(run.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_a_clv_run_writes_the_checked_file(log_run):
    written = json.loads((log_run / "value_model.json").read_text())
    assert written["sha256"] == value_model_digest(
        {k: v for k, v in written.items() if k != "sha256"}
    )
    assert RunDir(log_run).read_value_model()["spend"]["q"] == 3.6
    assert {"test_report.json", "profiles.csv", "report.html", "segment_sizes.png"} <= {
        p.name for p in log_run.iterdir()
    }


@pytest.mark.parametrize(
    "flag, bad",
    [
        ("--discount-rate", "nan"),
        ("--discount-rate", "inf"),
        ("--discount-rate", "-1"),
        ("--discount-rate", "abc"),
        ("--clv-horizon", "2X"),
    ],
)
def test_bad_rates_and_horizons_stop_every_clv_command_before_any_work(
    smoke_run, tmp_path, capsys, flag, bad
):
    """Refused while the flags are read: before the run (any run) is opened."""
    run = _copy(smoke_run, tmp_path)
    before = _state(run)
    out = tmp_path / "out.csv"
    commands = {
        "test": [],
        "export": ["--output", out],
        "predict": ["--transactions", tmp_path / "log.csv", "--output", out],
        "migrate": ["--as-of", "1997-06-30", "--as-of", "1997-09-30", "--output", out],
    }
    for command, args in commands.items():
        code, err = cli(command, "--run", run, "--clv", f"{flag}={bad}", *args, capsys=capsys)
        what = "a yearly discount rate" if flag == "--discount-rate" else "a horizon"
        assert code == 2 and one_error(err, f"argument {flag}: '{bad}' is not {what}"), (
            command,
            err,
        )
        assert not out.exists() and _state(run) == before, command


@pytest.mark.slow
@pytest.mark.parametrize(
    "case, edit, message",
    [
        (
            "edited",
            lambda s: s.replace('"r": 0.3', '"r": 0.6'),
            "was changed after test.py --clv wrote it",
        ),
        ("NaN", lambda s: s.replace('"r": 0.3', '"r": NaN'), "was changed after test.py --clv"),
        ("garbage", lambda s: s[:30], "is not valid JSON"),
        (
            "old and negative",
            lambda s: json.dumps(
                {**{k: v for k, v in json.loads(s).items() if k != "sha256"}, "discount_rate": -0.5}
            ),
            "discount_rate is -0.5",
        ),
    ],
)
def test_a_changed_or_unusable_value_model_stops_scoring_in_one_line(
    log_run, tmp_path, capsys, case, edit, message
):
    run = _copy(log_run, tmp_path)
    path = run / "value_model.json"
    path.write_text(edit(path.read_text()))
    log = log_run.parent / "log.csv"
    for command, args in {
        "export": [],
        "predict": ["--transactions", log],
        "migrate": ["--as-of", "1997-06-30", "--as-of", "1997-09-30"],
    }.items():
        code, err = cli(
            command, "--run", run, "--clv", "--output", tmp_path / "out.csv", *args, capsys=capsys
        )
        assert code == 2 and one_error(err, message) and AGAIN in err, (command, err)
        assert not (tmp_path / "out.csv").exists()
    from dec.evaluation.value_report import saved_settings  # what dec.spark.score(value=True) reads

    with pytest.raises(RunDirError, match=message):
        saved_settings(run)


@pytest.mark.slow
def test_a_failed_clv_leaves_every_file_of_the_run_as_it_was(
    log_run, tmp_path, capsys, monkeypatch
):
    run = _copy(log_run, tmp_path)
    before = _state(run)
    # The fit gives models that would not score: refused before anything is written.
    monkeypatch.setattr("dec.value.fit.fit_value_model", _canned_fit(spend_q=0.8))
    code, err = cli("test", "--run", run, "--clv-model", "bg_nbd", capsys=capsys)
    assert code == 2 and one_error(
        err, "would not score (spend.q is 0.8; Gamma-Gamma needs q above 1"
    ), err
    assert _state(run) == before
    # A good fit, then the disk fills while report.html is written, after the value model,
    # the report, the profiles, the figures and the TensorBoard events.
    monkeypatch.setattr("dec.value.fit.fit_value_model", _canned_fit(spend_q=2.5))

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr("dec.segments.report.report_html", full)
        code, err = cli("test", "--run", run, "--clv-model", "bg_nbd", capsys=capsys)
    assert code == 2 and one_error(err, "No space left on device"), err
    assert _state(run) == before
    assert not list(run.rglob("*.tmp"))
    # And with the disk back, the same command writes every file as one set.
    code, err = cli("test", "--run", run, "--clv-model", "bg_nbd", capsys=capsys)
    after = _state(run)
    assert code == 0, err
    assert RunDir(run).read_value_model()["spend"]["q"] == 2.5
    changed = {name for name in before if after.get(name) != before[name]}
    assert {"value_model.json", "test_report.json", "profiles.csv", "report.html"} <= changed
    events = [n for n in after if n.startswith("tensorboard/evaluation/")]
    assert len(events) == len([n for n in before if n.startswith("tensorboard/evaluation/")])
    assert pd.read_csv(run / "profiles.csv")["clv_mean"].notna().all()


@pytest.mark.slow
def test_scoring_commands_on_refunds_impossible_tables_and_a_file_without_checksum(
    log_run, tmp_path, capsys
):
    """The hostile pass's three scoring cases on a real run: a log with refunds (before,
    negative expected_spend and clv, exit 0), a customer table whose features no log gives
    (before, -4.69 purchases for frequency -5) and a value_model.json whose sha256 line
    was deleted (before, read without a word)."""
    run = _copy(log_run, tmp_path)
    log = pd.read_csv(log_run.parent / "log.csv", dtype={"cust": str, "date": str})
    refunded = np.random.default_rng(0).random(len(log)) < 0.15
    log.loc[refunded, "value"] *= -3  # 15 % of the amounts become refunds three times over
    log.to_csv(tmp_path / "refunds.csv", index=False)
    columns = [
        "--id-column",
        "cust",
        "--date-column",
        "date",
        "--amount-column",
        "value",
        "--quantity-column",
        "number_of_cds",
    ]
    code, err = cli(
        "predict",
        "--run",
        run,
        "--clv",
        "--transactions",
        tmp_path / "refunds.csv",
        *columns,
        "--output",
        tmp_path / "refunds_scored.csv",
        capsys=capsys,
    )
    assert code == 0, err
    scored = pd.read_csv(tmp_path / "refunds_scored.csv")
    assert (scored["expected_spend"] > 0).all() and (scored["clv"] >= 0).all()
    said = [line for line in err.splitlines() if "average 0 or less" in line]
    assert len(said) == 1 and said[0].startswith("warning: "), err

    code, err = cli(
        "features",
        "--transactions",
        log_run.parent / "log.csv",
        *columns,
        "--as-of",
        "1997-09-30",
        "--output",
        tmp_path / "table.csv",
        capsys=capsys,
    )
    assert code == 0, err
    table = pd.read_csv(tmp_path / "table.csv", dtype={"id": str})
    table.loc[3, "frequency"] = -5
    table.to_csv(tmp_path / "table.csv", index=False)
    code, err = cli(
        "predict",
        "--run",
        run,
        "--clv",
        "--data",
        tmp_path / "table.csv",
        "--id-column",
        "id",
        "--output",
        tmp_path / "table_scored.csv",
        capsys=capsys,
    )
    assert code == 2 and one_error(
        err,
        "frequency is not a whole number of at least 1 for 1 "
        f"customer(s) (e.g. id '{table['id'][3]}': "
        "frequency -5)",
    ), err
    assert "with --transactions" in err and not (tmp_path / "table_scored.csv").exists()

    path = run / "value_model.json"
    path.write_text(
        json.dumps({k: v for k, v in json.loads(path.read_text()).items() if k != "sha256"})
    )
    code, err = cli(
        "export", "--run", run, "--clv", "--output", tmp_path / "all.csv", capsys=capsys
    )
    assert code == 0, err
    assert [line for line in err.splitlines() if "checksum" in line] == [
        "warning: " + NO_CHECKSUM.format(run=run)
    ]
