"""Pictures of a regressor: its predictions against the true values."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from descend.plot._figure import PALETTE, new_figure, save


def predicted_vs_true(
    y_true,
    y_pred,
    path: str | os.PathLike,
    title: str | None = None,
) -> Path:
    """Draw each sample's prediction against its true value, with the line y = x.

    A perfect regressor puts every point on the diagonal; points above it are
    over-estimates, below it under-estimates.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (N,)
        True and predicted values, in the same units.
    path : str or PathLike
    title : str, optional
        Default: "Predicted against true" with R^2 and the mean absolute error.

    Examples
    --------
    >>> y_true = np.array([1.0, 2.0, 3.0, 4.0])
    >>> ds.plot.predicted_vs_true(y_true, y_true + [0.2, -0.1, 0.3, -0.2], "predictions.png")
    PosixPath('predictions.png')
    """
    return save(predicted_vs_true_figure(y_true, y_pred, title=title), path)


def predicted_vs_true_figure(y_true, y_pred, title: str | None = None) -> Figure:
    """The figure of :func:`predicted_vs_true`, not yet saved (to inspect or edit)."""
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(
            f"expected as many predictions as true values, got {y_pred.size} and {y_true.size}"
        )
    if not (np.isfinite(y_true).all() and np.isfinite(y_pred).all()):
        raise ValueError("predicted and true values must be finite numbers")
    figure = new_figure(6, 5.6)
    ax = figure.subplots()
    low = min(y_true.min(), y_pred.min())
    high = max(y_true.max(), y_pred.max())
    pad = 0.04 * (high - low or 1.0)
    ax.plot([low - pad, high + pad], [low - pad, high + pad], color="#555555", lw=1.2, ls="--",
            label="prediction = true value")  # fmt: skip
    alpha = 0.8 if y_true.size <= 500 else 0.35
    ax.scatter(y_true, y_pred, s=18, color=PALETTE[0], alpha=alpha, edgecolors="none",
               label=f"{y_true.size} samples")  # fmt: skip
    ax.set_xlim(low - pad, high + pad)
    ax.set_ylim(low - pad, high + pad)
    ax.set_aspect("equal")
    ax.set_xlabel("true value")
    ax.set_ylabel("predicted value")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="upper left")
    if title is None:
        residual = ((y_true - y_pred) ** 2).sum()
        spread = ((y_true - y_true.mean()) ** 2).sum()
        r2 = 1 - residual / spread if spread > 0 else float("nan")
        mae = np.abs(y_true - y_pred).mean()
        title = f"Predicted against true (R² {r2:.3f}, mean absolute error {mae:.4g})"
    ax.set_title(title)
    return figure
