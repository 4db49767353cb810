"""dec: customer segmentation with Deep Embedded Clustering, benchmarked against KMeans.

The training path is :func:`dec.pipeline.fit`; ``scripts/train.py`` calls it.
"""

from dec.data.datasets import Dataset, load_dataset
from dec.errors import ConfigError, DataError, DecError, SchemaError

__version__ = "0.1.0"


def __getattr__(name: str):
    # The estimator imports torch and Lightning (about 1.5 s and 360 MB): loaded when first
    # used, so that commands without a model (python -m dec features) never pay for it.
    if name == "DeepEmbeddedClustering":
        from dec.estimator import DeepEmbeddedClustering

        return DeepEmbeddedClustering
    raise AttributeError(f"module 'dec' has no attribute {name!r}")

__all__ = ["DeepEmbeddedClustering", "Dataset", "load_dataset", "DecError", "ConfigError", "DataError", "SchemaError",
           "__version__"]
