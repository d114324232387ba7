"""The page of a run: the History's curves, drawn by Bokeh, updated four times a second.

Every number comes from the feed's snapshot (the layout of ``history.json``): the loss
of every update (faint) under the epochs' train and validation loss, the metrics, the
learning rate, per-tensor gradient norms and update-to-weight ratios (the monitor's
vanishing / exploding warnings in red, as in ``gradients.png``), the diagnosis once it
exists, and the progress. Sources are named (``steps``, ``epochs``, ``gradients``) so
that a test can compare what the browser holds with ``history.json``.
"""

from __future__ import annotations

import html

import numpy as np
from bokeh.layouts import layout
from bokeh.models import BoxAnnotation, ColumnDataSource, Div
from bokeh.palettes import Category10_10, Viridis256
from bokeh.plotting import figure

from descend.live.feed import describe

REFRESH_MS = 250
NOT_EPOCH_CURVES = ("epoch", "updates", "time", "lr")
NOT_RECORDS = ("step_loss", "events", "plan", "gradients")  # History.to_dict's other keys
QUANTITIES = (
    ("grad_norm", "gradient L2 norm per tensor"),
    ("update_ratio", "||update|| / ||weights||"),
)


def make_run_page(feed):
    """``make(doc)`` for the LiveServer: a page that follows ``feed``."""

    def make(doc) -> None:
        RunPage(feed, doc)

    return make


class RunPage:
    """The figures of one browser tab and what they have shown so far."""

    def __init__(self, feed, doc):
        self.feed = feed
        self.steps = ColumnDataSource({"update": [], "loss": []}, name="steps")
        self.epochs = ColumnDataSource({"epoch": []}, name="epochs")
        self.gradients = ColumnDataSource({"step": []}, name="gradients")
        self.header = Div(name="header", sizing_mode="stretch_width")
        self.notes = Div(name="notes", sizing_mode="stretch_width")
        tools = "pan,wheel_zoom,box_zoom,reset,save,hover"
        size = {"height": 300, "sizing_mode": "stretch_width", "tools": tools}
        self.loss = figure(title="loss", x_axis_label="update", y_axis_type="log", **size)
        self.loss.line("update", "loss", source=self.steps, color="#999999", alpha=0.35,
                       legend_label="every update")  # fmt: skip
        self.metrics = figure(title="metrics", x_axis_label="epoch", **size)
        self.lr = figure(title="learning rate", x_axis_label="epoch", y_axis_type="log", **size)
        self.panels = {}
        for quantity, label in QUANTITIES:
            panel = figure(title=label, x_axis_label="update (step)", y_axis_type="log", **size)
            if quantity == "update_ratio":
                panel.add_layout(BoxAnnotation(bottom=1e-4, top=1e-2, fill_color="#999999",
                                               fill_alpha=0.15))  # fmt: skip
            self.panels[quantity] = panel
        self.drawn: set[str] = set()
        doc.title = "descend: live"
        rows = [[self.header], [self.loss, self.metrics], [self.lr, self.notes]]
        doc.add_root(layout([*rows, list(self.panels.values())], sizing_mode="stretch_width"))
        self.update()
        doc.add_periodic_callback(self.update, REFRESH_MS)

    def update(self) -> None:
        snap = self.feed.snapshot()
        history = snap["history"]
        losses = history.get("step_loss", [])
        _follow(self.steps, {"update": np.arange(1, len(losses) + 1), "loss": losses})
        _follow(self.epochs, _epoch_columns(history))
        _follow(self.gradients, _gradient_columns(history.get("gradients", {})))
        self._draw_new_curves()
        title = f"<b>{html.escape(snap['name'])}</b>: {html.escape(describe(snap['progress']))}"
        if self.header.text != title:
            self.header.text = title
        notes = _notes(history)
        if self.notes.text != notes:
            self.notes.text = notes

    def _draw_new_curves(self) -> None:
        for key in self.epochs.data:
            if key in self.drawn or (key in NOT_EPOCH_CURVES and key != "lr"):
                continue
            self.drawn.add(key)
            if key == "lr":
                self.lr.line("epoch", "lr", source=self.epochs, color="#2a7ab0", line_width=2)
                continue
            base = key.removeprefix("val_")
            dashed = "dashed" if key.startswith("val_") else "solid"
            label = f"{'validation' if key.startswith('val_') else 'train'} {base}"
            if base == "loss":  # on the update axis, at the epoch's last update
                self.loss.line("updates", key, source=self.epochs, line_dash=dashed, line_width=2,
                               color="#d62728" if dashed == "solid" else "#1f77b4",
                               legend_label=f"{label} (epoch)")  # fmt: skip
                continue
            metrics = sorted({k.removeprefix("val_") for k in self.epochs.data} - {"loss"}
                             - set(NOT_EPOCH_CURVES))  # fmt: skip
            colour = Category10_10[metrics.index(base) % 10] if base in metrics else "black"
            self.metrics.line("epoch", key, source=self.epochs, line_dash=dashed,
                              line_width=2, color=colour, legend_label=label)  # fmt: skip
        tensors = [k.partition("/")[2] for k in self.gradients.data if k.startswith("grad_norm/")]
        colours = _depth_colours(tensors)
        for key in self.gradients.data:
            quantity, _, tensor = key.partition("/")
            if key in self.drawn or quantity not in self.panels:
                continue
            self.drawn.add(key)
            bias = tensor.endswith("bias")
            self.panels[quantity].line("step", key, source=self.gradients, color=colours[tensor],
                                       line_width=1.3 if bias else 2,
                                       line_dash="dashed" if bias else "solid",
                                       legend_label=tensor)  # fmt: skip
        for fig in (self.loss, self.metrics, *self.panels.values()):
            if fig.legend:
                fig.legend.click_policy, fig.legend.location = "hide", "top_right"
                fig.legend.label_text_font_size = "8pt"


def _follow(source: ColumnDataSource, columns: dict) -> None:
    """Bring ``source`` up to ``columns``: stream the new rows, or replace all when the
    columns or the rows already shown changed (a run restarted, a checkpoint rewritten)."""
    columns = {k: np.asarray(v, dtype=float) for k, v in columns.items()}
    rows = len(next(iter(columns.values()))) if columns else 0
    shown = len(next(iter(source.data.values()), []))
    if set(columns) == set(source.data) and rows >= shown:
        if rows > shown:
            source.stream({k: v[shown:] for k, v in columns.items()})
        return
    source.data = columns


def _epoch_columns(history: dict) -> dict:
    """The per-epoch records, cut to the rows every column already has (the training
    thread may be halfway through appending an epoch)."""
    keys = ["epoch"] + [k for k in history if k not in ("epoch", *NOT_RECORDS)]
    rows = min((len(history[k]) for k in keys if k in history), default=0)
    return {k: history[k][:rows] for k in keys if k in history}


def _gradient_columns(records: dict) -> dict:
    steps = records.get("step", [])
    columns = {"step": steps}
    for quantity, _ in QUANTITIES:
        for tensor, values in records.get(quantity, {}).items():
            columns[f"{quantity}/{tensor}"] = values
    rows = min(len(v) for v in columns.values())
    return {k: v[:rows] for k, v in columns.items()}


def _notes(history: dict) -> str:
    """The monitor's warnings in red and the diagnosis, as gradients.png and the CLI say them."""
    lines = [
        f'<div style="color:#cc0000">GradientMonitor: {html.escape(w)}</div>'
        for w in history.get("gradients", {}).get("warnings", [])
    ]
    diagnosis = history.get("events", {}).get("diagnosis")
    if diagnosis:
        lines.append(f"<div><b>{html.escape(str(diagnosis))}</b></div>")
    return "".join(lines)


def _depth_colours(tensors: list) -> dict:
    """A colour per tensor from dark (first layer) to light (last), as in gradients.png."""
    layers = list(dict.fromkeys(name.rpartition(".")[0] or name for name in tensors))
    spots = np.linspace(0, 0.85 * 255, len(layers)) if len(layers) > 1 else [0]
    by_layer = {layer: Viridis256[int(s)] for layer, s in zip(layers, spots)}
    return {name: by_layer[name.rpartition(".")[0] or name] for name in tensors}
