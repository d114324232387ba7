"""Several runs' learning curves in one picture: one colour per run, where each one
converged, stopped early or diverged marked on its loss curve."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from descend.plot._figure import colour, new_figure, place_panels, save
from descend.plot.curves import as_history, finish_axis, main_metric
from descend.train.history import History

# Markers on the loss curves of compare_curves: where each run stopped, and why.
_RUN_EVENTS = {
    "converged_epoch": ("o", "converged"),
    "stopped_epoch": ("s", "stopped early"),
    "diverged_epoch": ("X", "diverged (weights restored)"),
}


def compare_curves(
    runs: dict,
    path: str | os.PathLike,
    metric: str | None = None,
    title: str | None = None,
) -> Path:
    """Overlay the learning curves of several runs (one colour each) in one PNG.

    Left: loss against epoch (training solid, validation dashed). Right: the main
    metric (validation when recorded, else training), when one was recorded.

    Parameters
    ----------
    runs : dict of str to History (or its ``to_dict()``)
        One entry per setting, e.g. ``{"sgd": h1, "adam": h2}``; the key is the label.
    path : str or PathLike
    metric : str, optional
    title : str, optional

    Examples
    --------
    >>> X, y = ds.data.load_iris()
    >>> X = ds.data.StandardScaler().fit_transform(X)
    >>> def history(lr):
    ...     model = ds.models.SoftmaxRegression(4, 3)
    ...     trainer = ds.Trainer(model, ds.nn.CrossEntropyLoss(),
    ...                          ds.optim.SGD(model.parameters(), lr=lr), verbose=0)
    ...     return trainer.fit(X, y, epochs=10, batch_size=16, val=(X[::5], y[::5]))
    >>> ds.plot.compare_curves({"lr=0.01": history(0.01), "lr=0.1": history(0.1)},
    ...                        "compare.png")
    PosixPath('compare.png')
    """
    return save(compare_curves_figure(runs, metric=metric, title=title), path)


def compare_curves_figure(
    runs: dict,
    metric: str | None = None,
    title: str | None = None,
) -> Figure:
    """The figure of :func:`compare_curves`, not yet saved (to inspect or edit)."""
    if not runs:
        raise ValueError("compare_curves needs at least one run")
    histories = {label: as_history(h) for label, h in runs.items()}
    name = metric or main_metric(next(iter(histories.values())))
    figure = new_figure(12 if name else 7, 4.8, constrained=False)
    axes = figure.subplots(1, 2 if name else 1, squeeze=False)[0]
    loss_values, metric_values = [], []
    metric_key, seen = name, set()
    # A diverged run's loss can be 1e11: the scale follows the others, and a diverged
    # run's marker sits at the top edge when its loss is off the scale.
    calm = [h for h in histories.values() if "diverged_epoch" not in h.events] or list(
        histories.values()
    )
    for i, (label, history) in enumerate(histories.items()):
        c, x = colour(i), history.epochs
        marker = "o" if len(x) <= 30 else None
        axes[0].plot(x, history.records["loss"], color=c, lw=2, marker=marker, ms=3, label=label)
        if "val_loss" in history.records:
            axes[0].plot(x, history.records["val_loss"], color=c, lw=1.5, ls="--")
        if history in calm:
            loss_values += list(history.records["loss"]) + list(history.records.get("val_loss", []))
        if name:
            metric_key = f"val_{name}" if f"val_{name}" in history.records else name
            if metric_key in history.records:
                values = history.records[metric_key]
                axes[1].plot(x, values, color=c, lw=2, marker=marker, ms=3, label=label)
                metric_values += list(values) if history in calm else []
        for event in _RUN_EVENTS:
            if event in history.events and history.events[event] in x:
                seen.add(event)
    finish_axis(axes[0], loss_values, "loss", "Loss (solid: train, dashed: validation)")
    _set_limits(axes[0], loss_values)
    for i, history in enumerate(histories.values()):
        _mark_run_events(axes[0], history, colour(i))
    for event in seen:  # one legend entry per kind of marker
        style, words = _RUN_EVENTS[event]
        axes[0].plot([], [], marker=style, ms=8, color="#bbbbbb", mec="black", ls="", label=words)
    axes[0].legend(fontsize="small", framealpha=0.9)
    if name:
        which = "validation" if metric_key.startswith("val_") else "train"
        title_ = f"{name.replace('_', ' ').capitalize()} ({which})"
        finish_axis(axes[1], metric_values, name, title_)
        _set_limits(axes[1], metric_values)
    figure.suptitle(title or f"Comparing {len(histories)} runs", fontsize="large")
    place_panels(figure)
    return figure


def _set_limits(ax, values) -> None:
    """Limits that show ``values`` (the runs that did not diverge) with a margin."""
    finite = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    if finite.size == 0:
        return
    low, high = finite.min(), finite.max()
    if ax.get_yscale() == "log":
        ax.set_ylim(low / 1.5, high * 1.5)
    else:
        pad = 0.05 * (high - low) or 0.05 * abs(high) or 0.05
        ax.set_ylim(low - pad, high + pad)


def _mark_run_events(ax, history: History, color: str) -> None:
    """Where a run converged, stopped early or diverged; kept inside the axes."""
    top = ax.get_ylim()[1]
    for event, (style, _) in _RUN_EVENTS.items():
        epoch = history.events.get(event)
        if epoch is None or epoch not in history.epochs:
            continue
        value = history.records["loss"][history.epochs.index(epoch)]
        off_scale = not np.isfinite(value) or value > top
        ax.plot(
            epoch,
            top if off_scale else value,
            marker=style,
            ms=9,
            color=color,
            mec="black",
            ls="",
            zorder=5,
            clip_on=False,
        )
        if off_scale:
            ax.annotate(
                f"loss {value:.2g}",
                (epoch, top),
                textcoords="offset points",
                xytext=(8, -12),
                fontsize="small",
                color=color,
            )
