"""Drawing a learning-rate range test: loss against learning rate, log axis, suggestion marked."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from descend.lr_finder import LRFinderResult
from descend.plot._figure import new_figure, save


def lr_find(result: LRFinderResult, path: str | os.PathLike, title: str | None = None) -> Path:
    """Draw the loss of a range test against the learning rate (log scale); write a PNG.

    The raw loss of each update is a faint line, the smoothed loss a solid one; the
    suggested learning rate (steepest descent of the smoothed loss) is marked, as is
    the learning rate of the lowest loss.

    Examples
    --------
    >>> X, y = ds.data.load_iris()
    >>> model = nn.Linear(4, 3)
    >>> optimizer = ds.optim.SGD(model.parameters(), lr=1e-3)
    >>> result = ds.lr_find(model, nn.CrossEntropyLoss(), optimizer, (X, y), seed=0)
    >>> ds.plot.lr_find(result, "lr_find.png").name
    'lr_find.png'
    """
    return save(lr_find_figure(result, title=title), path)


def lr_find_figure(result: LRFinderResult, title: str | None = None) -> Figure:
    """The figure of :func:`lr_find`, not yet saved (to inspect or edit)."""
    if not isinstance(result, LRFinderResult):
        raise TypeError(f"expected the result of ds.lr_find(...), got {type(result).__name__}")
    if len(result.lrs) == 0:
        raise ValueError("the range test recorded no update: nothing to draw")
    figure = new_figure(9, 5.5)
    ax = figure.subplots()
    finite = np.isfinite(result.losses)
    ax.plot(
        result.lrs,
        result.raw_losses,
        color="#0072B2",
        lw=0.8,
        alpha=0.35,
        label="loss of each update",
    )
    ax.plot(result.lrs, result.losses, color="#0072B2", lw=2.2, label="smoothed loss")
    best = result.best_lr
    ax.axvline(best, color="#555555", ls=":", lw=1.3, label=f"lowest loss at lr = {best:.3g}")
    if result.suggestion is not None:
        i = int(np.argmin(np.abs(result.lrs - result.suggestion)))
        ax.plot(
            result.suggestion,
            result.losses[i],
            marker="o",
            ms=11,
            color="#D55E00",
            mec="black",
            ls="",
            zorder=5,
            label=f"suggested lr = {result.suggestion:.3g} (steepest descent)",
        )
        ax.axvline(result.suggestion, color="#D55E00", ls="--", lw=1.3)
    ax.set_xscale("log")
    # Keep the explosion at the end from flattening the interesting part of the curve.
    if finite.any():
        lowest = int(np.nanargmin(np.where(finite, result.losses, np.nan)))
        raw = result.raw_losses[: lowest + 1]
        low = float(
            min(np.min(result.losses[finite]), np.min(raw[np.isfinite(raw)], initial=np.inf))
        )
        first = float(result.losses[finite][0])
        top = max(first, low) + 0.6 * abs(max(first, low) - low) + 1e-12
        ax.set_ylim(low - 0.1 * (top - low), top)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    ax.grid(alpha=0.3)
    stop = "stopped when the loss exploded" if result.stopped_early else "full range"
    ax.set_title(title or f"Learning-rate range test: {len(result.lrs)} updates, {stop}")
    ax.legend(fontsize="small", framealpha=0.92)
    return figure
