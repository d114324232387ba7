"""``descend evaluate``: a trained run's metrics on a data set, with a confusion matrix."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from descend import data, metrics, runs
from descend.cli.common import (
    UsageError,
    add_device_option,
    check_output_file,
    format_table,
    numbered,
    open_saved_run,
    warn_if_diverged,
    warnings_as_lines,
)
from descend.data.features import match_features
from descend.data.sets import BUILTIN_DATA

DESCRIPTION = (
    "Compute the loss and metrics of a trained run. Without --data it uses the run's own "
    "test split (the same seed gives the same split); with --data, the whole of that data "
    "set (the t10k files of an MNIST folder that also holds train files), preprocessed as "
    "in training. --plot draws the confusion matrix of a classifier, or the predictions "
    "against the true values of a regressor, into the run folder."
)
EXAMPLES = """\
examples:
  descend evaluate runs/digits-mlp                 the run's own test split
  descend evaluate runs/digits-mlp --plot          ... and confusion_matrix.png in the run
  descend evaluate runs/diabetes-linear --plot     ... predictions.png: predicted vs true
  descend evaluate runs/houses-mlp --data new_houses.csv --target price
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    parser.add_argument(
        "--data",
        help="a built-in set, an MNIST folder, a folder of .npy files (X.npy and y.npy, or "
        "test_X.npy and test_y.npy) or a .csv file",
    )
    parser.add_argument("--target", help="CSV target column (default: the last column)")
    parser.add_argument(
        "--plot",
        action="store_true",
        help="write confusion_matrix.png (classifiers) or predictions.png (regressors) "
        "into the run folder, numbered -2, -3... when it exists",
    )
    add_device_option(parser)


def run(args: argparse.Namespace) -> int:
    saved = open_saved_run(args)
    picture = "confusion_matrix.png" if saved.task == "classify" else "predictions.png"
    picture = numbered(saved.folder / picture)  # an earlier picture is kept
    if args.plot:
        check_output_file(picture, "--plot:")
    warn_if_diverged(saved)
    X, y, source = _data(saved, args)
    scores = saved.evaluate(X, y)
    print(f"{saved.config.model} from {saved.folder} on {source} ({len(X)} samples)")
    print(format_table({"data": scores}))
    predicted = saved.predict(X)
    if saved.task == "classify":
        labels = np.arange(len(saved.class_names))
        truth, guessed = saved.class_indices(y), saved.class_indices(predicted)
        matrix = metrics.confusion_matrix(truth, guessed, labels=labels)
        print("\nconfusion matrix (rows: true class, columns: predicted class)")
        print(format_confusion(matrix, saved.class_names))
    if args.plot:
        from descend import plot

        if saved.task == "classify":
            path = plot.confusion_matrix(matrix, picture, labels=saved.class_names)
        else:
            title = (
                f"{saved.config.model} on {source}: R² {scores['r2']:.3f}, "
                f"mean absolute error {scores['mae']:.4g}"
            )
            path = plot.predicted_vs_true(y, predicted, picture, title=title)
        print(f"wrote {path}")
    return 0


def _data(saved: runs.SavedRun, args) -> tuple[np.ndarray, np.ndarray, str]:
    """Raw features, targets (class names, or values) and where they come from."""
    if args.data is None and args.target is not None:
        raise UsageError("--target names the target column of --data; pass --data too")
    if args.data is None:
        config = saved.config
        if config.data not in BUILTIN_DATA and not Path(config.data).exists():
            where = (  # a run trained before config.toml kept the path absolute
                ": no such file or folder"
                if Path(config.data).is_absolute()
                else f", a path relative to where it was trained: not in {Path.cwd()}"
            )
            raise UsageError(f"{saved.folder} was trained on {config.data}{where}; pass --data")
        found = data.load(config.data, config.target, config.task)
        splits = data.holdout(found, config.val_fraction, config.test_fraction, config.seed)
        if splits.X_test is None:
            raise UsageError(
                f"{saved.folder} was trained with --test-fraction 0: no test split; pass --data"
            )
        part = "test split" if found.test is None else "test part"  # MNIST's t10k files
        return splits.X_test, _named(splits.y_test, found), f"the {part} of {found.name}"
    found = data.load(args.data, args.target, saved.task)
    X, y, source = found.X, found.y, found.name
    if found.test is not None:  # a standard MNIST folder: its t10k files
        (X, y), source = found.test, f"the test part of {found.name}"
    saved.features(X[:1])  # the feature count, before any work
    if X.ndim == 2:  # columns by name, as descend predict reads them
        with warnings_as_lines():
            columns = match_features(found.feature_names, saved.feature_names, args.data)
        if columns != list(range(X.shape[1])):  # (a memory-mapped X is left on disk)
            X = X[:, columns]
    y = _named(y, found)
    if saved.task == "classify":
        saved.class_indices(found.class_names, args.data)  # every class known to the run
    return X, y, source


def _named(y: np.ndarray, found: data.LoadedData) -> np.ndarray:
    """A data set's class codes as class names (the run matches them by name); values
    as they are."""
    return y if found.task != "classify" else np.asarray(found.class_names)[y]


def format_confusion(matrix: np.ndarray, names: list[str]) -> str:
    width = max(5, *(len(n) for n in names), len(str(matrix.max()))) + 1
    lines = [" " * width + "".join(f"{n:>{width}s}" for n in names)]
    for name, row in zip(names, matrix):
        lines.append(f"{name:>{width}s}" + "".join(f"{v:>{width}d}" for v in row))
    return "\n".join(lines)
