"""Drawing a Landscape: the cost as a filled contour with the runs' paths, and a 1-D slice."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib import patheffects
from matplotlib.figure import Figure

from descend.plot._figure import colour, new_figure, save
from descend.plot.landscape import Landscape

_TITLES = {
    "strategies": "batch, mini-batch and stochastic gradient descent",
    "optimizers": "optimizers from one start",
    "lr": "a learning rate too small, good, too large",
}
_MODELS = {
    "linear": "linear regression  y = w0 + w1·x",
    "logistic": "logistic regression  logit = w0·x1 + w1·x2",
}
_MARKERS = ("o", "s", "^", "D", "v", "P")
_OUTLINE = [patheffects.withStroke(linewidth=3.5, foreground="white")]


def loss_landscape(landscape: Landscape, path: str | os.PathLike, title: str | None = None) -> Path:
    """Draw a :class:`Landscape` (from ``compute_landscape``) and write a PNG.

    Left: the cost over the two weights as a filled contour, the minimum, the common
    start with the downhill direction (minus the gradient, by autodiff), and the path of
    every run, labelled with its updates and final cost. A run that diverges is drawn
    until it leaves the window, and its legend entry says so. Right: the cost against
    ``w1`` alone (``w0`` held at its start value) with the tangent at the start, whose
    slope is the partial derivative ``dJ/dw1``.

    Examples
    --------
    >>> land = ds.plot.compute_landscape("linear", compare="lr")
    >>> ds.plot.loss_landscape(land, "landscape.png")
    """
    return save(loss_landscape_figure(landscape, title=title), path)


def loss_landscape_figure(landscape: Landscape, title: str | None = None) -> Figure:
    """The figure of :func:`loss_landscape`, not yet saved (to inspect or edit)."""
    if not isinstance(landscape, Landscape):
        raise TypeError(
            f"expected a Landscape from compute_landscape(...), got {type(landscape).__name__}"
        )
    figure = new_figure(15, 7)
    grid = figure.add_gridspec(1, 2, width_ratios=[1.65, 1])
    _draw_contour(figure, figure.add_subplot(grid[0]), landscape)
    _draw_slice(figure.add_subplot(grid[1]), landscape)
    epochs = landscape.runs[0].settings["epochs"] if landscape.runs else 0
    figure.suptitle(
        title
        or f"Loss landscape of {_MODELS[landscape.model]}: {_TITLES[landscape.compare]} "
        f"({len(landscape.X)} samples, {epochs} epochs each)",
        fontsize="x-large",
    )
    return figure


def _levels(cost: np.ndarray) -> np.ndarray:
    # Quadratic spacing: contour lines of a bowl come out evenly spaced in distance.
    low, high = float(cost.min()), float(cost.max())
    return low + (high - low) * np.linspace(0, 1, 26) ** 2


def _draw_contour(figure, ax, land: Landscape) -> None:
    G0, G1 = np.meshgrid(land.w0, land.w1)
    levels = _levels(land.cost)
    # A grey bowl, so that every coloured path stands out on it.
    filled = ax.contourf(G0, G1, land.cost, levels=levels, cmap="Greys", alpha=0.5)
    ax.contour(G0, G1, land.cost, levels=levels, colors="#707070", linewidths=0.5, alpha=0.7)
    figure.colorbar(filled, ax=ax, label=f"cost J ({land.loss_name})", format="%.3g")
    window = (land.w0[0], land.w0[-1], land.w1[0], land.w1[-1])
    for i, run in enumerate(land.runs):
        _draw_run(ax, run, colour(i), window, i)
    method = "least squares" if land.model == "linear" else "Newton's method"
    ax.plot(
        *land.minimum,
        marker="*",
        ms=20,
        color="white",
        mec="black",
        mew=1.2,
        ls="",
        zorder=6,
        label=f"minimum ({method}): ({land.minimum[0]:.2f}, {land.minimum[1]:.2f})",
    )
    ax.plot(
        *land.start,
        marker="o",
        ms=10,
        color="black",
        mec="white",
        mew=1.5,
        ls="",
        zorder=6,
        label=f"start ({land.start[0]:g}, {land.start[1]:g}), cost {land.start_cost:.3g}",
    )
    _draw_downhill(ax, land)
    ax.set_xlim(land.w0[0], land.w0[-1])
    ax.set_ylim(land.w1[0], land.w1[-1])
    ax.set_xlabel(land.weight_names[0])
    ax.set_ylabel(land.weight_names[1])
    ax.set_title("The cost over both weights, and each run's path")
    ax.legend(
        fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=2, framealpha=0.92
    )


def _draw_run(ax, run, color, window, style: int) -> None:
    w = run.weights
    many = len(w) > 80
    if run.diverged:
        # Drawn up to the first point outside the window: the line runs off the edge.
        outside = _first_outside(w, window)
        text = (
            f"{run.label}: diverges, cost {run.costs[0]:.3g} → {run.costs[-1]:.2g}\n"
            f"in {run.updates} updates (cut where it leaves the plot)"
        )
        end, w = w[max(outside - 1, 0)], w[: outside + 1]
    else:
        text = f"{run.label}: {run.updates} updates, final cost {run.costs[-1]:.4g}"
        end = w[-1]
    # Each path drawn on top of the previous ones and thinner than them: where paths
    # coincide (AdaGrad, RMSProp and Adam all start along the diagonal) they show as
    # nested stripes of their colours instead of hiding one another.
    width = 1.2 if many else max(4.2 - 0.55 * style, 1.2)
    ax.plot(
        w[:, 0],
        w[:, 1],
        color=color,
        lw=width,
        marker=None if many else _MARKERS[style % 6],
        ms=5,
        mec="black",
        mew=0.5,
        markevery=max(len(w) // 25, 1),
        zorder=3 - 0.01 * style if many else 4 + 0.01 * style,  # noisy paths underneath
        label=text,
    )
    ax.plot(
        *end, marker="X" if run.diverged else "s", ms=10, color=color, mec="black", ls="", zorder=5
    )
    if run.diverged or run.settings.get("role") == "too large":  # number the jumps in order
        for k, point in enumerate(w[1:8], start=1):
            ax.annotate(
                str(k),
                point,
                textcoords="offset points",
                xytext=(6, 4),
                fontsize=9,
                fontweight="bold",
                color=color,
                path_effects=_OUTLINE,
                zorder=6,
                annotation_clip=True,
            )


def _first_outside(w: np.ndarray, window) -> int:
    x0, x1, y0, y1 = window
    inside = (w[:, 0] >= x0) & (w[:, 0] <= x1) & (w[:, 1] >= y0) & (w[:, 1] <= y1)
    return int(np.argmin(inside)) if not inside.all() else len(w) - 1


def _draw_downhill(ax, land: Landscape) -> None:
    """An arrow from the start along minus the gradient: the direction of steepest descent."""
    g = land.gradient
    norm = float(np.hypot(*g))
    if norm == 0:
        return
    span = np.hypot(land.w0[-1] - land.w0[0], land.w1[-1] - land.w1[0])
    tip = land.start - 0.15 * span * g / norm
    ax.annotate(
        "",
        xy=tip,
        xytext=land.start,
        zorder=7,
        arrowprops={"arrowstyle": "-|>", "color": "#CC0000", "lw": 2.5, "mutation_scale": 18},
    )
    ax.plot(
        [],
        [],
        color="#CC0000",
        lw=2.5,
        label=f"−gradient at start = ({-g[0]:.3g}, {-g[1]:.3g}):\nthe steepest way down",
    )


def _draw_slice(ax, land: Landscape) -> None:
    """The cost against w1 with w0 held at its start, and the tangent at the start."""
    w1 = np.linspace(land.w1[0], land.w1[-1], 200)
    start0, start1 = land.start
    cost = land.cost_at(np.column_stack([np.full_like(w1, start0), w1]))
    slope = float(land.gradient[1])
    ax.plot(w1, cost, color="#0072B2", lw=2.5, label=f"J(w0 = {start0:g}, w1)")
    half = 0.2 * (w1[-1] - w1[0])
    t = np.array([start1 - half, start1 + half])
    ax.plot(
        t,
        land.start_cost + slope * (t - start1),
        color="#CC0000",
        lw=2,
        ls="--",
        label=f"tangent: slope dJ/dw1 = {slope:.4g} (autodiff)",
    )
    ax.plot(
        start1,
        land.start_cost,
        marker="o",
        ms=10,
        color="black",
        mec="white",
        ls="",
        zorder=5,
        label=f"start w1 = {start1:g}, J = {land.start_cost:.4g}",
    )
    direction = "right (w1 grows)" if slope < 0 else "left (w1 shrinks)"
    tip = start1 - np.sign(slope) * 0.12 * (w1[-1] - w1[0])
    ax.annotate(
        "",
        xy=(tip, land.start_cost),
        xytext=(start1, land.start_cost),
        arrowprops={"arrowstyle": "-|>", "color": "#CC0000", "lw": 2.5, "mutation_scale": 18},
    )
    ax.plot([], [], color="#CC0000", lw=2.5, label=f"step against the slope: {direction}")
    ax.set_ylim(min(cost.min(), land.start_cost) - 0.05 * np.ptp(cost), cost.max() * 1.05)
    ax.set_xlabel(land.weight_names[1])
    ax.set_ylabel("cost J")
    ax.set_title("One weight: the slope is the derivative")
    ax.grid(alpha=0.3)
    ax.legend(
        fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=1, framealpha=0.92
    )
