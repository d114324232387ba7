"""GradientMonitor: the health of the learning signal, layer by layer; GradientRecords: what
it saw, in the one shape that the History, TensorBoard, the pictures and the CLI read."""

from __future__ import annotations

import math
import sys

from descend.train.callback import Callback

QUANTITIES = ("grad_norm", "weight_norm", "update_ratio")


class GradientRecords:
    """Per parameter tensor, at each recorded update: gradient norm, weight norm, update ratio.

    Kept in ``History.gradients`` (empty until a :class:`GradientMonitor` records), written
    into the History's JSON by :meth:`to_dict`, drawn by ``ds.plot.gradients`` and written
    by the ``TensorBoard`` callback.

    Attributes
    ----------
    every : 'epoch' or int
        How often the monitor recorded (its ``every``).
    steps, epochs : list of int
        The update (1-based, counted over the whole run) of each record, and its epoch.
    grad_norm, weight_norm, update_ratio : dict of str to list of float
        One list per tensor (named as in ``state_dict``, in the model's order), aligned
        with ``steps``. NaN where a value does not exist: no gradient (a frozen or unused
        tensor), or no ratio (the weights were all zero before the update).
    layers : dict of str to str
        The layer that owns each tensor (``'0'`` for ``'0.weight'``; a tensor of the model
        itself is its own layer) named as a learner reads it: ``{'0': 'Linear 1'}``.
    warnings : list of str
        The monitor's findings (vanishing or exploding gradients), each one line.

    Examples
    --------
    >>> records = GradientRecords()
    >>> records.append(1, 1, {"0.weight": (0.5, 2.0, 0.001), "0.bias": (0.1, 0.0, math.nan)})
    >>> records.layers = {"0": "Linear 1"}
    >>> len(records), records.tensors, records.label("0.bias")
    (1, ['0.weight', '0.bias'], 'Linear 1 (0.bias)')
    >>> records.values("grad_norm")["0.weight"]
    [0.5]
    """

    def __init__(self, every: int | str = "epoch"):
        self.every = every
        self.steps: list[int] = []
        self.epochs: list[int] = []
        self.grad_norm: dict[str, list[float]] = {}
        self.weight_norm: dict[str, list[float]] = {}
        self.update_ratio: dict[str, list[float]] = {}
        self.layers: dict[str, str] = {}
        self.warnings: list[str] = []

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def tensors(self) -> list[str]:
        """The tensors' names, in the model's order."""
        return list(self.grad_norm)

    def values(self, quantity: str) -> dict[str, list[float]]:
        """The columns of one of ``QUANTITIES``, by tensor name."""
        if quantity not in QUANTITIES:
            raise ValueError(f"unknown quantity {quantity!r}; known: {', '.join(QUANTITIES)}")
        return getattr(self, quantity)

    def label(self, tensor: str) -> str:
        """``'Linear 1 (0.weight)'``: the layer as a learner reads it, then the tensor."""
        name = self.layers.get(layer_of(tensor))
        return f"{name} ({tensor})" if name else tensor

    def when(self, index: int) -> str:
        """``'step 35 (epoch 2)'``: where record ``index`` was taken."""
        return f"step {self.steps[index]} (epoch {self.epochs[index]})"

    def append(self, step: int, epoch: int, record: dict) -> None:
        """Add one record: ``{tensor: (grad_norm, weight_norm, update_ratio)}``.

        A tensor first seen now gets NaN for the earlier records; one missing now gets NaN.
        """
        n = len(self.steps)
        self.steps.append(step)
        self.epochs.append(epoch)
        for i, quantity in enumerate(QUANTITIES):
            columns = self.values(quantity)
            for name, values in record.items():
                columns.setdefault(name, [math.nan] * n).append(values[i])
            for column in columns.values():
                if len(column) < n + 1:
                    column.append(math.nan)

    def layer_norms(self) -> dict[str, list[float]]:
        """Each layer's gradient norm per record (its tensors' norms combined), in model order.

        Tensors without a gradient (NaN) are left out; a layer with none is NaN there.
        """
        squares: dict[str, list[float]] = {}
        for name, column in self.grad_norm.items():
            total = squares.setdefault(layer_of(name), [math.nan] * len(self.steps))
            for i, norm in enumerate(column):
                if not math.isnan(norm):
                    total[i] = (0.0 if math.isnan(total[i]) else total[i]) + norm * norm
        return {layer: [math.sqrt(v) for v in values] for layer, values in squares.items()}

    def to_dict(self) -> dict:
        """Plain lists and dicts (the ``gradients`` entry of ``history.json``)."""
        return {
            "every": self.every,
            "step": list(self.steps),
            "epoch": list(self.epochs),
            **{q: {k: list(v) for k, v in self.values(q).items()} for q in QUANTITIES},
            "layers": dict(self.layers),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict | None) -> GradientRecords:
        """The records of :meth:`to_dict` (also of files written before ``layers`` existed)."""
        records = cls()
        if not data:
            return records
        records.every = data.get("every", "epoch")
        records.steps, records.epochs = list(data["step"]), list(data["epoch"])
        for quantity in QUANTITIES:
            setattr(records, quantity, {k: list(v) for k, v in data[quantity].items()})
        records.layers = dict(data.get("layers", {}))
        records.warnings = list(data.get("warnings", []))
        return records


def layer_of(tensor: str) -> str:
    """The layer that owns a tensor: ``features.3`` for ``features.3.weight``."""
    return tensor.rpartition(".")[0] or tensor


class GradientMonitor(Callback):
    """Record each parameter tensor's gradient norm, weight norm and update-to-weight ratio.

    On a recording step, for every parameter tensor (named as in ``state_dict``): the
    L2 norm of its gradient, the L2 norm of its weights before the update, and the
    update-to-weight ratio ``||w_after - w_before|| / ||w_before||`` of the optimizer's
    actual step (about 1e-3 is the usual healthy size). The weights are copied before
    a recording step only, so the other steps cost nothing. The records go into
    ``trainer.history.gradients``, a :class:`GradientRecords`.

    When training ends it judges the records, layer by layer against the last layer:
    gradients vanish (below ``vanishing`` times the last layer's: the layer hardly
    learns) or explode (above ``exploding`` times) when they do so in ``window``
    consecutive records (all of them when fewer were taken), so that one odd step is
    not enough; each warning says whether the layer recovered later. A gradient that
    is not finite is warned about at once. Warnings are kept in ``warnings`` (and in the
    records) and printed to stderr unless ``print_warnings`` is False or the Trainer is
    silent.

    Parameters
    ----------
    every : 'epoch' or int
        ``'epoch'``: record the first update of every epoch (epoch 1's record shows the
        network as initialised). An int k: the first update and every k-th after it.
    vanishing, exploding : float
        The ratios to the last layer's gradient norm that trigger a warning.
    window : int
        How many records in a row must be beyond a threshold.
    print_warnings : bool

    Examples
    --------
    A deep sigmoid network: its first layers get almost no gradient.

    >>> X, y = ds.data.load_digits()
    >>> X = ds.data.StandardScaler().fit_transform(X)
    >>> model = ds.models.MLP([64, 32, 32, 32, 32, 32, 32, 10], activation="sigmoid")
    >>> monitor = GradientMonitor(print_warnings=False)
    >>> trainer = ds.Trainer(model, nn.CrossEntropyLoss(), ds.optim.Adam(model.parameters()),
    ...                      callbacks=[monitor], verbose=0)
    >>> history = trainer.fit(X[:256], y[:256], epochs=2, batch_size=64)
    >>> history.gradients.steps, history.gradients.tensors[:2]
    ([1, 5], ['0.weight', '0.bias'])
    >>> print(monitor.warnings[0])
    vanishing gradients in Linear 1 (layer '0'): below 0.001 times the last layer's
    (Linear 7) in 2 of 2 records, lowest ... not recovered by step 5, the last record ...
    """

    def __init__(
        self,
        every: int | str = "epoch",
        vanishing: float = 1e-3,
        exploding: float = 1e3,
        window: int = 3,
        print_warnings: bool = True,
    ):
        if every != "epoch" and not _positive_int(every):
            raise ValueError(f"every must be 'epoch' or a positive number of steps, got {every!r}")
        if not 0 < vanishing < 1 < exploding:
            raise ValueError(
                f"expected 0 < vanishing < 1 < exploding, got vanishing={vanishing}, "
                f"exploding={exploding}"
            )
        if not _positive_int(window):
            raise ValueError(f"window must be a positive number of records, got {window!r}")
        self.every, self.vanishing, self.exploding = every, vanishing, exploding
        self.window, self.print_warnings = window, print_warnings
        super().__init__()

    def reset(self):
        self.warnings: list[str] = []
        self._alarms: list[str] = []  # gradients that were not finite, said at once
        self._said: set[tuple[str, str]] = set()  # (layer, kind) printed or alarmed
        self._epoch = 0
        self._due = False  # every='epoch': the epoch's first update is still to come
        self._recording = None  # the step whose weights were copied before it
        self._before: list = []

    def state_dict(self):
        said = sorted(list(w) for w in self._said)
        return {"warnings": list(self.warnings), "alarms": list(self._alarms), "said": said,
                "epoch": self._epoch, "due": self._due}  # fmt: skip

    def load_state_dict(self, state):
        # An older checkpoint has only the warnings: it resumes where the counters start anew.
        self.warnings, self._alarms = list(state["warnings"]), list(state.get("alarms", []))
        self._said = {tuple(w) for w in state.get("said", [])}
        self._epoch, self._due = int(state.get("epoch", 0)), bool(state.get("due", False))

    # -- the hooks -------------------------------------------------------------
    def on_train_begin(self, logs):
        records = self.trainer.history.gradients
        if not records:
            records.every = self.every

    def on_epoch_begin(self, epoch, logs):
        # A resumed run begins its unfinished epoch again: its first update is behind it.
        if epoch != self._epoch:
            self._epoch = epoch
            self._due = self.every == "epoch"

    def on_batch_begin(self, step, logs):
        due = self._due if self.every == "epoch" else (step - 1) % self.every == 0
        if due:
            self._due = False
            self._recording = step
            self._before = [p.data.copy() for _, p in self.trainer.model.named_parameters()]

    def on_batch_end(self, step, logs):
        if step != self._recording:
            return
        self._recording = None
        named = list(self.trainer.model.named_parameters())
        record = {}
        for (name, param), before in zip(named, self._before):
            weight = _norm(before)
            grad = math.nan if param.grad is None else _norm(param.grad)
            update = _norm(param.data - before)
            record[name] = (grad, weight, update / weight if weight > 0 else math.nan)
        self._before = []
        records = self.trainer.history.gradients
        if not records.layers:
            records.layers = _layer_names(self.trainer.model, list(record))
        records.append(step, self._epoch, record)
        reached = [name for name, p in named if p.grad is not None]  # not frozen or unused
        for name in reached:
            layer, norm = layer_of(name), record[name][0]
            if not math.isfinite(norm) and (layer, "exploding") not in self._said:
                self._said.add((layer, "exploding"))
                alarm = (
                    f"exploding gradients in {_layer_label(records, layer)}: gradient norm "
                    f"{norm} at step {step}; {_ADVICE['exploding']}"
                )
                self._alarms.append(alarm)
                self.warnings.append(alarm)
                records.warnings.append(alarm)
                self._print(alarm)

    def on_train_end(self, logs):
        records = self.trainer.history.gradients
        judged = self.judge(records)
        records.warnings = [*self._alarms, *(message for _, message in judged)]
        self.warnings = list(records.warnings)
        for key, message in judged:
            if key not in self._said:
                self._said.add(key)
                self._print(message)

    # -- judging ---------------------------------------------------------------
    def judge(self, records: GradientRecords) -> list[tuple[tuple[str, str], str]]:
        """``((layer, kind), message)`` for each layer whose gradients vanished or exploded
        against the last layer's over ``window`` records in a row."""
        norms = records.layer_norms()
        if len(norms) < 2:
            return []
        last_layer, last = list(norms.items())[-1]
        found = []
        for layer, values in list(norms.items())[:-1]:
            ratios = [
                v / end if math.isfinite(v) and math.isfinite(end) and end > 0 else math.nan
                for v, end in zip(values, last)
            ]
            for kind, limit in (("vanishing", self.vanishing), ("exploding", self.exploding)):
                beyond = [r < limit if kind == "vanishing" else r > limit for r in ratios]
                if not _in_a_row(beyond, min(self.window, len(beyond))):
                    continue
                side = "below" if kind == "vanishing" else "above"
                message = (
                    f"{kind} gradients in {_layer_label(records, layer)}: {side} {limit:g} "
                    f"times the last layer's ({records.layers.get(last_layer, last_layer)}) "
                    f"{_episode(records, ratios, beyond, kind)}"
                )
                found.append(((layer, kind), message))
        return found

    def _print(self, message: str) -> None:
        if self.print_warnings and self.trainer.verbose:
            print(f"GradientMonitor: {message}", file=sys.stderr)


_ADVICE = {
    "vanishing": (
        "it gets almost no learning signal (saturated sigmoid or tanh units, dead ReLUs, "
        "or too many layers)"
    ),
    "exploding": "updates will overshoot (lower the learning rate)",
}
_RECOVERED = {
    "vanishing": (
        "until then it got almost no learning signal (saturated sigmoid or tanh units, "
        "dead ReLUs, or too many layers)"
    ),
    "exploding": "until then its updates overshot (a lower learning rate, or a warm-up)",
}


def _episode(records, ratios: list, beyond: list, kind: str) -> str:
    """How often and how far the ratio was beyond its limit, whether it came back, and
    what that means."""
    hits = [i for i, b in enumerate(beyond) if b]
    worst = (min if kind == "vanishing" else max)(hits, key=lambda i: ratios[i])
    last = len(ratios) - 1
    extreme = "lowest" if kind == "vanishing" else "highest"
    said = (
        f"in {len(hits)} of {len(ratios)} records, {extreme} {ratios[worst]:.2g} times at "
        f"{records.when(worst)}"
    )
    if hits[-1] == last:
        return (
            f"{said}, not recovered by step {records.steps[last]}, the last record "
            f"({ratios[last]:.2g} times); {_ADVICE[kind]}"
        )
    return (
        f"{said}, recovered from {records.when(hits[-1] + 1)} on ({ratios[last]:.2g} times "
        f"at step {records.steps[last]}); {_RECOVERED[kind]}"
    )


def _in_a_row(flags: list[bool], n: int) -> bool:
    run = 0
    for flag in flags:
        run = run + 1 if flag else 0
        if run >= n:
            return True
    return False


def _layer_label(records: GradientRecords, layer: str) -> str:
    name = records.layers.get(layer)
    return f"{name} (layer '{layer}')" if name else f"layer '{layer}'"


def _layer_names(model, tensors: list[str]) -> dict[str, str]:
    """``{'0': 'Linear 1', '2': 'Linear 2'}``: each layer's class, numbered in model order."""
    modules = dict(model.named_modules())
    counts: dict[str, int] = {}
    names = {}
    for tensor in tensors:
        layer = layer_of(tensor)
        if layer in names:
            continue
        module = modules.get(layer, model if layer == tensor else None)
        kind = type(module).__name__
        counts[kind] = counts.get(kind, 0) + 1
        names[layer] = f"{kind} {counts[kind]}"
    return names


def _norm(array) -> float:
    """L2 norm, summed in float64 so that large gradients do not overflow float32.

    Array methods only, so that it works on any device's arrays.
    """
    flat = array.reshape(-1).astype("float64", copy=False)
    return math.sqrt(float(flat @ flat))


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1
