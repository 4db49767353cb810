"""Lightning callbacks the training path adds to every Trainer."""

from __future__ import annotations

from pytorch_lightning.callbacks import TQDMProgressBar


class ProgressBar(TQDMProgressBar):
    """Lightning's bar without ``v_num``, which shows the stage name cut to 4 letters."""

    def get_metrics(self, trainer, pl_module):
        metrics = super().get_metrics(trainer, pl_module)
        metrics.pop("v_num", None)
        return metrics
