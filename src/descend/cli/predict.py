"""``descend predict``: a trained run's predictions for the rows of a CSV file."""

from __future__ import annotations

import argparse
import csv
import io as text_io
import sys
from pathlib import Path

import numpy as np

from descend import data, runs
from descend.cli.common import UsageError
from descend.files import write_text

NAME = "predict"
HELP = "predictions of a trained run for new rows"
DESCRIPTION = (
    "Predict for each row of a CSV file (a header, then one row per sample, the feature "
    "columns in training order; a column named like the training target is ignored). "
    "Inputs are standardised with the scaler saved in the run. Classifiers also give each "
    "class's probability."
)
EXAMPLES = """\
examples:
  descend predict runs/iris-softmax new_flowers.csv            to the terminal
  descend predict runs/iris-softmax new_flowers.csv -o out.csv  to a file
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    parser.add_argument("input", type=Path, metavar="INPUT.csv")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="OUT.csv",
        help="write the predictions here (default: print them)",
    )


def run(args: argparse.Namespace) -> int:
    saved = runs.load_run(args.run_dir)
    if not args.input.is_file():
        raise UsageError(f"{args.input}: no such file")
    X, names = data.load_csv_features(args.input)
    X = _feature_columns(X, names, saved)
    columns = ["prediction"]
    rows: list[list] = []
    if saved.task == "classify":
        labels, proba = saved.predict(X), saved.predict_proba(X)
        columns += [f"p_{name}" for name in saved.class_names]
        for label, p in zip(labels, proba):
            rows.append([saved.class_names[label], *(f"{v:.6f}" for v in p)])
    else:
        rows = [[f"{v:.6g}"] for v in saved.predict(X)]
    buffer = text_io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    if args.output is None:
        sys.stdout.write(buffer.getvalue())
    else:
        write_text(args.output, buffer.getvalue())
        print(f"wrote {len(rows)} predictions to {args.output}")
    return 0


def _feature_columns(X: np.ndarray, names: list[str], saved: runs.SavedRun) -> np.ndarray:
    """The training features, by name when the header has them all, else by position."""
    expected = saved.feature_names
    if set(expected) <= set(names) and names != expected:
        return X[:, [names.index(n) for n in expected]]
    if X.shape[1] != len(expected):
        raise UsageError(
            f"expected {len(expected)} features (as in training: "
            f"{_short(expected)}), got {X.shape[1]} columns ({_short(names)})"
        )
    return X


def _short(names: list[str]) -> str:
    return ", ".join(names[:4]) + (f", ... ({len(names)} in all)" if len(names) > 4 else "")
