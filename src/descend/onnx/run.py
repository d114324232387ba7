"""A trained run as one computation: raw features in, what ``descend predict`` gives out.

``SavedRun`` scales raw features, shapes them for the model, runs it and turns its
output into class probabilities or values in the target's units. ``served`` writes
the same steps with tensor ops, so tracing them exports the whole pipeline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from descend.nn import functional as F
from descend.nn.loss import BCELoss, task_of
from descend.nn.module import Module
from descend.onnx.trace import ExportError
from descend.tensor import shape_ops
from descend.tensor.tensor import Tensor, get_default_dtype


@dataclass
class Served:
    """What ``to_model`` traces for a run: the model, an example, the pipeline around
    the model, names for the constants it reads, and the metadata to store."""

    model: Module
    example: np.ndarray
    forward: object
    arrays: dict
    metadata: dict


def served(run) -> Served:
    """The prediction pipeline of ``run`` (a folder or a ``SavedRun``)."""
    if isinstance(run, str | Path):
        from descend.runs import load_run

        run = load_run(run)
    dtype = get_default_dtype()
    arrays = {}
    scale = _scaler(run.scaler, "scaler", dtype, arrays)
    unscale = _scaler(run.target_scaler, "target_scaler", np.dtype(np.float64), arrays)
    # As SavedRun.inputs: LeNet takes images, every other model flat features.
    images = run.config.model == "lenet"
    task = task_of(run.loss)
    if run.task == "classify" and task == "regression":
        raise ExportError(f"{run.folder}: a classifier whose loss gives no class probabilities")

    def forward(x: Tensor) -> Tensor:
        x = scale(x)
        if images:
            x = shape_ops.reshape(x, (x.shape[0], *run.input_shape))
        out = run.model(x)
        if task == "multiclass":
            return F.softmax(out, dim=1)
        if task == "binary":
            p = shape_ops.reshape(out, (out.shape[0], -1))[:, 0:1]
            if not isinstance(run.loss, BCELoss):  # logits, as BCEWithLogitsLoss takes
                p = p.sigmoid()
            return shape_ops.concat([1 - p, p], axis=1)
        values = shape_ops.reshape(out, (out.shape[0], -1))[:, 0].to(np.float64)
        return unscale(values)

    n_features = int(np.prod(run.input_shape))
    metadata = {
        "task": run.task,
        "feature_names": json.dumps(list(run.feature_names)),
        "output": "class probabilities (N, C)" if run.task == "classify" else "values (N,)",
    }
    if run.class_names is not None:
        metadata["class_names"] = json.dumps([str(name) for name in run.class_names])
    example = np.zeros((3, n_features), dtype=dtype)
    return Served(run.model, example, forward, arrays, metadata)


def _scaler(scaler, name: str, dtype, arrays: dict):
    """``x -> (x - mean) / scale`` (features) or its inverse (targets), as StandardScaler
    computes them, with the statistics in ``dtype`` and named in ``arrays``."""
    if scaler is None:
        return lambda x: x
    mean = scaler.mean_.astype(dtype).reshape(-1)
    std = scaler.scale_.astype(dtype).reshape(-1)
    arrays[f"{name}.mean_"], arrays[f"{name}.scale_"] = mean, std
    with_mean, with_std = scaler.with_mean, scaler.with_std
    if name == "target_scaler":
        mean, std = mean[:1].reshape(()), std[:1].reshape(())  # one target, 0-d arrays
        arrays[f"{name}.mean_"], arrays[f"{name}.scale_"] = mean, std

        def inverse(values):
            values = values * std if with_std else values
            return values + mean if with_mean else values

        return inverse

    def transform(x):
        x = x - mean if with_mean else x
        return x / std if with_std else x

    return transform
