"""Launched by tests/training/test_distributed.py: one DEC refresh under 2-process DDP (gloo).

Every rank saves the target distribution P it holds after the first refresh, and rank 0
the initial weights, so the test can compare P with the single-process P.
"""

import sys
from pathlib import Path

import pytorch_lightning as pl
import torch

from dec.data.datamodule import CustomerDataModule
from dec.training.dec_module import DECModule

N_ROWS, N_FEATURES = 1001, 6  # odd, so the two shards differ in size


def make_module() -> DECModule:
    torch.manual_seed(0)
    module = DECModule(N_FEATURES, [8], 3, n_clusters=4, update_interval=100)
    with torch.no_grad():
        module.centers.copy_(torch.randn(4, 3))
    return module


def make_data() -> torch.Tensor:
    return torch.randn(N_ROWS, N_FEATURES, generator=torch.Generator().manual_seed(1))


class SaveTarget(pl.Callback):
    def __init__(self, out: Path):
        self.out = out

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if trainer.is_global_zero and batch_idx == 0:
            torch.save(pl_module.state_dict(), self.out / "init.pt")

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        torch.save(
            {"target": pl_module.target.cpu(), "world_size": trainer.world_size},
            self.out / f"rank{trainer.global_rank}.pt",
        )


def main(out: Path) -> None:
    x = make_data()
    datamodule = CustomerDataModule(x.numpy(), x[:50].numpy(), batch_size=100)
    trainer = pl.Trainer(
        accelerator="cpu",
        devices=2,
        strategy="ddp",
        max_steps=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        use_distributed_sampler=False,
        callbacks=[SaveTarget(out)],
    )
    trainer.fit(make_module(), datamodule=datamodule)
    # Leave the gloo group before the interpreter exits: a process that exits with the
    # group's threads still up can abort ("terminate called without an active exception").
    if torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
