"""What the commands print where nobody watches a terminal: lines, not progress-bar redraws."""

import warnings

import pytest
from conftest import cli


def test_training_into_a_file_prints_epoch_lines_not_a_bar(tmp_path, capsys):
    code, err = cli(
        "train",
        "--config",
        "configs/smoke.yaml",
        "--output-dir",
        str(tmp_path / "run"),
        "trainer.enable_progress_bar=true",
        "pretrain.epochs=3",
        capsys=capsys,
    )
    assert code == 0, err
    assert "\r" not in err and "it/s" not in err
    lines = [line for line in err.splitlines() if " epoch " in line]
    assert lines[0].startswith("pretrain epoch 1/3: ") and "train/recon_loss" in lines[0]
    assert any(line.startswith("pretrain epoch 3/3: ") for line in lines)
    assert any(line.startswith("refine epoch 2/2: ") and "val/" in line for line in lines)


def test_epoch_lines_are_about_twenty_per_stage():
    from dec.training.trainer import EpochLines

    assert EpochLines("pretrain", 200).every == 10
    assert EpochLines("pretrain", 40).every == 2
    assert EpochLines("refine", 3).every == 1


def test_a_warning_is_said_once_per_command(capsys):
    from dec.cli.common import run_cli

    def noisy():
        for _ in range(3):
            warnings.warn("the same thing", stacklevel=1)
        warnings.warn("another thing", stacklevel=1)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert run_cli(noisy) == 0
        assert run_cli(noisy) == 0
    err = capsys.readouterr().err
    assert err.count("warning: the same thing") == 2  # once per command, two commands
    assert err.count("warning: another thing") == 2


def test_log_lines_are_not_repeated_by_handlers_piling_up(capsys):
    import logging

    from dec.cli.common import run_cli

    def speak():
        logging.getLogger("dec").info("hello once")

    for _ in range(3):
        run_cli(speak)
    assert capsys.readouterr().err.count("hello once") == 3


@pytest.mark.slow
def test_the_default_run_into_a_file_is_a_few_kilobytes(tmp_path):
    """Issue 23: ``train.py > log.txt 2>&1`` once wrote 870 KB of progress-bar redraws."""
    from conftest import run_script

    result = run_script("train.py", "--output-dir", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    assert len((result.stdout + result.stderr).encode()) < 20_000
    assert "pretrain epoch 40/40: " in result.stderr and "\r" not in result.stderr


def test_verbose_estimator_without_logging_still_prints_epoch_lines(capsys):
    import logging

    from dec import DeepEmbeddedClustering
    from dec.data.synthetic import make_customers

    package_log = logging.getLogger("dec")
    handlers, level = package_log.handlers, package_log.level
    package_log.handlers = []
    package_log.setLevel(logging.NOTSET)  # as in a fresh Python session: WARNING from root
    try:
        DeepEmbeddedClustering(
            3, pretrain_epochs=2, refine_epochs=1, hidden_dims=(8,), embedding_dim=2, verbose=True
        ).fit(make_customers(200, random_state=0)[0])
    finally:
        package_log.handlers = handlers
        package_log.setLevel(level)
    err = capsys.readouterr().err
    assert "pretrain epoch 2/2: " in err and "\r" not in err
