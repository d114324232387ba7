"""``descend export``: a trained run as an ONNX file, scaler included."""

from __future__ import annotations

import argparse
from pathlib import Path

from descend import runs
from descend.cli.common import UsageError, check_output_file, warn_if_diverged

DESCRIPTION = (
    "Write the run's model as an ONNX file that onnxruntime (or any ONNX runtime) can "
    "serve. It takes raw features, as descend predict reads them from a CSV file (float32, "
    "one row per sample, any number of rows), scales them with the run's scaler, and "
    "gives each class's probability (classifiers; the class names are in the model's "
    "metadata) or the predicted value in the target's units (regressors)."
)
EXAMPLES = """\
examples:
  descend export runs/iris-softmax iris.onnx
  python -c "import onnxruntime as ort; print(ort.InferenceSession('iris.onnx').get_inputs())"
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    parser.add_argument(
        "output", type=Path, metavar="MODEL.onnx", help="the file to write; its folder must exist"
    )
    parser.add_argument("--force", action="store_true", help="replace MODEL.onnx if it exists")
    parser.add_argument(
        "--opset", type=int, default=None, help="ONNX operator set, 13 or later (default 17)"
    )


def run(args: argparse.Namespace) -> int:
    output = args.output
    check_output_file(output, "MODEL.onnx")
    if output.suffix.lower() != ".onnx":
        raise UsageError(f"{output}: ONNX models are written as .onnx; give a name ending in .onnx")
    if output.exists() and not args.force:
        raise UsageError(f"{output} exists; pass --force to replace it, or choose another name")
    saved = runs.load_run(args.run_dir)
    warn_if_diverged(saved)
    try:
        path = saved.export(output, opset=args.opset)
    except ImportError as error:
        raise UsageError(str(error)) from None
    if saved.task == "classify":
        classes = saved.class_names
        shown = ", ".join(map(str, classes[:5])) + (", ..." if len(classes) > 5 else "")
        out = f"probabilities of {len(classes)} classes ({shown}; metadata class_names)"
    else:
        out = "predicted values in the target's units (float64)"
    n_features = len(saved.feature_names)
    print(f"wrote {path}: raw features (N, {n_features}) float32 -> {out}")
    return 0
