"""``descend predict``: a trained run's predictions for the rows of a CSV file (or the
samples of an ``.npy`` file)."""

from __future__ import annotations

import argparse
import csv
import io as text_io
import sys
from pathlib import Path

from descend.cli.common import (
    UsageError,
    add_device_option,
    check_output_file,
    open_saved_run,
    warn_if_diverged,
    warnings_as_lines,
)
from descend.data.features import load_features
from descend.files import write_text

DESCRIPTION = (
    "Predict for each row of a CSV file (a header, then one row per sample). Columns are "
    "matched to the training features by name, and others (the target's) are not read; "
    "a file that lacks one of them is refused. A header without any of the names is read "
    "by position (with a warning): the file must then hold the features alone, in "
    "training order. "
    "Inputs are standardised with the scaler saved in the run. Classifiers also give each "
    "class's probability. An .npy file holds samples as the run was trained on them "
    "(rows of features, or images)."
)
EXAMPLES = """\
examples:
  descend predict runs/iris-softmax new_flowers.csv            to the terminal
  descend predict runs/iris-softmax new_flowers.csv -o out.csv  to a file
  descend predict runs/iris-softmax new_flowers.csv -o out.csv --force  replacing it
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    parser.add_argument("input", type=Path, metavar="INPUT.csv|X.npy")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="OUT.csv",
        help="write the predictions here (default: print them); its folder must exist",
    )
    parser.add_argument("--force", action="store_true", help="replace OUT.csv if it exists")
    add_device_option(parser)


def run(args: argparse.Namespace) -> int:
    if args.output is not None:
        check_output_file(args.output, "-o")
        if args.output.exists() and not args.force:
            raise UsageError(
                f"-o {args.output} exists; pass --force to replace it, or choose another name"
            )
    saved = open_saved_run(args)
    warn_if_diverged(saved)
    with warnings_as_lines():
        X = load_features(args.input, saved.feature_names)
    columns = ["prediction"]
    rows: list[list] = []
    if saved.task == "classify":
        names, proba = saved.predict(X), saved.predict_proba(X)
        columns += [f"p_{name}" for name in saved.class_names]
        rows = [[name, *(f"{v:.6f}" for v in p)] for name, p in zip(names, proba)]
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
