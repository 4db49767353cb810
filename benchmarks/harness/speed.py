"""How much the Lightning training loop costs: the package's pretraining against a plain
PyTorch loop with the same network, data (in-memory tensors), batch size, optimiser and
input noise, in the same process. Twice: with a bare Trainer (the loop alone), and with the
Trainer a run builds (its checkpoint every epoch, TensorBoard, callbacks)."""

from __future__ import annotations

import tempfile
import time
import warnings

import numpy as np
import pytorch_lightning as pl
import torch
from torch.nn import functional as F

from dec.config import load_config
from dec.data.datamodule import CustomerDataModule
from dec.data.prepare import prepare_data
from dec.models.autoencoder import Autoencoder
from dec.runs.rundir import RunDir
from dec.training.autoencoder_module import AutoencoderModule
from dec.training.trainer import make_trainer, quiet_lightning


def plain_loop(
    X: torch.Tensor,
    hidden_dims,
    embedding_dim,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    noise: float,
    seed: int,
) -> float:
    """Seconds for ``epochs`` of denoising-autoencoder training in plain PyTorch."""
    torch.manual_seed(seed)
    model = Autoencoder(X.shape[1], hidden_dims, embedding_dim)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(X))
        for i in range(0, len(X), batch_size):
            x = X[order[i : i + batch_size]]
            _, reconstruction = model(x + noise * torch.randn_like(x))
            loss = F.mse_loss(reconstruction, x)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return time.perf_counter() - start


def lightning_loop(
    X: torch.Tensor,
    hidden_dims,
    embedding_dim,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    noise: float,
    seed: int,
    config=None,
) -> float:
    """Seconds for the same training through the package's AutoencoderModule and a bare
    Trainer, or, given the run's ``config``, the Trainer a run builds, in a temporary run
    folder (validation off in both: the plain loop has none)."""
    pl.seed_everything(seed, verbose=False)
    module = AutoencoderModule(X.shape[1], hidden_dims, embedding_dim, lr=lr, input_noise=noise)
    datamodule = CustomerDataModule(X, X[:0], batch_size)
    with tempfile.TemporaryDirectory() as folder:
        if config is None:
            trainer = pl.Trainer(
                max_epochs=epochs,
                accelerator="cpu",
                devices=1,
                logger=False,
                enable_checkpointing=False,
                enable_progress_bar=False,
                enable_model_summary=False,
                num_sanity_val_steps=0,
            )
        else:
            trainer = make_trainer(config, RunDir(folder), "pretrain", epochs)
        start = time.perf_counter()
        with quiet_lightning(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trainer.fit(module, datamodule=datamodule)
        return time.perf_counter() - start


def speed_benchmark(
    n_samples: int = 200_000, epochs: int = 2, repeats: int = 3, seed: int = 0
) -> dict:
    """Time both loops ``repeats`` times, alternating; report medians and their ratio."""
    config = load_config(
        overrides=[
            f"data.n_samples={n_samples}",
            "data.val_fraction=0.01",
            "data.test_fraction=0.01",
            "trainer.enable_progress_bar=false",
        ]
    )
    X = torch.as_tensor(prepare_data(config).X_train)
    p, m = config.pretrain, config.model
    kwargs = dict(epochs=epochs, batch_size=p.batch_size, lr=p.lr, noise=p.input_noise, seed=seed)
    seconds = {"plain": [], "lightning": [], "run_trainer": []}
    for _ in range(repeats):
        seconds["plain"].append(plain_loop(X, m.hidden_dims, m.embedding_dim, **kwargs))
        seconds["lightning"].append(lightning_loop(X, m.hidden_dims, m.embedding_dim, **kwargs))
        seconds["run_trainer"].append(
            lightning_loop(X, m.hidden_dims, m.embedding_dim, config=config, **kwargs)
        )
    steps = epochs * int(np.ceil(len(X) / p.batch_size))
    result = {
        "n_train": len(X),
        "n_features": X.shape[1],
        "epochs": epochs,
        "batch_size": p.batch_size,
        "steps": steps,
        "hidden_dims": m.hidden_dims,
        "threads": torch.get_num_threads(),
    }
    plain = np.array(seconds["plain"])
    for loop, runs in seconds.items():
        result[f"{loop}_seconds"] = runs
        result[f"{loop}_median"] = float(np.median(runs))
    for loop in ("lightning", "run_trainer"):
        # The ratio of medians is the measure; the median of each repeat's own
        # ratio is steadier where the machine's speed drifts between repeats.
        result[f"{loop}_ratio"] = result[f"{loop}_median"] / result["plain_median"]
        result[f"{loop}_paired_ratio"] = float(np.median(np.array(seconds[loop]) / plain))
    result["ratio"] = result["lightning_ratio"]
    return result
