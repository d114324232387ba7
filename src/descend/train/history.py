"""History: what happened in each epoch and each step of a training run."""

from __future__ import annotations

import csv
import io
import json
import math

from descend.files import write_text
from descend.train.callback import Callback
from descend.train.diagnosis import diagnose
from descend.train.monitor import GradientRecords


class History(Callback):
    """Records each epoch's logs (loss, metrics, learning rate, updates, time) and each step's loss.

    The Trainer adds one to every run; ``fit`` returns it.

    Attributes
    ----------
    epochs : list of int
        The epoch numbers recorded (1-based).
    records : dict of str to list
        One list per quantity, aligned with ``epochs``: ``loss``, ``val_loss``,
        ``accuracy``, ``val_accuracy``, ..., ``lr``, ``updates`` (cumulative), ``time``
        (wall seconds for the epoch).
    step_loss : list of float
        The cost of every update, in order: mini-batch noise made visible.
    events : dict
        Epochs of notable moments: ``best_epoch``, ``stopped_epoch``, ``converged_epoch``,
        ``diverged_step``, set by the callbacks that detect them; at the end of training,
        what the curves say (``descend.train.diagnosis``): ``diagnosis`` (a line beginning
        ``diagnosis:``), ``diagnosis_kind`` and ``diagnosis_epoch``.
    gradients : GradientRecords
        Per-tensor gradient norms, weight norms and update ratios, when a
        ``GradientMonitor`` recorded them; else empty.
    plan : dict
        ``n_samples``, ``batch_size``, ``updates_per_epoch`` and ``epochs``: the epochs of
        the whole run, counted from its first (also after a resume).

    Examples
    --------
    >>> _ = ds.manual_seed(0)
    >>> X, y = ds.data.load_iris()
    >>> X = ds.data.StandardScaler().fit_transform(X)
    >>> model = ds.models.SoftmaxRegression(4, 3)
    >>> trainer = ds.Trainer(model, ds.nn.CrossEntropyLoss(),
    ...                      ds.optim.SGD(model.parameters(), lr=0.1), verbose=0)
    >>> history = trainer.fit(X, y, epochs=20, batch_size=16, seed=0, val=(X[::5], y[::5]))
    >>> history
    History(20 epochs, loss 0.8423 -> 0.2658, val_loss 0.6179 -> 0.2332)
    >>> history.best("val_loss")[0]
    20
    """

    def __init__(self):
        super().__init__()
        self.epochs: list[int] = []
        self.records: dict[str, list] = {}
        self.step_loss: list[float] = []
        self.events: dict[str, int | float] = {}
        self.plan: dict = {}
        self.gradients = GradientRecords()  # filled by a GradientMonitor

    def on_train_begin(self, logs):
        # The run's epochs in all: a resumed run's fit plans only those still to come.
        logs = {**logs, "epochs": logs.get("last_epoch", logs.get("epochs"))}
        self.plan = {
            k: logs[k]
            for k in ("n_samples", "batch_size", "updates_per_epoch", "epochs")
            if logs.get(k) is not None
        }

    def on_batch_end(self, step, logs):
        self.step_loss.append(logs["loss"])

    def on_epoch_end(self, epoch, logs):
        self.epochs.append(epoch)
        for key, value in logs.items():
            column = self.records.setdefault(key, [math.nan] * (len(self.epochs) - 1))
            column.append(value)
        for column in self.records.values():
            if len(column) < len(self.epochs):
                column.append(math.nan)

    def on_train_end(self, logs):
        # What the curves say, kept with the events (train/diagnosis.py).
        found = None if logs.get("interrupted") else diagnose(self)
        if found is not None:
            self.record_event("diagnosis", found.line)
            self.record_event("diagnosis_kind", found.kind)
            self.events.pop("diagnosis_epoch", None)
            if found.epoch is not None:
                self.record_event("diagnosis_epoch", found.epoch)

    def record_event(self, name: str, value) -> None:
        """Note a notable moment (``best_epoch``, ``diverged_step``, ...) in ``events``."""
        self.events[name] = value

    def __repr__(self) -> str:
        if not self.epochs:
            return "History(no epochs)"
        parts = [f"{len(self.epochs)} epoch{'s' * (len(self.epochs) != 1)}"]
        for key in ("loss", "val_loss"):
            if key in self.records:
                values = self.records[key]
                parts.append(f"{key} {values[0]:.4g} -> {values[-1]:.4g}")
        for key, value in self.events.items():
            if key != "diverged" and not key.startswith("diagnosis"):
                parts.append(f"{key}={value}")
        return f"History({', '.join(parts)})"

    def __getitem__(self, key: str) -> list:
        return self.records[key]

    def __contains__(self, key: str) -> bool:
        return key in self.records

    def __len__(self) -> int:
        return len(self.epochs)

    def best(self, key: str = "val_loss", mode: str = "min") -> tuple[int, float]:
        """The epoch with the best value of ``key`` and that value."""
        values = self.records[key]
        finite = [(v, e) for v, e in zip(values, self.epochs) if math.isfinite(v)]
        if not finite:
            raise ValueError(f"history has no finite value of {key!r}")
        value, epoch = (min if mode == "min" else max)(finite)
        return epoch, value

    def to_dict(self) -> dict:
        return {
            "epoch": list(self.epochs),
            **{k: list(v) for k, v in self.records.items()},
            "step_loss": list(self.step_loss),
            "events": dict(self.events),
            "plan": dict(self.plan),
            **({"gradients": self.gradients.to_dict()} if self.gradients else {}),
        }

    @classmethod
    def from_dict(cls, data: dict) -> History:
        history = cls()
        history.epochs = list(data["epoch"])
        reserved = {"epoch", "step_loss", "events", "plan", "gradients"}
        history.records = {k: list(v) for k, v in data.items() if k not in reserved}
        history.step_loss = list(data.get("step_loss", []))
        history.events = dict(data.get("events", {}))
        history.plan = dict(data.get("plan", {}))
        history.gradients = GradientRecords.from_dict(data.get("gradients"))
        return history

    def restore(self, state: dict) -> None:
        """Take over the records of ``to_dict()`` output (when resuming a run)."""
        restored = History.from_dict(state)
        self.epochs, self.records = restored.epochs, restored.records
        self.step_loss, self.events, self.plan = restored.step_loss, restored.events, restored.plan
        self.gradients = restored.gradients

    def to_json(self) -> str:
        """The whole history as JSON (NaN written as null)."""
        return json.dumps(_nan_to_none(self.to_dict()), indent=2)

    @classmethod
    def from_json(cls, text: str) -> History:
        return cls.from_dict(_none_to_nan(json.loads(text)))

    def write_json(self, path) -> None:
        """Write ``to_json()`` to ``path`` atomically."""
        write_text(path, self.to_json())

    def write_csv(self, path) -> None:
        """Write ``to_csv()`` to ``path`` atomically."""
        write_text(path, self.to_csv())

    def to_csv(self) -> str:
        """One row per epoch, one column per recorded quantity."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        keys = list(self.records)
        writer.writerow(["epoch", *keys])
        for row, epoch in enumerate(self.epochs):
            writer.writerow([epoch, *(_format(self.records[k][row]) for k in keys)])
        return buffer.getvalue()


def _format(value) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def _nan_to_none(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    return value


def _none_to_nan(value):
    if value is None:
        return math.nan
    if value in ("inf", "-inf"):
        return float(value)
    if isinstance(value, dict):
        return {k: _none_to_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_none_to_nan(v) for v in value]
    return value
