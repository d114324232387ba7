"""Data: datasets, batching (the gradient-descent strategy), files, built-in sets, preprocessing.

>>> import descend as ds
>>> X, y = ds.data.load_digits()
>>> X_train, X_test, y_train, y_test = ds.data.train_test_split(X, y, stratify=y, random_state=0)
>>> scaler = ds.data.StandardScaler().fit(X_train)
>>> train = ds.data.DataLoader(
...     ds.data.TensorDataset(scaler.transform(X_train), y_train), batch_size=64, shuffle=True)
"""

from descend.data.builtin import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
)
from descend.data.csv_file import load_csv, load_csv_features
from descend.data.dataset import Dataset, TensorDataset
from descend.data.loader import DataLoader, as_loader
from descend.data.mnist import load_mnist, read_idx
from descend.data.preprocessing import StandardScaler, one_hot
from descend.data.sets import LoadedData, Splits, holdout, load, scale
from descend.data.shard import ShardedLoader
from descend.data.split import train_test_split
from descend.data.validation import (
    check_batch_size,
    check_finite,
    check_labels,
    check_not_empty,
    check_same_length,
)

__all__ = [
    "DataLoader",
    "Dataset",
    "LoadedData",
    "NpyDataset",
    "ShardedLoader",
    "Splits",
    "StandardScaler",
    "TensorDataset",
    "as_loader",
    "check_batch_size",
    "check_finite",
    "check_labels",
    "check_not_empty",
    "check_same_length",
    "holdout",
    "load",
    "load_breast_cancer",
    "load_csv",
    "load_csv_features",
    "load_diabetes",
    "load_digits",
    "load_iris",
    "load_mnist",
    "load_npy",
    "load_wine",
    "one_hot",
    "read_idx",
    "scale",
    "train_test_split",
]


def __getattr__(name: str):
    # The .npy reader (memory maps, positioned reads) loads when first used, so that
    # importing the Trainer does not load it.
    if name in ("NpyDataset", "load_npy"):
        from descend.data import npy

        return getattr(npy, name)
    raise AttributeError(f"module 'descend.data' has no attribute {name!r}")
