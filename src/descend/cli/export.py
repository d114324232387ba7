"""``descend export``: a trained run as an ONNX file, scaler included."""

from __future__ import annotations

import argparse
from pathlib import Path

from descend import runs
from descend.cli.common import UsageError

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
    parser.add_argument("output", type=Path, metavar="MODEL.onnx")
    parser.add_argument(
        "--opset", type=int, default=None, help="ONNX operator set, 13 or later (default 17)"
    )


def run(args: argparse.Namespace) -> int:
    from descend import onnx  # imports without the onnx package; exporting needs it

    saved = runs.load_run(args.run_dir)
    try:
        path = onnx.export_run(saved, args.output, opset=args.opset)
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
