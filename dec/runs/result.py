"""What a training run produces, held in memory: :class:`FitResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from dec.config import Config
from dec.data.preprocessing import Preprocessor
from dec.models.dec_model import DECModel


@dataclass
class FitResult:
    """What :func:`dec.training.pipeline.fit` returns: everything a trained run holds, in memory."""

    model: DECModel
    pretrained: dict[str, torch.Tensor]
    preprocessor: Preprocessor
    config: Config
    metrics: dict[str, Any] = field(default_factory=dict)
    run_dir: Any = None  # the RunDir it was written to, if any
    fingerprint: dict[str, Any] | None = None

    def pretrained_model(self) -> DECModel:
        """The model before refinement: pretrained encoder and initial centres (AE+KMeans)."""
        return build_model(self.model.architecture, self.pretrained)


def build_model(architecture: dict, state: dict[str, torch.Tensor]) -> DECModel:
    model = DECModel(**architecture)
    model.load_state_dict(state)
    return model.eval()
