"""What --help lists is what the package ships: every shipped config, every built-in
data set, every method test.py compares."""

from dec.cli.common import train_parser
from dec.data.readers import BUILT_IN
from dec.utils.resources import shipped_config_names


def _help(flag: str) -> str:
    (action,) = [a for a in train_parser()._actions if flag in a.option_strings]
    return action.help


def test_config_help_names_every_shipped_config():
    for name in shipped_config_names():
        assert name in _help("--config"), name


def test_data_help_names_every_built_in_source():
    for name in BUILT_IN:
        assert name in _help("--data"), name


def test_test_help_names_every_method_of_the_report():
    from dec.cli.commands import test

    for method in ("KMeans", "GMM", "AE+KMeans"):
        assert method in test.__doc__
