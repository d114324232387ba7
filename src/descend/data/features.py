"""A trained model's features read from a new file: a CSV file's columns matched to the
training features by name (or, when none is named, by position), or an ``.npy`` file's
samples."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

from descend.data.csv_file import csv_header, load_csv_features


def load_features(path: str | Path, feature_names: list[str]) -> np.ndarray:
    """The features of the rows of a CSV file, for a model trained on ``feature_names``:
    its columns matched as :func:`match_features` says (other columns, such as the
    target's, text or numbers, are not read); or the samples of an ``.npy`` file, one
    per row or image, read in order.

    Raises
    ------
    ValueError
        As :func:`match_features`, or a bad cell, named by line and column.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    if path.suffix.lower() == ".npy":  # samples of an .npy folder: rows or images
        from descend.data.npy import NpyDataset

        samples = NpyDataset(path, dtype=np.float64)
        try:
            size = math.prod(samples.X.shape[1:])
            if samples.X.ndim < 2 or size != len(feature_names):
                raise ValueError(
                    f"{path} holds samples of shape {samples.X.shape[1:]} ({size} values), "
                    f"expected {len(feature_names)} features as in training"
                )
            return samples.stored(slice(None)).reshape(len(samples), -1)
        finally:
            samples.close()
    header = csv_header(path)
    if not header:
        load_csv_features(path)  # it says why the file has no header
    columns = match_features(header, feature_names, path)
    return load_csv_features(path, columns=[header[i] for i in columns])[0]


def match_features(names: list[str], feature_names: list[str], source) -> list[int]:
    """Where each of a model's ``feature_names`` is among ``names``, the columns of
    ``source``.

    By name when every one of them is there (in any order, beside other columns). A
    source that names some of them but not all is refused, naming the first missing. One
    that names none of them is read by position when it has as many columns, with a
    UserWarning that says so.

    Raises
    ------
    ValueError
        ``new.csv has no column 'c', a feature of the run (its features: a, b, c)``, or
        ``expected 4 features (as in training: a, b, c, d), got 3 columns (a, b, x)``.
    """
    names = [str(name) for name in names]
    missing = [name for name in feature_names if name not in names]
    if not missing:
        return [names.index(name) for name in feature_names]
    if len(missing) < len(feature_names):
        raise ValueError(
            f"{source} has no column {missing[0]!r}, a feature of the run "
            f"(its features: {_short(feature_names)})"
        )
    if len(names) != len(feature_names):
        raise ValueError(
            f"expected {len(feature_names)} features (as in training: "
            f"{_short(feature_names)}), got {len(names)} columns ({_short(names)})"
        )
    warnings.warn(
        f"{source}: no column has a training feature's name; its {len(names)} columns "
        f"({_short(names)}) are read by position as {_short(feature_names)}",
        stacklevel=2,
    )
    return list(range(len(names)))


def _short(names: list[str]) -> str:
    return ", ".join(names[:4]) + (f", ... ({len(names)} in all)" if len(names) > 4 else "")
