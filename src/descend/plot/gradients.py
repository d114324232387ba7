"""The health of the learning signal: gradient norms, weight norms and update sizes per layer."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from descend.plot._figure import new_figure, save
from descend.plot.curves import as_history

_PANELS = (
    ("grad_norm", "gradient L2 norm", "Gradient norm per tensor"),
    ("update_ratio", "||update|| / ||weights||", "Update-to-weight ratio"),
    ("weight_norm", "weight L2 norm", "Weight norm per tensor"),
)


def gradients(history, path: str | os.PathLike, title: str | None = None) -> Path:
    """Draw what a :class:`~descend.train.GradientMonitor` recorded; write a PNG.

    Three panels on log scales, one line per parameter tensor coloured by depth (dark:
    the first layer, light: the last): the gradient's L2 norm, the update-to-weight
    ratio of the optimizer's step (a grey band marks the usual healthy 1e-4 to 1e-2),
    and the weights' L2 norm. Weights are solid lines, biases dashed; the legend names
    each tensor by its layer as a learner counts them (``Linear 1 (0.weight)``). A point
    a log axis cannot show (no gradient, no ratio while the weights are all zero, or 0)
    is a cross at the foot of its panel, never dropped in silence. Vanishing gradients
    show as the first layers' lines lying orders of magnitude below the last's; the
    monitor's warnings are printed under the panels.

    Parameters
    ----------
    history : History or dict
        A History (or its ``to_dict()``) of a run trained with a GradientMonitor.
    path : str or PathLike
    title : str, optional

    Examples
    --------
    >>> X, y = ds.data.load_iris()
    >>> model = ds.models.MLP([4, 16, 3])
    >>> trainer = ds.Trainer(model, nn.CrossEntropyLoss(), ds.optim.Adam(model.parameters()),
    ...                      callbacks=[ds.GradientMonitor()], verbose=0)
    >>> ds.plot.gradients(trainer.fit(X, y, epochs=5), "gradients.png")
    PosixPath('gradients.png')
    """
    return save(gradients_figure(history, title=title), path)


def gradients_figure(history, title: str | None = None) -> Figure:
    """The figure of :func:`gradients`, not yet saved (to inspect or edit)."""
    records = as_history(history).gradients
    if not records:
        raise ValueError(
            "the history has no gradient records: train with a GradientMonitor callback"
        )
    by_epoch = records.every == "epoch" and _one_per_epoch(records.epochs)
    x = np.asarray(records.epochs if by_epoch else records.steps, dtype=float)
    xlabel = "epoch (its first update)" if by_epoch else "update (step)"
    names = records.tensors
    colours = _depth_colours(names)
    warnings = records.warnings

    figure = new_figure(16, 5.2 + 0.22 * min(len(warnings), 6))
    axes = figure.subplots(1, 3)
    for ax, (quantity, ylabel, panel_title) in zip(axes, _PANELS):
        missing = []  # (x, colour, NaN or not) of the points a log axis cannot show
        for name in names:
            values = np.asarray(records.values(quantity).get(name, []), dtype=float)
            shown = np.where(values > 0, values, np.nan)  # a log axis has no zero
            bias = name.endswith("bias")
            ax.plot(
                x[: len(shown)],
                shown,
                color=colours[name],
                lw=1.3 if bias else 2,
                ls="--" if bias else "-",
                marker="o" if len(x) <= 30 else None,
                ms=3,
                label=records.label(name),
            )
            missing += [
                (x[i], colours[name], np.isnan(values[i])) for i in np.flatnonzero(~(values > 0))
            ]
        if quantity == "update_ratio":
            ax.axhspan(1e-4, 1e-2, color="#999999", alpha=0.15, lw=0, label="usual 1e-4 to 1e-2")
        ax.set_yscale("log")
        if missing:
            _mark_missing(ax, missing, _MISSING[quantity])
        pad = max(0.05 * (x.max() - x.min()), 0.5)  # the same span in every panel
        ax.set_xlim(x.min() - pad, x.max() + pad)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(panel_title)
        ax.grid(alpha=0.3, which="both")
        ax.xaxis.get_major_locator().set_params(integer=True, min_n_ticks=1)  # 1 epoch too
    handles, labels = axes[1].get_legend_handles_labels()
    keep = [i for i, label in enumerate(labels) if not label.startswith("_")]
    figure.legend(
        [handles[i] for i in keep],
        [labels[i] for i in keep],
        loc="outside right center",
        fontsize="small",
        title="layer (tensor), first dark",
        title_fontsize="small",
    )
    if warnings:
        # What was found and its numbers; the advice after ';' is in the printed warning.
        shown = [textwrap.shorten(w.split(";")[0], 240, placeholder=" ...") for w in warnings[:6]]
        if len(warnings) > 6:
            shown.append(f"... and {len(warnings) - 6} more warnings")
        figure.text(0.01, 0.01, "\n".join(shown), fontsize="small", color="#CC0000", va="bottom")
        bottom = 0.04 * len(shown) + 0.01
        figure.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))
    figure.suptitle(title or "Gradients per layer", fontsize="large")
    return figure


# What a point missing from each panel means: (when NaN, when 0); a log axis has no 0.
_MISSING = {
    "grad_norm": ("no gradient (frozen or unused tensor)", "gradient 0"),
    "update_ratio": ("no ratio: the weights were all 0 before the update", "0: no update"),
    "weight_norm": ("no weights", "all weights 0"),
}


def _mark_missing(ax, missing: list, meanings: tuple) -> None:
    """A cross at the foot of the panel for each point that has no place on the log axis,
    and what it means."""
    foot = ax.get_xaxis_transform()  # x in data, y in axes fraction
    xs, colours, nan = zip(*missing)
    ax.scatter(xs, [0.03] * len(xs), transform=foot, marker="x", c=colours, s=36, lw=1.5,
               zorder=3, label="_missing")  # fmt: skip
    said = [meanings[0]] * any(nan) + [meanings[1]] * (not all(nan))
    ax.text(0.99, 0.07, "× " + "; ".join(said), transform=ax.transAxes, ha="right",
            va="bottom", fontsize="small", color="#444444")  # fmt: skip


def _one_per_epoch(epochs: list) -> bool:
    return len(set(epochs)) == len(epochs)


def _depth_colours(names: list) -> dict:
    """A colour per tensor from dark (first layer) to light (last), by the layer it is in."""
    layers = list(dict.fromkeys(name.rpartition(".")[0] or name for name in names))
    cmap = colormaps["viridis"]
    steps = np.linspace(0.0, 0.85, len(layers)) if len(layers) > 1 else [0.0]
    of_layer = {layer: cmap(v) for layer, v in zip(layers, steps)}
    return {name: of_layer[name.rpartition(".")[0] or name] for name in names}
