"""dec: customer segmentation with Deep Embedded Clustering, benchmarked against KMeans.

The training path is :func:`dec.training.pipeline.fit`; ``scripts/train.py`` calls it.
``docs/layout.md`` maps every stage of the data flow to its folder.
"""

from importlib.metadata import PackageNotFoundError, version

from dec import _moved
from dec.data.dataset import Dataset
from dec.data.sources import load_dataset
from dec.errors import ConfigError, DataError, DecError, SchemaError

try:
    __version__ = version("dec")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0.0.0+unknown"

_moved.install()


def __getattr__(name: str):
    # The estimator imports torch and Lightning (about 1.5 s and 360 MB): loaded when first
    # used, so that commands without a model (python -m dec features) never pay for it.
    if name == "DeepEmbeddedClustering":
        from dec.estimator import DeepEmbeddedClustering

        return DeepEmbeddedClustering
    raise AttributeError(f"module 'dec' has no attribute {name!r}")


__all__ = [
    "DeepEmbeddedClustering",
    "Dataset",
    "load_dataset",
    "DecError",
    "ConfigError",
    "DataError",
    "SchemaError",
    "__version__",
]
