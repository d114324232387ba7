"""GradientMonitor: the health of the learning signal, layer by layer."""

from __future__ import annotations

import math
import sys

import numpy as np

from descend import backend
from descend.train.callback import Callback

QUANTITIES = ("grad_norm", "weight_norm", "update_ratio")


class GradientMonitor(Callback):
    """Record each parameter tensor's gradient norm, weight norm and update-to-weight ratio.

    On a recording step, for every parameter tensor (named as in ``state_dict``): the
    L2 norm of its gradient, the L2 norm of its weights before the update, and the
    update-to-weight ratio ``||w_after - w_before|| / ||w_before||`` of the optimizer's
    actual step (about 1e-3 is the usual healthy size). The weights are copied before
    a recording step only, so the other steps cost nothing.

    It warns, naming the layer, when gradients vanish (a layer's gradient norm is
    below ``vanishing`` times the last layer's: the early layers hardly learn) or
    explode (above ``exploding`` times the last layer's, or not finite). Each layer
    is warned about once per kind. Warnings are kept in ``warnings`` and printed to
    stderr unless ``print_warnings`` is False or the Trainer is silent.

    The records go into ``trainer.history.gradients`` (and so into the History's JSON)::

        {"every": "epoch", "step": [1, 35, ...], "epoch": [1, 2, ...],
         "grad_norm": {"0.weight": [...], "0.bias": [...], ...},
         "weight_norm": {...}, "update_ratio": {...}, "warnings": [...]}

    ``ds.plot.gradients`` draws them; the ``TensorBoard`` callback writes them.

    Parameters
    ----------
    every : 'epoch' or int
        ``'epoch'``: record the first update of every epoch (epoch 1's record shows the
        network as initialised). An int k: the first update and every k-th after it.
    vanishing, exploding : float
        The ratios to the last layer's gradient norm that trigger a warning.
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
    >>> history.gradients["step"], list(history.gradients["grad_norm"])[:2]
    ([1, 5], ['0.weight', '0.bias'])
    >>> print(monitor.warnings[0])
    vanishing gradients in layer '0' (Linear): gradient norm ... at step 1, ... times the
    last layer's ('12', ...); it gets almost no learning signal (...)
    """

    def __init__(
        self,
        every: int | str = "epoch",
        vanishing: float = 1e-3,
        exploding: float = 1e3,
        print_warnings: bool = True,
    ):
        if every != "epoch" and (
            isinstance(every, bool) or not isinstance(every, int) or every < 1
        ):
            raise ValueError(f"every must be 'epoch' or a positive number of steps, got {every!r}")
        if not 0 < vanishing < 1 < exploding:
            raise ValueError(
                f"expected 0 < vanishing < 1 < exploding, got vanishing={vanishing}, "
                f"exploding={exploding}"
            )
        self.every, self.vanishing, self.exploding = every, vanishing, exploding
        self.print_warnings = print_warnings
        super().__init__()

    def reset(self):
        self.warnings: list[str] = []
        self._warned: set[tuple[str, str]] = set()
        self._epoch = 0
        self._due = False  # every='epoch': the epoch's first update is still to come
        self._recording = None  # the step whose weights were copied before it
        self._before: list[np.ndarray] = []

    def state_dict(self):
        return {"warnings": list(self.warnings), "warned": [list(w) for w in self._warned]}

    def load_state_dict(self, state):
        self.warnings = list(state["warnings"])
        self._warned = {tuple(w) for w in state["warned"]}

    # -- the hooks -------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs):
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
        arrays = []
        for (_, param), before in zip(named, self._before):
            arrays += [param.grad, before, param.data - before]
        norms = iter(_norms(arrays))  # on a GPU: one wait for all of them
        record = {}
        for name, _ in named:
            grad, weight, update = next(norms), next(norms), next(norms)
            record[name] = (grad, weight, update / weight if weight > 0 else math.nan)
        self._before = []
        self._store(step, record)
        reached = {name: p.grad is not None for name, p in named}  # not frozen or unused
        grad_norms = {name: values[0] for name, values in record.items() if reached[name]}
        for message in self._check(step, grad_norms):
            self._warn(message)

    # -- records and warnings --------------------------------------------------
    def _store(self, step: int, record: dict) -> None:
        history = self.trainer.history
        if not history.gradients:
            history.gradients = {"every": self.every, "step": [], "epoch": []}
            history.gradients.update({q: {} for q in QUANTITIES})
            history.gradients["warnings"] = []
        records = history.gradients
        n = len(records["step"])
        records["step"].append(step)
        records["epoch"].append(self._epoch)
        for i, quantity in enumerate(QUANTITIES):
            columns = records[quantity]
            for name, values in record.items():
                columns.setdefault(name, [math.nan] * n).append(values[i])
            for column in columns.values():
                if len(column) < n + 1:
                    column.append(math.nan)

    def _check(self, step: int, grad_norms: dict) -> list[str]:
        """The messages for layers whose gradients vanish or explode at this step."""
        layers = _by_layer(grad_norms)
        if not layers:
            return []
        last_name, last = list(layers.items())[-1]
        modules = dict(self.trainer.model.named_modules())
        messages = []
        for layer, norm in layers.items():
            kind = None
            if not math.isfinite(norm):
                kind, how = "exploding", f"gradient norm {norm} at step {step}"
            elif layer != last_name and last > 0 and math.isfinite(last):
                ratio = norm / last
                how = (
                    f"gradient norm {norm:.2g} at step {step}, {ratio:.2g} times the last "
                    f"layer's ('{last_name}', {last:.2g})"
                )
                if ratio < self.vanishing:
                    kind = "vanishing"
                elif ratio > self.exploding:
                    kind = "exploding"
            if kind is None or (layer, kind) in self._warned:
                continue
            self._warned.add((layer, kind))
            module = modules.get(layer)
            what = f"layer '{layer}'" + (f" ({type(module).__name__})" if module else "")
            advice = _ADVICE[kind]
            messages.append(f"{kind} gradients in {what}: {how}; {advice}")
        return messages

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        self.trainer.history.gradients["warnings"].append(message)
        if self.print_warnings and self.trainer.verbose:
            print(f"GradientMonitor: {message}", file=sys.stderr)


_ADVICE = {
    "vanishing": (
        "it gets almost no learning signal (saturated sigmoid or tanh units, dead ReLUs, "
        "or too many layers)"
    ),
    "exploding": "updates will overshoot (lower the learning rate)",
}


def _norms(arrays: list) -> list[float]:
    """L2 norms (NaN for None), summed in float64 so that large gradients do not overflow
    float32; computed where the arrays live and brought to the host together."""
    present = [a for a in arrays if a is not None]
    if not present:
        return [math.nan] * len(arrays)
    xp = backend.xp_of(present[0])
    squares = []
    for array in present:
        flat = array.reshape(-1).astype(np.float64, copy=False)
        squares.append(xp.dot(flat, flat))
    values = iter(backend.to_host(xp.stack(squares)).tolist())
    return [math.nan if a is None else math.sqrt(next(values)) for a in arrays]


def _by_layer(grad_norms: dict) -> dict:
    """Gradient norm of each layer (its tensors' norms combined), in the model's order.

    A layer is the module that owns the tensor: ``features.3`` for
    ``features.3.weight``; a tensor of the model itself is its own layer.
    """
    squares: dict[str, float] = {}
    for name, norm in grad_norms.items():
        layer = name.rpartition(".")[0] or name
        squares[layer] = squares.get(layer, 0.0) + norm * norm
    return {layer: math.sqrt(total) for layer, total in squares.items()}
