"""dec: customer segmentation with Deep Embedded Clustering, benchmarked against KMeans.

The training path is :func:`dec.pipeline.fit`; ``scripts/train.py`` calls it.
"""

from dec.data.datasets import Dataset, load_dataset
from dec.estimator import DeepEmbeddedClustering
from dec.errors import ConfigError, DataError, DecError, SchemaError

__version__ = "0.1.0"

__all__ = ["DeepEmbeddedClustering", "Dataset", "load_dataset", "DecError", "ConfigError", "DataError", "SchemaError",
           "__version__"]
