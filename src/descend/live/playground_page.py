"""The playground's page: the loss landscape with controls, drawn and wired by Bokeh.

Each control's change asks :func:`descend.live.playground.path` for the run again (on the
server, by descend's own optimizers) and redraws the path with the downhill direction
(the negative gradient) at each point; a click on the contour sets the start. Kept runs
stay overlaid, and a table gives each run's final cost and the minimum it reached, as
``descend landscape`` prints them. A refused value or a divergence is said on the page.
"""

from __future__ import annotations

import html
import math

import numpy as np
from bokeh.events import Tap
from bokeh.layouts import column, row
from bokeh.models import (
    Button,
    ColumnDataSource,
    DataTable,
    Div,
    RadioButtonGroup,
    Range1d,
    Select,
    Slider,
    TableColumn,
    TextInput,
)
from bokeh.palettes import Category10_10, Viridis256
from bokeh.plotting import figure

from descend import landscape
from descend.live.playground import (
    OPTIMIZERS,
    STRATEGIES,
    PlaygroundError,
    Settings,
    board,
    parse_start,
    path,
)

ARROW = 0.06  # the downhill arrows' length, as a share of the window's diagonal
LEVELS = 24


def make_playground_page(doc) -> None:
    """Fill ``doc`` with a new playground (one per browser tab)."""
    Playground(doc)


class Playground:
    """The controls, the figure and the runs of one browser tab."""

    def __init__(self, doc):
        self.settings = Settings()
        self.kept: list[dict] = []
        self.problem = Select(
            title="problem", value="linear", options=list(landscape.PROBLEMS), name="problem"
        )
        self.optimizer = Select(
            title="optimizer", value="sgd", options=list(OPTIMIZERS), name="optimizer"
        )
        self.lr = Slider(
            title="log10 learning rate", start=-4, end=1, step=0.05, value=-1, name="lr"
        )
        self.momentum = Slider(title="momentum", start=0, end=0.99, step=0.01, value=0.9)
        self.beta1 = Slider(title="beta1", start=0, end=0.99, step=0.01, value=0.9)
        self.beta2 = Slider(title="beta2", start=0.9, end=0.9999, step=0.0001, value=0.999)
        self.strategy = RadioButtonGroup(labels=list(STRATEGIES), active=0)
        self.batch_size = Slider(title="mini-batch size", start=1, end=40, step=1, value=8)
        self.steps = Slider(title="steps", start=1, end=1000, step=1, value=200, name="steps")
        self.start = TextInput(title="start w0, w1 (or click the contour)", name="start")
        self.keep = Button(label="keep this run", button_type="primary", name="keep")
        self.clear = Button(label="clear kept runs")
        self.message = Div(name="message", sizing_mode="stretch_width")
        self.table_source = ColumnDataSource(_table_columns([]), name="table")
        self.table = DataTable(
            source=self.table_source,
            columns=[
                TableColumn(field="run", title="run", width=190),
                TableColumn(field="start", title="from", width=110),
                TableColumn(field="updates", title="updates", width=60),
                TableColumn(field="final_cost", title="final cost", width=80),
                TableColumn(field="minimum", title="minimum", width=60),
                TableColumn(field="end", title="end", width=360),
            ],
            height=160,
            width=820,
            index_position=None,
            reorderable=False,
        )
        self.path_source = ColumnDataSource({"w0": [], "w1": [], "cost": []}, name="path")
        self.arrows = ColumnDataSource({"x0": [], "y0": [], "x1": [], "y1": []}, name="arrows")
        self.kept_source = ColumnDataSource({"xs": [], "ys": [], "colour": []}, name="kept")
        self.start_source = ColumnDataSource({"w0": [], "w1": []}, name="start_point")
        self.minima_source = ColumnDataSource({"w0": [], "w1": [], "kind": []})
        self.plot = figure(
            width=620,
            height=560,
            tools="pan,wheel_zoom,reset,save",
            name="landscape",
            x_range=Range1d(0, 1),  # the landscape's window, set with the problem
            y_range=Range1d(0, 1),
        )
        self.contours = None
        self.plot.multi_line(
            "xs", "ys", source=self.kept_source, color="colour", line_width=2, alpha=0.8
        )
        self.plot.line("w0", "w1", source=self.path_source, color="white", line_width=2.5)
        self.plot.scatter("w0", "w1", source=self.path_source, color="white", size=3)
        self.plot.segment(
            "x0", "y0", "x1", "y1", source=self.arrows, color="#ff7f0e", line_width=1.5
        )
        self.plot.scatter(
            "w0",
            "w1",
            source=self.minima_source,
            marker="star",
            size=16,
            color="gold",
            line_color="black",
        )
        self.plot.scatter(
            "w0", "w1", source=self.start_source, size=11, color="#d62728", line_color="white"
        )
        self.plot.on_event(Tap, self._tapped)
        for widget in (
            self.problem,
            self.optimizer,
            self.lr,
            self.momentum,
            self.beta1,
            self.beta2,
            self.batch_size,
            self.steps,
        ):
            widget.on_change("value", self._changed)
        self.strategy.on_change("active", self._changed)
        self.start.on_change("value", self._start_typed)
        self.keep.on_click(self._keep)
        self.clear.on_click(self._clear)
        controls = column(
            self.problem,
            self.optimizer,
            self.lr,
            self.momentum,
            self.beta1,
            self.beta2,
            Div(text="strategy"),
            self.strategy,
            self.batch_size,
            self.steps,
            self.start,
            row(self.keep, self.clear),
            width=300,
        )
        doc.title = "descend: playground"
        doc.add_root(column(row(controls, self.plot), self.message, self.table))
        self._new_problem()

    # -- the controls ----------------------------------------------------------------
    def _changed(self, attr, old, new) -> None:
        if self.problem.value == self.settings.problem:
            self._redraw()
        elif self.problem.value in landscape.PROBLEMS:
            self._new_problem()
        else:  # only a crafted message can send another name: say so, draw nothing new
            self._say(f"problem must be one of {', '.join(landscape.PROBLEMS)}", bad=True)

    def _tapped(self, event) -> None:
        self.settings.start = (float(event.x), float(event.y))
        self.start.value = f"{event.x:.4g}, {event.y:.4g}"  # _start_typed redraws

    def _start_typed(self, attr, old, new) -> None:
        try:
            self.settings.start = parse_start(new)
        except PlaygroundError as error:
            self._say(str(error), bad=True)
            return
        self._redraw()

    def _keep(self) -> None:
        if self.current is not None:
            self.kept.append(self.current)
            self._show_kept()

    def _clear(self) -> None:
        self.kept = []
        self._show_kept()
        self._redraw()

    # -- drawing ----------------------------------------------------------------------
    def _new_problem(self) -> None:
        self.settings.problem, self.settings.start = self.problem.value, None
        self.kept = []
        land = board(self.problem.value)
        self.plot.title.text = f"{land.title}; cost: {land.loss_name}"
        self.plot.xaxis.axis_label, self.plot.yaxis.axis_label = land.weight_names
        for axis, (low, high) in (
            (self.plot.x_range, land.w0[[0, -1]]),
            (self.plot.y_range, land.w1[[0, -1]]),
        ):
            axis.start = axis.reset_start = float(low)
            axis.end = axis.reset_end = float(high)
        if self.contours is not None:
            self.plot.renderers.remove(self.contours)
        levels = np.unique(np.quantile(land.cost, np.linspace(0, 1, LEVELS + 1)))
        self.contours = self.plot.contour(
            land.w0,
            land.w1,
            land.cost,
            levels,
            fill_color=[Viridis256[int(i)] for i in np.linspace(0, 255, len(levels) - 1)],
            line_color="white",
            line_alpha=0.25,
        )
        self.plot.renderers.insert(0, self.plot.renderers.pop())  # under the paths
        minima = land.minima
        self.minima_source.data = {
            "w0": [m.weights[0] for m in minima],
            "w1": [m.weights[1] for m in minima],
            "kind": [m.kind for m in minima],
        }
        self.batch_size.end = max(len(land.X), 2)
        self.start.value = "{:.4g}, {:.4g}".format(*land.start)
        self._show_kept()
        self._redraw()

    def _redraw(self) -> None:
        self.settings.optimizer = self.optimizer.value
        self.settings.lr = _power_of_ten(self.lr.value)  # checked with the others by path()
        self.settings.momentum, self.settings.steps = self.momentum.value, self.steps.value
        self.settings.beta1, self.settings.beta2 = self.beta1.value, self.beta2.value
        active = self.strategy.active
        self.settings.strategy = STRATEGIES[active] if active in range(3) else str(active)
        self.settings.batch_size = self.batch_size.value
        self.lr.title = f"learning rate {self.settings.lr:.3g} (log10 scale)"
        opt = self.settings.optimizer
        self.momentum.visible = opt in ("momentum", "nesterov")
        self.beta1.visible = self.beta2.visible = opt == "adam"
        self.batch_size.visible = self.settings.strategy == "mini-batch"
        self.current = None
        try:
            run, gradients = path(self.settings)
        except PlaygroundError as error:
            self._say(str(error), bad=True)
            return
        land = board(self.settings.problem)
        w = run.weights
        self.path_source.data = {"w0": w[:, 0], "w1": w[:, 1], "cost": run.costs}
        self.start_source.data = {"w0": w[:1, 0], "w1": w[:1, 1]}
        self.arrows.data = _arrows(w, gradients, land)
        self.current = _row(run)
        self._show_kept()
        if run.diverged:
            self._say(
                f"diverged after {run.updates} updates: lr={self.settings.lr:.3g} is too large "
                f"for this landscape (each step overshoots further); lower the learning rate",
                bad=True,
            )
        else:
            self._say(f"{run.label}: {run.updates} updates, {run.outcome}")

    def _show_kept(self) -> None:
        self.kept_source.data = {
            "xs": [k["xs"] for k in self.kept],
            "ys": [k["ys"] for k in self.kept],
            "colour": [Category10_10[i % 10] for i in range(len(self.kept))],
        }
        rows = self.kept + ([self.current] if getattr(self, "current", None) else [])
        # Bokeh's table redraws its cells only when its number of rows changes: empty it first.
        self.table_source.data = _table_columns([])
        self.table_source.data = _table_columns(rows)

    def _say(self, text: str, bad: bool = False) -> None:
        colour = "#cc0000" if bad else "#333333"
        self.message.text = f'<span style="color:{colour}">{html.escape(text)}</span>'


def _power_of_ten(exponent) -> float:
    try:
        return 10.0 ** float(exponent)
    except (OverflowError, TypeError, ValueError):
        return math.nan


def _row(run) -> dict:
    final = float(run.costs[-1]) if len(run.costs) else math.nan
    return {
        "run": run.label,
        "start": "({:.3g}, {:.3g})".format(*run.weights[0]),
        "updates": run.updates,
        "final_cost": f"{final:.4g}",
        "minimum": "none" if run.minimum is None else run.minimum.kind,
        "end": run.outcome,
        "xs": run.weights[:, 0].tolist(),
        "ys": run.weights[:, 1].tolist(),
    }


def _table_columns(rows: list[dict]) -> dict:
    keys = ("run", "start", "updates", "final_cost", "minimum", "end")
    return {k: [r[k] for r in rows] for k in keys}


def _arrows(weights: np.ndarray, gradients: np.ndarray, land) -> dict:
    """Segments pointing downhill (along the negative gradient) from each point, the
    steepest on the path ``ARROW`` of the window's diagonal long, the others in proportion."""
    size = ARROW * math.hypot(np.ptp(land.w0), np.ptp(land.w1))
    norms = np.linalg.norm(gradients, axis=1, keepdims=True)
    finite = norms[np.isfinite(norms)]
    top = finite.max() if finite.size else 0.0
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        steps = -gradients / top * size if top > 0 else np.zeros_like(gradients)
    ok = np.isfinite(steps).all(axis=1) & np.isfinite(weights).all(axis=1)
    w, s = weights[ok], steps[ok]
    return {"x0": w[:, 0], "y0": w[:, 1], "x1": w[:, 0] + s[:, 0], "y1": w[:, 1] + s[:, 1]}
