"""Learning curves: loss and the main metric against epoch, for one run or several."""

from __future__ import annotations

import math
import os
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from descend.plot._figure import colour, new_figure, save, wide_range
from descend.train.history import History

# The metric drawn beside the loss when none is named: the first of these recorded.
_MAIN_METRICS = ("accuracy", "f1", "r2", "mae", "mse", "precision", "recall")
_NOT_METRICS = {"loss", "lr", "updates", "time", "epoch"}
# Markers on the loss curves of compare_curves: where each run stopped, and why.
_RUN_EVENTS = {
    "converged_epoch": ("o", "converged"),
    "stopped_epoch": ("s", "stopped early"),
    "diverged_epoch": ("X", "diverged (weights restored)"),
}


def as_history(history) -> History:
    """A History from a History or its ``to_dict()``; a TypeError for anything else."""
    if isinstance(history, History):
        return history
    if isinstance(history, dict) and "epoch" in history:
        return History.from_dict(history)
    raise TypeError(
        f"expected a History or the dict of History.to_dict(), got {type(history).__name__}"
    )


def main_metric(history: History, metric: str | None = None) -> str | None:
    """The metric to draw: ``metric`` if given (and recorded), else the first one recorded."""
    recorded = [k for k in history.records if k not in _NOT_METRICS and not k.startswith("val_")]
    if metric is not None:
        if metric not in history.records and f"val_{metric}" not in history.records:
            known = ", ".join(recorded) or "none"
            raise ValueError(f"metric {metric!r} was not recorded; recorded metrics: {known}")
        return metric
    for name in _MAIN_METRICS:
        if name in recorded:
            return name
    return recorded[0] if recorded else None


def step_positions(history: History) -> np.ndarray:
    """The x position (fractional epoch) of every step loss.

    Step ``j`` of ``n`` in epoch ``e`` sits at ``e - 1 + j / n``, so the last step of an
    epoch lines up with that epoch's point; the cumulative ``updates`` of each epoch say
    which steps belong to it.
    """
    n_steps = len(history.step_loss)
    updates = history.records.get("updates")
    if not n_steps or not updates or len(updates) != len(history.epochs):
        return np.arange(1, n_steps + 1, dtype=float) / max(n_steps, 1) * len(history.epochs)
    x = np.empty(n_steps)
    done = 0
    first_step = int(updates[-1]) - n_steps  # steps made before this history began
    for epoch, total in zip(history.epochs, updates):
        end = int(total) - first_step
        count = end - done
        if count > 0:
            x[done:end] = epoch - 1 + np.arange(1, count + 1) / count
        done = end
    return x[:n_steps]


def _kept_epoch(history: History) -> tuple[int | None, str]:
    """The epoch whose weights the model ended with, and the loss to show there.

    The last epoch's, unless early stopping restored an earlier one (``restored_epoch``)
    or the divergence guard went back to the start of the epoch that diverged (then the
    epoch before it; None when that is the untrained start).
    """
    events = history.events
    key = "val_loss" if "val_loss" in history.records else "loss"
    if "restored_epoch" in events:
        return int(events["restored_epoch"]), key
    if "diverged_epoch" in events:
        epoch = int(events["diverged_epoch"]) - 1
        return (epoch if epoch in history.epochs else None), key
    return (history.epochs[-1] if history.epochs else None), key


def _value_at(history: History, key: str, epoch: int) -> float:
    return history.records[key][history.epochs.index(epoch)]


def _mark_events(ax, history: History, steps_x: np.ndarray) -> None:
    """Vertical lines where training stopped early, converged or diverged."""
    events = history.events
    if "stopped_epoch" in events:
        epoch = events["stopped_epoch"]
        ax.axvline(epoch, color="#555555", ls="--", lw=1.2, label=f"early stop (epoch {epoch})")
    if "converged_epoch" in events:
        epoch = events["converged_epoch"]
        ax.axvline(epoch, color="#009E73", ls="-.", lw=1.2, label=f"converged (epoch {epoch})")
    if "diverged_step" in events:
        step = int(events["diverged_step"])
        n_before = (history.records.get("updates") or [len(steps_x)])[-1] - len(steps_x)
        index = step - int(n_before) - 1
        x = steps_x[index] if 0 <= index < len(steps_x) else events.get("diverged_epoch", 0)
        ax.axvline(x, color="#CC0000", ls=":", lw=1.6, label=f"diverged (step {step})")


def _mark_diagnosis(ax, history: History, x: list) -> None:
    """A line at the epoch the diagnosis names (divergence has its own mark)."""
    events = history.events
    kind, epoch = events.get("diagnosis_kind"), events.get("diagnosis_epoch")
    if kind is None or epoch not in history.epochs or "diverged_step" in events:
        return
    said = " from" if kind in ("over-fitting", "diverged") else ": levelled off at"
    label = f"{kind}{said} epoch {epoch}"
    ax.axvline(x[history.epochs.index(epoch)], color="#CC79A7", ls=(0, (6, 2)), lw=1.8, label=label)


def within_one_epoch(history: History) -> bool:
    """Whether the run ended inside its first epoch (diverged, say): then its pictures
    count updates along the x axis, not a fraction of one epoch."""
    per_epoch = history.plan.get("updates_per_epoch")
    updates = history.records.get("updates") or [math.inf]
    return history.epochs == [1] and per_epoch is not None and updates[-1] < per_epoch


def _draw_pair(ax, history: History, key: str, label: str, color: str, x=None) -> None:
    """Training values as a solid line, validation values as a dashed one."""
    x = history.epochs if x is None else x
    marker = "o" if len(x) <= 30 else None
    if key in history.records:
        ax.plot(
            x,
            history.records[key],
            color=color,
            lw=2,
            marker=marker,
            ms=3.5,
            label=f"train {label}",
        )
    if f"val_{key}" in history.records:
        ax.plot(
            x,
            history.records[f"val_{key}"],
            color="#D55E00",
            lw=2,
            ls="--",
            marker=marker,
            ms=3.5,
            label=f"validation {label}",
        )


def _finish_axis(ax, values, ylabel: str, title: str, xlabel: str = "epoch") -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if wide_range(values):
        ax.set_yscale("log")
    ax.xaxis.get_major_locator().set_params(integer=True, min_n_ticks=1)  # 1 epoch too
    ax.legend(fontsize="small", framealpha=0.9)


def learning_curves(
    history,
    path: str | os.PathLike,
    metric: str | None = None,
    show_steps: bool = True,
    title: str | None = None,
) -> Path:
    """Draw loss and the main metric, train and validation, against epoch; write a PNG.

    A star marks the epoch whose weights the model kept: the last, or the best one that
    early stopping restored, or the last good one before a divergence. Also marked
    are the epochs where training stopped early, converged or diverged, and the epoch
    the history's diagnosis names (its ``diagnosis:`` line is printed below). With
    ``show_steps`` the loss of every update is drawn as a faint line at its fractional
    epoch: the noise of stochastic and mini-batch gradient descent made visible.

    Parameters
    ----------
    history : History or dict
        What ``Trainer.fit`` returned, or its ``to_dict()`` (e.g. read from JSON).
    path : str or PathLike
        Where to write the PNG (written atomically).
    metric : str, optional
        The metric for the second panel (default: accuracy, f1, r2, mae, ... whichever
        was recorded first). No second panel when no metric was recorded.
    show_steps : bool
    title : str, optional
        Default: "Learning curves" and the run's plan (samples, batch size, updates).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> _ = ds.manual_seed(0)
    >>> X, y = ds.data.load_iris()
    >>> X = ds.data.StandardScaler().fit_transform(X)
    >>> model = ds.models.SoftmaxRegression(4, 3)
    >>> trainer = ds.Trainer(model, ds.nn.CrossEntropyLoss(),
    ...                      ds.optim.SGD(model.parameters(), lr=0.1), verbose=0)
    >>> history = trainer.fit(X, y, epochs=20, batch_size=16, val=(X[::5], y[::5]))
    >>> ds.plot.learning_curves(history, "curves.png")
    PosixPath('curves.png')
    """
    return save(
        learning_curves_figure(history, metric=metric, show_steps=show_steps, title=title), path
    )


def learning_curves_figure(
    history,
    metric: str | None = None,
    show_steps: bool = True,
    title: str | None = None,
) -> Figure:
    """The figure of :func:`learning_curves`, not yet saved (to inspect or edit)."""
    history = as_history(history)
    if not history.epochs or "loss" not in history.records:
        raise ValueError("the history is empty: train for at least one epoch before plotting it")
    name = main_metric(history, metric)
    figure = new_figure(12 if name else 7, 4.8)
    axes = figure.subplots(1, 2 if name else 1, squeeze=False)[0]

    ax = axes[0]
    loss_values = list(history.records["loss"]) + list(history.records.get("val_loss", []))
    x, xlabel = history.epochs, "epoch"
    steps_x = step_positions(history)
    if within_one_epoch(history):  # the epoch's point sits at its last update
        x = [int(u) for u in history.records["updates"]]
        steps_x = np.arange(x[0] - len(history.step_loss), x[0]) + 1.0
        xlabel = (
            f"update (the run ended in epoch 1, after {x[0]} of its "
            f"{history.plan['updates_per_epoch']} updates)"
        )
    if show_steps and len(history.step_loss) > len(history.epochs):
        ax.plot(
            steps_x,
            history.step_loss,
            color="#0072B2",
            lw=0.7,
            alpha=0.3,
            marker="o" if len(steps_x) <= 30 else None,
            ms=3,
            label="loss of each update",
        )
        loss_values += list(history.step_loss)
    _draw_pair(ax, history, "loss", "loss", "#0072B2", x)
    kept, key = _kept_epoch(history)
    if kept is not None:
        value = _value_at(history, key, kept)
        ax.plot(
            x[history.epochs.index(kept)],
            value,
            marker="*",
            ms=16,
            color="#E69F00",
            mec="black",
            ls="",
            zorder=5,
            label=f"weights kept: epoch {kept} ({key} {value:.4g})",
        )
    elif "diverged_epoch" in history.events:
        ax.plot([], [], " ", label="weights kept: the untrained start")
    _mark_events(ax, history, steps_x)
    _mark_diagnosis(ax, history, x)
    _finish_axis(ax, loss_values, "loss", "Loss", xlabel)

    if name:
        ax = axes[1]
        _draw_pair(ax, history, name, name, "#0072B2", x)
        values = list(history.records.get(name, [])) + list(history.records.get(f"val_{name}", []))
        if kept is not None:
            ax.axvline(
                x[history.epochs.index(kept)],
                color="#E69F00",
                lw=1.2,
                ls="--",
                label=f"weights kept: epoch {kept}",
            )
        _finish_axis(ax, values, name, name.replace("_", " ").capitalize(), xlabel)
        if x is not history.epochs:  # by update: the span of the loss panel
            ax.set_xlim(axes[0].get_xlim())

    figure.suptitle(title or _default_title(history), fontsize="large")
    if "diagnosis" in history.events:
        lines = textwrap.wrap(history.events["diagnosis"], 150 if name else 90)
        figure.text(0.01, 0.01, "\n".join(lines), fontsize="small", va="bottom")
        bottom = 0.035 * len(lines) + 0.01
        figure.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))
    return figure


def _default_title(history: History) -> str:
    plan = history.plan
    if not plan:
        return "Learning curves"
    n, batch, per_epoch = (
        plan.get("n_samples"),
        plan.get("batch_size"),
        plan.get("updates_per_epoch"),
    )
    strategy = "full batch" if n and batch and batch >= n else f"batch {batch}"
    return f"Learning curves: {n} samples, {strategy}, {per_epoch} updates per epoch"


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
    figure = new_figure(12 if name else 7, 4.8)
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
    _finish_axis(axes[0], loss_values, "loss", "Loss (solid: train, dashed: validation)")
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
        _finish_axis(axes[1], metric_values, name, title_)
        _set_limits(axes[1], metric_values)
    figure.suptitle(title or f"Comparing {len(histories)} runs", fontsize="large")
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
