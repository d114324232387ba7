"""What every picture shares: a figure that needs no display, a palette, an atomic PNG save.

Figures are made with ``matplotlib.figure.Figure`` and drawn by the Agg canvas directly,
never through ``pyplot``: no window, no global backend switch in the user's process,
no figure left open after saving.

The pictures every ``descend train`` draws (learning curves, gradients) are laid out
with fixed margins (:func:`place_panels`), titles at a fixed height (:func:`set_title`),
and label log axes in plain numbers (:func:`plain_log_labels`): a layout engine draws a
figure twice to measure it, placing titles measures every tick label, and mathtext tick
labels are slow to lay out; together they were most of the time a run spent saving.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter

from descend.files import atomic_write

# Okabe-Ito: colours that stay distinct for colour-blind readers and in greyscale.
PALETTE = (
    "#0072B2",  # blue
    "#D55E00",  # vermilion
    "#009E73",  # green
    "#CC79A7",  # purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)
DPI = 100


def new_figure(width: float, height: float, constrained: bool = True) -> Figure:
    """A figure of ``width`` x ``height`` inches attached to an Agg canvas, laid out by
    matplotlib's constrained layout, or (``constrained=False``) by :func:`place_panels`."""
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained" if constrained else None)
    FigureCanvasAgg(figure)
    return figure


def place_panels(figure: Figure, right: float = 0.25, note_lines: int = 0) -> None:
    """Place a figure's row of panels by fixed margins, in inches: room on the left of
    each panel for its tick labels and axis label, above for the panels' titles and the
    figure's, below for the x labels and ``note_lines`` lines of small text under them
    (written at the figure's foot), and ``right`` on the right."""
    left, top, between = 0.9, 0.6, 0.9
    bottom = 0.5 + (0.1 + 0.15 * note_lines if note_lines else 0.0)  # a gap above the notes
    width, height = figure.get_size_inches()
    n = len(figure.axes)
    panel = (width - left - right - between * (n - 1)) / n
    figure.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        top=1 - top / height,
        bottom=bottom / height,
        wspace=between / panel,
    )


def set_title(ax, text: str) -> None:
    """``ax``'s title just above it, at a fixed height: otherwise matplotlib measures the
    axes' tick labels at every draw to lift the title over ticks on top, which these
    pictures never have."""
    ax.set_title(text, y=1.0)


class _PlainLogFormatter(LogFormatter):
    """The ticks matplotlib's log formatter labels, as plain numbers (0.01, 2e-05)."""

    def __call__(self, x, pos=None) -> str:
        if not super().__call__(x, pos):
            return ""
        return f"{x:g}".replace("-", "\N{MINUS SIGN}")


def plain_log_labels(ax) -> None:
    """Label ``ax``'s log y axis in plain numbers rather than mathtext powers of ten."""
    ax.yaxis.set_major_formatter(_PlainLogFormatter(10))
    ax.yaxis.set_minor_formatter(_PlainLogFormatter(10, labelOnlyBase=False))


def save(figure: Figure, path: str | os.PathLike) -> Path:
    """Write ``figure`` to ``path`` as a PNG, atomically; return the path."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"pictures are written as PNG: expected a path ending in .png, got {path}")
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=DPI)
    return path


def colour(i: int) -> str:
    """The ``i``-th colour of the palette (cycling)."""
    return PALETTE[i % len(PALETTE)]


def wide_range(values) -> bool:
    """Whether positive ``values`` span enough orders of magnitude to want a log axis."""
    finite = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if finite.size < 2 or finite.min() <= 0:
        return False
    return finite.max() / finite.min() > 30
