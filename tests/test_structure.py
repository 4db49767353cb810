"""The layout's promises: every parameter declared once, one owner of the run folder's
files, shipped files found from any folder, the estimator training in memory."""

import inspect
import re

import numpy as np
from conftest import ROOT

from dec import DeepEmbeddedClustering
from dec.cli.common import config_from_args, train_parser
from dec.config import Config, fields_with, get_value, load_config
from dec.errors import DataError
from dec.estimator import param_keys

RUN_FILE_NAMES = ("model.pt", "pretrained.pt", "preprocessor.json", "config.yaml", "metrics.json")


def test_estimator_parameters_are_the_config_fields():
    signature = inspect.signature(DeepEmbeddedClustering.__init__).parameters
    params = {name for name in signature if name not in ("self", "verbose")}
    assert params == set(param_keys())
    defaults = Config()
    for name, keys in param_keys().items():
        default = signature[name].default
        for key in keys:
            expected = get_value(defaults, key)
            if name == "random_state":
                continue  # None draws a seed; the config's 0 is the scripts' default
            assert (list(default) if isinstance(default, tuple) else default) == expected, key


def test_every_flag_sets_its_config_key():
    flags = fields_with("flag")
    assert "--n-clusters" in flags and len(flags) == len(
        {k for v in flags.values() for k, _, _ in v}
    )
    args = train_parser().parse_args(
        [
            "--n-clusters",
            "4",
            "--drop-columns",
            "a,b",
            "--as-of",
            "2024-01-31",
            "--precision",
            "bf16-mixed",
        ]
    )
    config, _, _ = config_from_args(args)
    assert config.model.n_clusters == 4 and config.data.drop_columns == ["a", "b"]
    assert config.data.as_of == "2024-01-31" and config.trainer.precision == "bf16-mixed"


def test_older_short_flag_spellings_still_parse():
    args = train_parser().parse_args(
        ["--transactions", "log.csv", "--id-col", "c", "--date-col", "d", "--amount-col", "a"]
    )
    config, _, _ = config_from_args(args)
    assert (config.data.id_column, config.data.date_column, config.data.amount_column) == (
        "c",
        "d",
        "a",
    )


def test_messages_name_settings_by_flag_or_key():
    err = DataError("fewer segments ({model.n_clusters}) or more epochs ({pretrain.epochs})")
    assert str(err) == "fewer segments (--n-clusters) or more epochs (pretrain.epochs)"
    assert (
        err.render(lambda key: key.upper())
        == "fewer segments (MODEL.N_CLUSTERS) or more epochs (PRETRAIN.EPOCHS)"
    )


def test_library_messages_never_spell_a_flag():
    flags = set(fields_with("flag"))
    for path in (ROOT / "dec").rglob("*.py"):
        if path.name == "schema.py" or "cli" in path.parts:
            continue  # the command line and the flags' declaration
        for flag in flags:
            assert not re.search(rf'"[^"\n]*{flag}\b', path.read_text()), (path, flag)


def test_run_folder_file_names_live_in_one_module():
    for name in RUN_FILE_NAMES:
        owners = {
            p.relative_to(ROOT).as_posix()
            for folder in ("dec", "scripts")
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and p.suffix in (".py", ".sh") and f'"{name}"' in p.read_text()
        }
        assert owners == {"dec/runs/rundir.py"}, (name, owners)


def test_shipped_configs_by_name_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_config("cdnow").data.source == "cdnow"
    assert load_config("configs/digits.yaml").model.n_clusters == 10
    from dec.utils.resources import cdnow_path

    assert cdnow_path().is_file()


def test_estimator_trains_in_memory_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x = np.random.default_rng(0).normal(size=(200, 4))
    model = DeepEmbeddedClustering(
        2,
        hidden_dims=(8,),
        embedding_dim=2,
        pretrain_epochs=1,
        refine_epochs=1,
        n_init=1,
        random_state=0,
    ).fit(x)
    assert list(tmp_path.iterdir()) == []
    saved = model.save(tmp_path / "run")
    np.testing.assert_array_equal(DeepEmbeddedClustering.load(saved).predict(x), model.labels_)
