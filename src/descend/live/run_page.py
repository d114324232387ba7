"""The page of a run: the History's curves, drawn by Bokeh, updated four times a second.

Every number comes from the feed's snapshot (the layout of ``history.json``): the loss
of every update (faint) under the epochs' train and validation loss, the metrics, the
learning rate, per-tensor gradient norms and update-to-weight ratios (the monitor's
vanishing / exploding warnings in red, as in ``gradients.png``), the diagnosis once it
exists, and the progress.

Each figure's curves are rows of one multi-line source (solid: train, weights; dashed:
validation, biases), so that a new curve is new data, never a new renderer (which the
browser would lay out again); the loss of every update is streamed. The sources are
named (``steps``, ``loss_solid``, ``metrics_dashed``, ``grad_norm_solid``, ...) so that a
test can compare what the browser holds with ``history.json``.
"""

from __future__ import annotations

import html
import math
import time

import numpy as np
from bokeh.layouts import layout
from bokeh.models import BoxAnnotation, ColumnDataSource, Div
from bokeh.palettes import Category10_10, Viridis256
from bokeh.plotting import figure

from descend.live.feed import describe
from descend.train.monitor import GradientRecords

REFRESH_MS = 250
HEADER_S = 1.0
NOT_METRICS = ("epoch", "updates", "time", "lr", "loss")
NOT_RECORDS = ("step_loss", "events", "plan", "gradients")  # History.to_dict's other keys
PANELS = {
    "loss": ("loss (every update faint; epochs: train solid, validation dashed)", "update", "log"),
    "metrics": ("metrics (train solid, validation dashed)", "epoch", "linear"),
    "lr": ("learning rate", "epoch", "log"),
    "grad_norm": ("gradient L2 norm per tensor (biases dashed)", "update (step)", "log"),
    "update_ratio": (
        "||update|| / ||weights|| (grey: the usual 1e-4 to 1e-2)",
        "update (step)",
        "log",
    ),
}


def make_run_page(feed):
    """``make(doc)`` for the LiveServer: a page that follows ``feed``."""

    def make(doc) -> None:
        RunPage(feed, doc)

    return make


class RunPage:
    """The figures of one browser tab and the sources they draw."""

    def __init__(self, feed, doc):
        self.feed, self.doc = feed, doc
        self._turn, self._header_at = None, -math.inf
        self.steps = ColumnDataSource({"update": [], "loss": []}, name="steps")
        self.header = Div(name="header", sizing_mode="stretch_width", height=24)
        self.notes = Div(name="notes", sizing_mode="stretch_width")
        self.curves: dict[str, ColumnDataSource] = {}
        figures = {}
        for panel, (title, x_label, y_scale) in PANELS.items():
            fig = figure(
                title=title,
                x_axis_label=x_label,
                y_axis_type=y_scale,
                height=260,
                sizing_mode="stretch_width",
                tools="pan,wheel_zoom,box_zoom,reset,save",
            )
            fig.title.text_font_size = "10pt"
            if panel == "loss":
                fig.line("update", "loss", source=self.steps, color="#999999", alpha=0.4)
            if panel == "update_ratio":
                fig.add_layout(
                    BoxAnnotation(bottom=1e-4, top=1e-2, fill_color="#999999", fill_alpha=0.15)
                )
            for style in ("solid", "dashed"):
                name = f"{panel}_{style}"
                source = ColumnDataSource(_rows([], style), name=name)
                # One legend field per source: Bokeh merges legend items of the same field.
                fig.multi_line(
                    "xs",
                    "ys",
                    source=source,
                    color="colour",
                    line_dash=style,
                    line_width=2 if style == "solid" else 1.6,
                    legend_field=f"label_{style}",
                )
                self.curves[name] = source
            fig.legend.location, fig.legend.label_text_font_size = "top_right", "8pt"
            fig.legend.background_fill_alpha = 0.6
            figures[panel] = fig
        doc.title = "descend: live"
        rows = [
            [self.header],
            [figures["loss"], figures["metrics"]],
            [figures["lr"], self.notes],
            [figures["grad_norm"], figures["update_ratio"]],
        ]
        doc.add_root(layout(rows, sizing_mode="stretch_width"))
        # The page only shows: nothing the browser changes (ranges that follow the data,
        # sizes) comes back to the server, whose thread would decode it at the run's cost.
        for model in doc.models:
            model.syncable = False
        self.update()
        doc.add_periodic_callback(self.update, REFRESH_MS)

    def update(self) -> None:
        # One message for the tick's changes, not one per change: the server's thread
        # encodes each, and holds the interpreter meanwhile.
        self.doc.hold("combine")
        try:
            self._update()
        finally:
            self.doc.unhold()

    def _update(self) -> None:
        snap = self.feed.snapshot()
        history = snap["history"]
        _follow(self.steps, history.get("step_loss", []))
        for name, rows in curves(history).items():
            data = _rows(rows, name.rpartition("_")[2])
            if data != self.curves[name].data:
                self.curves[name].data = data
        # The progress line once a second, and at once when an epoch ends: a change of text
        # makes the browser lay the whole page out again.
        state = snap["progress"]
        turn = (state.get("epoch"), state.get("finished"))
        if turn != self._turn or time.monotonic() - self._header_at >= HEADER_S:
            header = f"<b>{html.escape(snap['name'])}</b>: {html.escape(describe(state))}"
            if self.header.text != header:
                self.header.text = header
            self._turn, self._header_at = turn, time.monotonic()
        notes = _notes(history)
        if self.notes.text != notes:
            self.notes.text = notes


def curves(history: dict) -> dict[str, list[dict]]:
    """Each figure's curves from a History's dict: ``{"loss_solid": [{"label", "colour",
    "xs", "ys"}, ...], ...}``, as plain lists of the dict's own numbers."""
    epochs = epoch_columns(history)
    out: dict[str, list[dict]] = {f"{p}_{s}": [] for p in PANELS for s in ("solid", "dashed")}
    for key, values in epochs.items():
        validation, base = key.startswith("val_"), key.removeprefix("val_")
        style = "dashed" if validation else "solid"
        label = f"{'validation' if validation else 'train'} {base}"
        if base == "loss":  # at each epoch's last update, over the loss of every update
            colour = "#1f77b4" if validation else "#d62728"
            out[f"loss_{style}"].append(_curve(label, colour, epochs.get("updates", []), values))
        elif key == "lr":
            out["lr_solid"].append(_curve("lr", "#2a7ab0", epochs["epoch"], values))
        elif base not in NOT_METRICS:
            metrics = sorted({k.removeprefix("val_") for k in epochs} - set(NOT_METRICS))
            colour = Category10_10[metrics.index(base) % 10]
            out[f"metrics_{style}"].append(_curve(label, colour, epochs["epoch"], values))
    records = history.get("gradients", {})
    steps = records.get("step", [])
    names = GradientRecords()  # labels 'Linear 1 (0.weight)', as gradients.png gives them
    names.layers = dict(records.get("layers", {}))
    for quantity in ("grad_norm", "update_ratio"):
        columns = records.get(quantity, {})
        colours = _depth_colours(list(columns))
        for tensor, values in columns.items():
            style = "dashed" if tensor.endswith("bias") else "solid"
            rows = min(len(steps), len(values))
            out[f"{quantity}_{style}"].append(
                _curve(names.label(tensor), colours[tensor], steps[:rows], values[:rows])
            )
    return out


def epoch_columns(history: dict) -> dict:
    """The per-epoch records, cut to the rows every column already has (the training
    thread may be halfway through appending an epoch)."""
    keys = ["epoch"] + [k for k in history if k not in ("epoch", *NOT_RECORDS)]
    rows = min((len(history[k]) for k in keys if k in history), default=0)
    return {k: list(history[k][:rows]) for k in keys if k in history}


def _curve(label: str, colour: str, xs, ys) -> dict:
    return {"label": label, "colour": colour, "xs": list(xs), "ys": list(ys)}


def _rows(rows: list[dict], style: str) -> dict:
    columns = {k: [row[k] for row in rows] for k in ("colour", "xs", "ys")}
    return {f"label_{style}": [row["label"] for row in rows], **columns}


def _follow(source: ColumnDataSource, losses: list) -> None:
    """Stream the losses not shown yet; start again when the run did (fewer than shown)."""
    shown = len(source.data["loss"])
    if len(losses) < shown:
        source.data = {"update": [], "loss": []}
        shown = 0
    if len(losses) > shown:
        new = np.asarray(losses[shown:], dtype=float)
        source.stream({"update": np.arange(shown + 1, len(losses) + 1), "loss": new})


def _notes(history: dict) -> str:
    """The monitor's warnings in red and the diagnosis, as gradients.png and the CLI say them."""
    lines = [
        f'<div style="color:#cc0000">GradientMonitor: {html.escape(w)}</div>'
        for w in history.get("gradients", {}).get("warnings", [])
    ]
    diagnosis = history.get("events", {}).get("diagnosis")
    if diagnosis:
        lines.append(f"<p><b>{html.escape(str(diagnosis))}</b></p>")
    return "".join(lines)


def _depth_colours(tensors: list) -> dict:
    """A colour per tensor from dark (first layer) to light (last), as in gradients.png."""
    layers = list(dict.fromkeys(name.rpartition(".")[0] or name for name in tensors))
    spots = np.linspace(0, 0.85 * 255, len(layers)) if len(layers) > 1 else [0]
    by_layer = {layer: Viridis256[int(s)] for layer, s in zip(layers, spots)}
    return {name: by_layer[name.rpartition(".")[0] or name] for name in tensors}
