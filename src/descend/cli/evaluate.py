"""``descend evaluate``: a trained run's metrics on a data set, with a confusion matrix."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from descend import data, metrics, runs
from descend.cli.common import UsageError, format_table

NAME = "evaluate"
HELP = "metrics of a trained run on a data set"
DESCRIPTION = (
    "Compute the loss and metrics of a trained run. Without --data it uses the run's own "
    "test split (the same seed gives the same split); with --data, the whole of that data "
    "set, preprocessed as in training."
)
EXAMPLES = """\
examples:
  descend evaluate runs/digits-mlp                 the run's own test split
  descend evaluate runs/digits-mlp --plot          ... and confusion_matrix.png in the run
  descend evaluate runs/houses-mlp --data new_houses.csv --target price
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    parser.add_argument("--data", help="a built-in set, an MNIST folder or a .csv file")
    parser.add_argument("--target", help="CSV target column (default: the last column)")
    parser.add_argument(
        "--plot",
        action="store_true",
        help="write confusion_matrix.png into the run folder (classifiers)",
    )


def run(args: argparse.Namespace) -> int:
    saved = runs.load_run(args.run_dir)
    X, y, source = _data(saved, args)
    scores = saved.evaluate(X, y)
    print(f"{saved.config.model} from {saved.folder} on {source} ({len(X)} samples)")
    print(format_table({"data": scores}))
    if saved.task == "classify":
        predicted = saved.predict(X)
        labels = np.arange(len(saved.class_names))
        matrix = metrics.confusion_matrix(y.astype(np.int64), predicted, labels=labels)
        print("\nconfusion matrix (rows: true class, columns: predicted class)")
        print(format_confusion(matrix, saved.class_names))
        if args.plot:
            from descend import plot

            path = plot.confusion_matrix(
                matrix, saved.folder / "confusion_matrix.png", labels=saved.class_names
            )
            print(f"wrote {path}")
    elif args.plot:
        raise UsageError("--plot draws a confusion matrix, which needs a classifier")
    return 0


def _data(saved: runs.SavedRun, args) -> tuple[np.ndarray, np.ndarray, str]:
    if args.data is None:
        config = saved.config
        found = data.load(config.data, config.target, config.task)
        splits = data.holdout(found, config.val_fraction, config.test_fraction, config.seed)
        if splits.X_test is None:
            raise UsageError(
                f"{saved.folder} was trained with --test-fraction 0: no test split; pass --data"
            )
        return splits.X_test, splits.y_test, f"the test split of {found.name}"
    found = data.load(args.data, args.target, saved.task)
    if saved.task == "classify" and found.y.max() >= len(saved.class_names):
        raise UsageError(
            f"{args.data} has class {found.y.max()}, the run knows {len(saved.class_names)} classes"
        )
    return found.X, found.y, found.name


def format_confusion(matrix: np.ndarray, names: list[str]) -> str:
    width = max(5, *(len(n) for n in names), len(str(matrix.max()))) + 1
    lines = [" " * width + "".join(f"{n:>{width}s}" for n in names)]
    for name, row in zip(names, matrix):
        lines.append(f"{name:>{width}s}" + "".join(f"{v:>{width}d}" for v in row))
    return "\n".join(lines)
