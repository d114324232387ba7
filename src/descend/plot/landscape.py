"""Drawing a Landscape: the cost as a filled contour with the runs' paths, and a 1-D slice.

The numbers come from :mod:`descend.landscape` (the runs, the grid, the minima); this
module only draws them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib import patheffects
from matplotlib.figure import Figure

from descend.landscape import Landscape
from descend.plot._figure import colour, new_figure, save

_TITLES = {
    "strategies": "batch, mini-batch and stochastic gradient descent",
    "optimizers": "optimizers from {starts}",
    "lr": "three learning rates, judged by where they ended",
}
_MARKERS = ("o", "s", "^", "D", "v", "P")
_OUTLINE = [patheffects.withStroke(linewidth=3.5, foreground="white")]


def loss_landscape(landscape: Landscape, path: str | os.PathLike, title: str | None = None) -> Path:
    """Draw a :class:`~descend.landscape.Landscape` (from ``compute_landscape``); write a PNG.

    Left: the cost over the two weights as a filled contour, its minima (global ones
    as white stars, local ones as grey stars), each start with the downhill direction
    (minus the gradient, by autodiff), and the path of every run, labelled with its
    updates, final cost and, on a non-convex cost, the minimum it settled in. A run that
    diverges is drawn until it leaves the window, and its legend entry says so. Right:
    the cost against ``w1`` alone (``w0`` held at the first start's value) with the
    tangent at the start, whose slope is the partial derivative ``dJ/dw1``.

    Examples
    --------
    >>> from descend.landscape import compute_landscape
    >>> land = compute_landscape("linear", compare="lr", resolution=41)
    >>> ds.plot.loss_landscape(land, "landscape.png")
    PosixPath('landscape.png')
    """
    return save(loss_landscape_figure(landscape, title=title), path)


def loss_landscape_figure(landscape: Landscape, title: str | None = None) -> Figure:
    """The figure of :func:`loss_landscape`, not yet saved (to inspect or edit)."""
    if not isinstance(landscape, Landscape):
        raise TypeError(
            f"expected a Landscape from compute_landscape(...), got {type(landscape).__name__}"
        )
    # Room below the panels for a legend of many runs.
    rows = len(landscape.paths) + len(landscape.starts) + len(landscape.minima) + 1
    figure = new_figure(15, 7 + max(0, rows - 10) * 0.11)
    grid = figure.add_gridspec(1, 2, width_ratios=[1.65, 1])
    _draw_contour(figure, figure.add_subplot(grid[0]), landscape)
    _draw_slice(figure.add_subplot(grid[1]), landscape)
    figure.suptitle(title or _title(landscape), fontsize="x-large")
    return figure


def _title(land: Landscape) -> str:
    n = len(land.starts)
    what = _TITLES[land.compare].format(starts="one start" if n == 1 else f"{n} starts")
    if land.compare != "optimizers" and n > 1:
        what += f", from {n} starts"
    epochs = land.paths[0].settings["epochs"] if land.paths else 0
    if land.problem.sampled:
        extent = f"{len(land.X)} samples, {epochs} epochs each"
    else:
        extent = f"{epochs} updates each"
    title = f"Loss landscape of {land.title}: {what} ({extent})"
    return title if len(title) <= 120 else title.replace(": ", "\n", 1)  # two lines fit


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
    several = len(land.starts) > 1
    for i, run in enumerate(land.paths):
        # Colour and width by setting; with several starts the marker tells the start, and
        # the legend names settings and starts instead of every run (the table has them all).
        style = run.setting_index if several else i
        marker = _MARKERS[(run.start_index if several else style) % 6]
        if _noisy(run) and not several:
            marker = None  # a long zigzag is its line
        # With several starts: one legend entry per setting, on its first path.
        entry = (
            (land.setting_label(run.setting_index) if run.start_index == 0 else "")
            if several
            else None
        )
        _draw_run(ax, run, colour(style), window, style, marker, land.problem.convex, entry)
    _draw_minima(ax, land)
    for i, (start, cost) in enumerate(zip(land.starts, land.start_costs)):
        text = f"({start[0]:g}, {start[1]:g}), cost {cost:.3g}"
        ax.plot(
            *start,
            marker="o",
            ms=10,
            color="black",
            mec="white",
            mew=1.5,
            ls="",
            zorder=6,
            label=f"start {text}" if not several else None,
        )
        if several:
            name = land.start_name(i)
            ax.plot([], [], marker=_MARKERS[i % 6], color="white", mec="black", ls="",
                    label=f"paths from start {name} {text}")  # fmt: skip
            ax.annotate(
                name,
                start,
                textcoords="offset points",
                xytext=(-16, 6),
                fontsize=13,
                fontweight="bold",
                path_effects=_OUTLINE,
                zorder=7,
            )
    for i, start in enumerate(land.starts):
        _draw_downhill(ax, land, start, land.gradients[i], label=i == 0)
    ax.set_xlim(land.w0[0], land.w0[-1])
    ax.set_ylim(land.w1[0], land.w1[-1])
    ax.set_xlabel(land.weight_names[0])
    ax.set_ylabel(land.weight_names[1])
    ax.set_title("The cost over both weights, and each run's path")
    ax.legend(
        fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=2, framealpha=0.92
    )


def _draw_minima(ax, land: Landscape) -> None:
    """White stars for the global minima, grey ones for local minima; coordinates beside
    each star when there are several."""
    method = land.problem.minimum_method
    for kind, face in (("global", "white"), ("local", "#909090")):
        minima = [m for m in land.minima if m.kind == kind]
        if not minima:
            continue
        points = np.array([m.weights for m in minima])
        if len(land.minima) == 1:
            text = f"minimum ({method}): ({points[0, 0]:.2f}, {points[0, 1]:.2f})"
        elif len(minima) == 1:
            x, y = points[0]
            text = f"{kind} minimum ({x:.2f}, {y:.2f}), cost {minima[0].cost:.3g}"
        else:
            text = f"{len(minima)} {kind} minima, cost {_cost(minima[0].cost)}"
        if len(land.minima) > 1 and kind == "global":
            text += f"\n({method})"
        ax.plot(
            points[:, 0],
            points[:, 1],
            marker="*",
            ms=20,
            color=face,
            mec="black",
            mew=1.2,
            ls="",
            zorder=6,
            label=text,
        )
        if len(land.minima) > 1:
            for m in minima:
                ax.annotate(
                    f"{kind}\n({m.weights[0]:.2f}, {m.weights[1]:.2f})",
                    m.weights,
                    textcoords="offset points",
                    xytext=(10, -4),
                    fontsize=9,
                    va="top",
                    path_effects=_OUTLINE,
                    zorder=7,
                )


def _cost(value: float) -> str:
    return f"{value:.3g}" if abs(value) >= 1e-12 else "0"


def _noisy(run) -> bool:
    """A long path of small-batch steps: drawn thin and underneath the others."""
    return run.updates > 80 and run.settings["batch_size"] != "full"


def _draw_run(ax, run, color, window, style: int, marker, convex: bool, entry) -> None:
    """One path; ``entry``: its legend text (None: say what the run did; "": none)."""
    w = run.weights
    many = _noisy(run)
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
        if not convex:  # where it ended is the point of the picture
            text += f"\n→ {run.minimum.kind} minimum" if run.minimum else "\n→ did not settle"
    if entry is not None:
        text = entry or None
    # Each path drawn on top of the previous ones and thinner than them: where paths
    # coincide (AdaGrad, RMSProp and Adam all start along the diagonal) they show as
    # nested stripes of their colours instead of hiding one another.
    width = 1.2 if many else max(4.2 - 0.55 * style, 1.2)
    ax.plot(
        w[:, 0],
        w[:, 1],
        color=color,
        lw=width,
        marker=marker,
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


def _draw_downhill(ax, land: Landscape, start, g, label: bool) -> None:
    """An arrow from a start along minus the gradient: the direction of steepest descent."""
    norm = float(np.hypot(*g))
    if norm == 0:
        return
    span = np.hypot(land.w0[-1] - land.w0[0], land.w1[-1] - land.w1[0])
    # Shortened if need be, so that the tip stays in the window (on axes of unequal scale).
    low, high = np.array([land.w0[0], land.w1[0]]), np.array([land.w0[-1], land.w1[-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        room = np.where(g < 0, (high - start) / -g, np.where(g > 0, (start - low) / g, np.inf))
    tip = start - min(0.15 * span / norm, 0.95 * float(room.min())) * g
    ax.annotate(
        "",
        xy=tip,
        xytext=start,
        zorder=7,
        arrowprops={"arrowstyle": "-|>", "color": "#CC0000", "lw": 2.5, "mutation_scale": 18},
    )
    if label:
        where = "start" if len(land.starts) == 1 else "start A"
        ax.plot(
            [],
            [],
            color="#CC0000",
            lw=2.5,
            label=f"−gradient at {where} = ({-g[0]:.3g}, {-g[1]:.3g}):\nthe steepest way down",
        )


def _draw_slice(ax, land: Landscape) -> None:
    """The cost against w1 with w0 held at the first start, and the tangent at the start."""
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
