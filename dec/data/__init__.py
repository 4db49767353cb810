"""Data sources, readers, splitting, preprocessing and the Lightning data module."""

from dec.data.dataset import Dataset
from dec.data.prepare import PreparedData, prepare_data, split_indices
from dec.data.preprocessing import Preprocessor
from dec.data.sources import load_dataset

__all__ = [
    "Dataset",
    "load_dataset",
    "split_indices",
    "Preprocessor",
    "PreparedData",
    "prepare_data",
]
