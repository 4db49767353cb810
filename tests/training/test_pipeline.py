import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from conftest import SMOKE

from dec.config import load_config
from dec.data.datamodule import CustomerDataModule
from dec.evaluation.evaluate import evaluate
from dec.training.dec_module import DECModule
from dec.training.pipeline import fit, prepare_data
from dec.utils import files


def test_preprocessing_is_fitted_on_train_rows_only():
    data = prepare_data(load_config(SMOKE))
    column = data.preprocessor.feature_names_out_.index("tenure_days")
    assert data.X_train[:, column].mean() == pytest.approx(0.0, abs=1e-5)
    assert data.X_test[:, column].mean() != pytest.approx(0.0, abs=1e-5)
    assert not set(data.train_index) & set(data.test_index)


def test_refinement_stops_once_labels_settle(tmp_path):
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(-3, 0.3, (64, 2)), rng.normal(3, 0.3, (64, 2))]).astype("f4")
    module = DECModule(2, [8], 2, n_clusters=2, update_interval=2, tol=1.0)
    with torch.no_grad():
        module.centers.copy_(torch.tensor([[-1.0, -1.0], [1.0, 1.0]]))
    trainer = pl.Trainer(
        max_epochs=5,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        default_root_dir=tmp_path,
    )
    trainer.fit(module, datamodule=CustomerDataModule(x, x[:8], batch_size=16))
    # tol=1.0: any change below 100 % counts as converged at the second refresh (step 2)
    assert trainer.global_step == 2 and len(module.label_changes) == 1


def test_same_seed_gives_identical_model(tmp_path):
    config = load_config(SMOKE)
    a, b = fit(config, tmp_path / "a").run_dir, fit(config, tmp_path / "b").run_dir
    wa, wb = files.load_weights(a / "model.pt"), files.load_weights(b / "model.pt")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


@pytest.mark.slow
def test_default_config_dec_beats_kmeans_on_test_ari(tmp_path):
    """The README's headline on the real default config, seed 0 (about 30 s)."""
    config = load_config(overrides=["trainer.enable_progress_bar=false"])
    report = evaluate(fit(config, tmp_path / "run").run_dir)
    dec, kmeans = report["methods"]["dec"], report["methods"]["kmeans"]
    assert 0.4 <= kmeans["ari"] <= 0.8  # the data's stated difficulty
    assert dec["ari"] > kmeans["ari"]


def test_matmul_precision_is_set_for_training(tmp_path):
    from dec.training.trainer import make_trainer

    before = torch.get_float32_matmul_precision()
    try:
        make_trainer(load_config(SMOKE, ["trainer.matmul_precision=high"]), None, "pretrain", 1)
        assert torch.get_float32_matmul_precision() == "high"
    finally:
        torch.set_float32_matmul_precision(before)


@pytest.mark.slow
def test_compiled_training_saves_the_plain_models_keys(tmp_path):
    """torch.compile in place (about 20 s to compile on CPU): model.pt loads as ever."""
    plain = files.load_weights(fit(load_config(SMOKE), tmp_path / "a").run_dir / "model.pt")
    run = fit(load_config(SMOKE, ["trainer.compile=true"]), tmp_path / "b").run_dir
    compiled = files.load_weights(run / "model.pt")
    assert list(compiled) == list(plain)
    assert evaluate(run)["methods"]["dec"]["ari"] > 0.2
