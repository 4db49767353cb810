"""The training path: data -> preprocessing -> pretraining -> KMeans init -> DEC refinement.

``fit(config)`` is the single place the stages are chained; ``scripts/train.py`` and the
Python API both call it.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.loggers import TensorBoardLogger
from sklearn.cluster import KMeans, MiniBatchKMeans

from dec import io
from dec import distributed
from dec.callbacks import ProgressBar
from dec.config import Config, save_config_yaml
from dec.data import Dataset, Preprocessor, load_dataset, split_indices
from dec.data.datamodule import CustomerDataModule
from dec.errors import ConfigError, DataError
from dec.models.autoencoder import apply_in_batches
from dec.models.autoencoder_module import AutoencoderModule
from dec.models.dec_module import DECModule

log = logging.getLogger("dec")

#: Above this many training rows, KMeans initialisation switches to MiniBatchKMeans.
MINIBATCH_KMEANS_THRESHOLD = 200_000
PROJECTOR_SAMPLE = 1000


@dataclass
class PreparedData:
    """A data set split and preprocessed; the test rows are never used by any fit."""

    dataset: Dataset
    preprocessor: Preprocessor
    train_index: np.ndarray
    val_index: np.ndarray
    test_index: np.ndarray
    X_train: np.ndarray
    X_val: np.ndarray
    X_test: np.ndarray

    def labels(self, part: str) -> np.ndarray | None:
        if self.dataset.labels is None:
            return None
        return self.dataset.labels[getattr(self, f"{part}_index")]

    def X_all(self) -> np.ndarray:
        """Every row's preprocessed features, in the data set's own order."""
        x = np.empty((len(self.dataset), self.X_train.shape[1]), dtype=np.float32)
        for part in ("train", "val", "test"):
            x[getattr(self, f"{part}_index")] = getattr(self, f"X_{part}")
        return x


def prepare_data(config: Config, preprocessor: Preprocessor | None = None,
                 dataset: Dataset | None = None) -> PreparedData:
    """Load (unless ``dataset`` is given), split and preprocess.

    The preprocessor is fitted on the training rows unless one is given.
    """
    d = config.data
    if dataset is None:
        dataset = load_dataset_from_config(config)
    train, val, test = split_indices(len(dataset), val_fraction=d.val_fraction,
                                     test_fraction=d.test_fraction, random_state=d.random_state)
    if len(train) < config.model.n_clusters:
        raise DataError(f"only {len(train)} training customers for "
                        f"{config.model.n_clusters} segments; use more data or fewer segments "
                        "(--n-clusters / n_clusters)")
    features = dataset.features
    if preprocessor is None:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            preprocessor = Preprocessor(d.categorical_columns, scaling=d.scaling).fit(
                features.iloc[train])
    def transform(rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:  # e.g. no test split when the estimator fits on everything
            return np.empty((0, preprocessor.n_features_out), dtype=np.float32)
        return preprocessor.transform(features.iloc[rows])

    return PreparedData(dataset, preprocessor, train, val, test,
                        transform(train), transform(val), transform(test))


def prepare_run_data(run_dir: str | Path) -> PreparedData:
    """A trained run's data, split and preprocessed exactly as in training."""
    from dec.config import load_config

    from dec.errors import RunDirError

    run_dir = io.check_run_dir(run_dir)
    config = load_config(run_dir / "config.yaml")
    if config.data.source == "in-memory":
        raise RunDirError(f"run {run_dir} was fitted in Python on in-memory data, which is not "
                          "on disk; score it with DeepEmbeddedClustering.load(run).predict(X)")
    return prepare_data(config, Preprocessor.load(run_dir / "preprocessor.json"))


def load_dataset_from_config(config: Config) -> Dataset:
    """The data set a config names, with all its source options."""
    d = config.data
    return load_dataset(d.source, n_samples=d.n_samples, random_state=d.random_state,
                        id_column=d.id_column, label_column=d.label_column,
                        drop_columns=d.drop_columns, categorical_columns=d.categorical_columns,
                        format=d.format, date_column=d.date_column,
                        amount_column=d.amount_column, quantity_column=d.quantity_column,
                        as_of=d.as_of)


def default_run_dir(config: Config, root: str | Path = "checkpoints") -> Path:
    source = Path(config.data.source).stem
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(root) / f"{stamp}_{source}_k{config.model.n_clusters}_s{config.seed}"


def check_accelerator(config: Config) -> None:
    """Fail early, in one line, when a GPU is asked for and none is usable."""
    accelerator = config.trainer.accelerator.lower()
    if accelerator in ("gpu", "cuda"):
        if not torch.cuda.is_available():
            build = "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
            raise ConfigError(f"a GPU was asked for (--gpus/--accelerator gpu) but CUDA is not "
                              f"available (torch {torch.__version__}, {build}); "
                              "run without --gpus to train on the CPU")
        if config.trainer.devices > torch.cuda.device_count():
            raise ConfigError(f"{config.trainer.devices} GPUs asked for but only "
                              f"{torch.cuda.device_count()} visible; lower --gpus")
    elif accelerator not in ("cpu", "auto", "mps", "tpu"):
        raise ConfigError(f"unknown accelerator '{config.trainer.accelerator}'; "
                          "use cpu, gpu or auto")


def make_trainer(config: Config, run_dir: Path, stage: str, max_epochs: int,
                 monitor: str) -> pl.Trainer:
    t = config.trainer
    checkpoint = ModelCheckpoint(dirpath=run_dir / "checkpoints" / stage, filename="best",
                                 monitor=monitor, mode="min", save_last=True)
    logger = TensorBoardLogger(str(run_dir), name="tensorboard", version=stage,
                               default_hp_metric=False)
    return pl.Trainer(
        max_epochs=max_epochs, accelerator=t.accelerator, devices=t.devices,
        num_nodes=t.num_nodes, strategy=t.strategy, precision=t.precision,
        deterministic=t.deterministic, enable_progress_bar=t.enable_progress_bar,
        log_every_n_steps=t.log_every_n_steps, enable_model_summary=False,
        logger=logger, default_root_dir=str(run_dir),
        callbacks=[checkpoint, *([ProgressBar()] if t.enable_progress_bar else [])],
        # CustomerDataModule splits every global batch across processes itself.
        use_distributed_sampler=False,
    )


def _quiet_lightning() -> None:
    # In-memory tensors need no loader workers; Lightning's advice about them, its
    # start-up banner and its sales tips are noise next to the progress bar.
    import logging

    for name in ("pytorch_lightning.utilities.rank_zero", "lightning_fabric.utilities.rank_zero",
                 "pytorch_lightning.accelerators.cuda"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", ".*treespec.*")
    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    warnings.filterwarnings("ignore", ".*GPU available but not used.*")
    warnings.filterwarnings("ignore", ".*LitLogger.*")
    warnings.filterwarnings("ignore", ".*is smaller than the logging interval.*")
    warnings.filterwarnings("ignore", ".*exists and is not empty.*")  # expected on --resume


def make_kmeans(n_clusters: int, n_rows: int, *, n_init: int,
                random_state: int) -> KMeans | MiniBatchKMeans:
    """KMeans, or MiniBatchKMeans above ``MINIBATCH_KMEANS_THRESHOLD`` rows (bounded time)."""
    if n_rows > MINIBATCH_KMEANS_THRESHOLD:
        return MiniBatchKMeans(n_clusters, n_init=n_init, random_state=random_state,
                               batch_size=4096)
    return KMeans(n_clusters, n_init=n_init, random_state=random_state)


def init_centers(embeddings: np.ndarray, n_clusters: int, n_init: int,
                 random_state: int) -> np.ndarray:
    """KMeans on the pretrained embeddings (DEC §3.2); MiniBatchKMeans for large data."""
    kmeans = make_kmeans(n_clusters, len(embeddings), n_init=n_init, random_state=random_state)
    return kmeans.fit(embeddings).cluster_centers_.astype(np.float32)


def fit(config: Config, run_dir: str | Path | None = None, *, resume: bool = False,
        dataset: Dataset | None = None) -> Path:
    """Train a DEC/IDEC model and write a complete run directory.

    Parameters
    ----------
    config : Config
        Resolved configuration.
    run_dir : str or Path, optional
        Where to write; defaults to ``config.output_dir`` or a new ``checkpoints/<run>``.
    resume : bool, default=False
        Continue from the stage checkpoints already in ``run_dir``.
    dataset : Dataset, optional
        In-memory data to use instead of ``config.data.source`` (the estimator's path).

    Returns
    -------
    Path
        The run directory.
    """
    _quiet_lightning()
    check_accelerator(config)
    run_dir = io.check_writable_dir(run_dir or config.output_dir or default_run_dir(config))
    pl.seed_everything(config.seed, workers=True, verbose=False)
    data = prepare_data(config, dataset=dataset)
    log.info("data: %s, %d train / %d val / %d test customers, %d input features",
             data.dataset.name, len(data.X_train), len(data.X_val), len(data.X_test),
             data.preprocessor.n_features_out)
    run_dir.mkdir(parents=True, exist_ok=True)
    io.atomic_write_text(run_dir / "config.yaml", save_config_yaml(config))
    data.preprocessor.save(run_dir / "preprocessor.json")
    datamodule = CustomerDataModule(data.X_train, data.X_val, config.pretrain.batch_size,
                                    val_labels=data.labels("val"), seed=config.seed)
    m = config.model
    architecture = {"input_dim": data.preprocessor.n_features_out,
                    "hidden_dims": list(m.hidden_dims), "embedding_dim": m.embedding_dim,
                    "n_clusters": m.n_clusters, "alpha": m.alpha}
    io.write_json(run_dir / "model.json", architecture)
    timings = io.read_json(run_dir / "metrics.json").get("timings", {}) if (
        resume and (run_dir / "metrics.json").exists()) else {}

    pretrained_path = run_dir / "pretrained.pt"
    if resume and pretrained_path.exists():
        log.info("resume: pretraining already finished, loading %s", pretrained_path)
        pretrained = io.load_weights(pretrained_path)
    else:
        pretrained = _pretrain_and_init(config, run_dir, datamodule, architecture, timings,
                                        resume)
        io.save_weights(pretrained_path, pretrained)
        io.write_json(run_dir / "metrics.json", {"timings": timings})

    log.info("refining with %s (gamma=%g, up to %d epochs)",
             "IDEC" if config.refine.gamma > 0 else "DEC", config.refine.gamma,
             config.refine.epochs)
    start = time.perf_counter()
    module = DECModule(**architecture, gamma=config.refine.gamma, lr=config.refine.lr,
                       update_interval=config.refine.update_interval, tol=config.refine.tol)
    autoencoder_state, centers = io.split_pretrained(pretrained)
    module.autoencoder.load_state_dict(autoencoder_state)
    with torch.no_grad():
        module.centers.copy_(centers)
    datamodule.batch_size = config.refine.batch_size
    # Refinement starts from its own seed, so that a run resumed after pretraining
    # shuffles exactly as an uninterrupted one.
    torch.manual_seed(config.seed + 1)
    datamodule.reseed(config.seed + 1)
    trainer = make_trainer(config, run_dir, "refine", config.refine.epochs, "val/loss")
    trainer.fit(module, datamodule=datamodule,
                ckpt_path=_last_checkpoint(run_dir, "refine") if resume else None,
                weights_only=True)
    timings["refine_seconds"] = timings.get("refine_seconds", 0.0) + time.perf_counter() - start

    if trainer.is_global_zero:
        io.save_weights(run_dir / "model.pt", module.state_dict())
        summary = _summarise(module, trainer, data, timings)
        io.write_json(run_dir / "metrics.json", summary)
        _log_run_summary(trainer, module, config, data, summary)
    return run_dir


def _pretrain_and_init(config, run_dir, datamodule, architecture, timings, resume):
    start = time.perf_counter()
    p = config.pretrain
    log.info("pretraining the autoencoder (%d epochs)", p.epochs)
    module = AutoencoderModule(architecture["input_dim"], architecture["hidden_dims"],
                               architecture["embedding_dim"], lr=p.lr,
                               weight_decay=p.weight_decay, input_noise=p.input_noise,
                               seed=config.seed)
    trainer = make_trainer(config, run_dir, "pretrain", p.epochs, "val/recon_loss")
    trainer.fit(module, datamodule=datamodule,
                ckpt_path=_last_checkpoint(run_dir, "pretrain") if resume else None,
                weights_only=True)
    timings["pretrain_seconds"] = time.perf_counter() - start

    start = time.perf_counter()
    log.info("initialising %d centres with KMeans (n_init=%d)", config.model.n_clusters,
             config.refine.n_init)
    module.eval()
    # Under DDP each process embeds its shard; KMeans sees all of them, on rank 0.
    train, strategy = datamodule.train, trainer.strategy
    rows = distributed.shard(len(train), trainer.global_rank, trainer.world_size)
    embeddings = distributed.gather_shards(
        strategy, apply_in_batches(module, train[rows.to(train.device)], device=module.device),
        len(train))
    centers = torch.zeros(config.model.n_clusters, architecture["embedding_dim"])
    if trainer.is_global_zero:
        centers = torch.from_numpy(init_centers(embeddings.numpy(), config.model.n_clusters,
                                                config.refine.n_init, config.seed))
    centers = distributed.broadcast(strategy, centers)
    timings["init_seconds"] = time.perf_counter() - start
    state = {f"autoencoder.{k}": v for k, v in module.autoencoder.state_dict().items()}
    state["centers"] = centers
    return state


def _last_checkpoint(run_dir: Path, stage: str) -> str | None:
    """The stage's last Lightning checkpoint, after checking that it is plain data.

    Lightning then loads it with ``weights_only=True`` too; checking here first turns a
    crafted file into one clear UnsafeModelError instead of a traceback from inside
    the Trainer.
    """
    path = run_dir / "checkpoints" / stage / "last.ckpt"
    if not path.exists():
        return None
    io.load_weights(path)
    return str(path)


def _summarise(module: DECModule, trainer: pl.Trainer, data: PreparedData,
               timings: dict) -> dict:
    q = module.soft_assign_all(torch.as_tensor(data.X_train))
    sizes = np.bincount(q.argmax(1).numpy(), minlength=module.hparams.n_clusters)
    summary = {
        "timings": timings,
        "n_train": len(data.train_index), "n_val": len(data.val_index),
        "n_test": len(data.test_index),
        "refine_epochs_run": trainer.current_epoch, "refine_steps": trainer.global_step,
        "label_changes": module.label_changes,
        "converged": bool(module.label_changes and module.label_changes[-1] < module.hparams.tol),
        "train_cluster_sizes": sizes.tolist(),
        # Lightning moves the module back to the CPU when fit ends: ask the strategy.
        "device": str(trainer.strategy.root_device),
    }
    if trainer.strategy.root_device.type == "cuda":
        summary["peak_gpu_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
    val_labels = data.labels("val")
    if val_labels is not None:
        from dec.metrics import label_metrics

        predicted = module.soft_assign_all(torch.as_tensor(data.X_val)).argmax(1).numpy()
        summary["val"] = label_metrics(val_labels, predicted)
    return summary


def _log_run_summary(trainer, module, config, data, summary) -> None:
    """Hyper-parameters with final metrics, and a projector view of some customers."""
    logger = trainer.logger
    final = {"hp/label_change": (summary["label_changes"] or [float("nan")])[-1]}
    final.update({f"hp/val_{k}": v for k, v in summary.get("val", {}).items()})
    flat = {}
    for section, values in config.to_dict().items():
        if isinstance(values, dict):
            flat.update({f"{section}.{k}": str(v) if isinstance(v, list) else v
                         for k, v in values.items()})
        else:
            flat[section] = values
    logger.log_hyperparams(flat, metrics=final)
    rng = np.random.default_rng(config.seed)
    sample = rng.choice(len(data.X_train), size=min(PROJECTOR_SAMPLE, len(data.X_train)),
                        replace=False)
    x = torch.as_tensor(data.X_train[sample])
    module.eval()
    z = apply_in_batches(module.autoencoder.encoder, x, device=module.device)
    segments = module.soft_assign_all(x).argmax(1).tolist()
    truth = data.labels("train")
    if truth is not None:
        metadata = [[str(s), str(t)] for s, t in zip(segments, truth[sample])]
        header = ["segment", "planted_label"]
    else:
        metadata, header = [str(s) for s in segments], None
    logger.experiment.add_embedding(z, metadata=metadata, metadata_header=header,
                                    tag="customers", global_step=trainer.global_step)
    logger.experiment.flush()
