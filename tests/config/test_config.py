import pytest
from conftest import ROOT

from dec.config import Config, config_from_dict, load_config
from dec.errors import ConfigError


def test_defaults_validate():
    assert load_config().model.n_clusters == 5


def test_overrides_are_typed():
    c = load_config(overrides=["refine.gamma=0", "model.hidden_dims=[32,16]", "seed=3"])
    assert c.refine.gamma == 0.0 and isinstance(c.refine.gamma, float)
    assert c.model.hidden_dims == [32, 16] and c.seed == 3


def test_yaml_file_then_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  n_clusters: 7\nrefine:\n  tol: 0.01\n")
    c = load_config(path, ["model.n_clusters=4"])
    assert c.model.n_clusters == 4 and c.refine.tol == 0.01


@pytest.mark.parametrize(
    "override, message",
    [
        ("model.gama=1", "unknown config key 'model.gama'"),
        ("model.n_clusters=many", "'model.n_clusters' must be an integer"),
        ("model.n_clusters=1", "n_clusters must be at least 2"),
        ("trainer.deterministic=3", "must be true or false"),
        ("model=3", "is a section"),
        ("nonsense", "must look like key.sub=value"),
        # Well typed but impossible: refused before anything is read or written.
        ("pretrain.lr=-1", "pretrain.lr must be a positive finite number"),
        ("refine.lr=nan", "refine.lr must be a positive finite number"),
        ("pretrain.weight_decay=-1", "weight_decay must be a non-negative finite number"),
        ("trainer.devices=0", "trainer.devices must be at least 1"),
        ("trainer.precision=banana", "trainer.precision must be one of"),
        ("trainer.strategy=banana", "trainer.strategy must be auto, ddp"),
        ("trainer.accelerator=abacus", "trainer.accelerator must be one of"),
        ("trainer.matmul_precision=fast", "trainer.matmul_precision must be one of highest"),
        ("trainer.compile=sometimes", "must be true or false"),
        ("seed=-1", "seed must be between 0 and 4294967295"),
        ("seed=1099511627776", "seed must be between 0 and 4294967295"),
        ("refine.n_init=1000000000", "refine.n_init must be between 1 and 1000"),
        ("model.alpha=inf", "model.alpha must be a positive finite number"),
        ("refine.gamma=inf", "refine.gamma must be a non-negative finite number"),
        ("refine.balance=2", "refine.balance must be between 0 and 1"),
        ("refine.tol=2", "refine.tol must be a share between 0 and 1"),
        ("data.as_of=yesterday", "'yesterday' is not a date; write it as YYYY-MM-DD"),
        ("model.hidden_dims=[100000000]", "model.hidden_dims must be between 1 and 65536 each"),
        ("pretrain.batch_size=0", "batch sizes must be between 1 and 1048576"),
        ("data.kind=pictures", "data.kind must be 'auto', 'table' or 'dense'"),
        ("data.scaling=minmax", "data.scaling must be 'standard', 'none' or 'shared'"),
    ],
)
def test_bad_values_raise_config_error(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(overrides=[override])


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_dict_round_trip():
    c = load_config(overrides=["refine.gamma=0.5"])
    assert config_from_dict(c.to_dict()) == c


def test_dotted_overrides_nest():
    assert load_config(overrides=["refine.update_interval=7"]).refine.update_interval == 7


def test_shipped_configs_load():

    for path in sorted(ROOT.glob("configs/*.yaml")):
        assert isinstance(load_config(path), Config), path


def test_default_yaml_equals_built_in_defaults():

    assert load_config(ROOT / "configs" / "default.yaml") == Config()


def test_overrides_and_flags_in_any_order():
    from dec.cli.common import config_from_args, train_parser

    args = train_parser().parse_args(
        [
            "refine.gamma=0",
            "--seed",
            "3",
            "pretrain.epochs=2",
            "--n-clusters",
            "4",
            "model.embedding_dim=6",
        ]
    )
    config, _, _ = config_from_args(args)
    assert (config.refine.gamma, config.seed, config.pretrain.epochs) == (0.0, 3, 2)
    assert (config.model.n_clusters, config.model.embedding_dim) == (4, 6)
