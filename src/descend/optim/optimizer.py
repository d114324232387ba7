"""The Optimizer base: parameter groups, per-parameter state, the step loop, checkpoints.

A subclass writes one method, ``_update(param, grad, state, group)``: the in-place
update of one parameter array. The base class finds the parameters that have a
gradient, hands each one its state dict (empty on the first step, so the subclass
creates what it needs lazily) and its group's hyperparameters, and lends scratch
arrays so that a step in steady state allocates nothing of parameter size. Where the
gradients have been gathered into one buffer per group, dtype and device
(:meth:`Optimizer.gradient_buffers`, before an all-reduce), ``_update`` runs once on
the whole buffer instead of once per parameter (:mod:`descend.optim.flat`).

One update, two spellings, one per kind of device: NumPy ufuncs writing in place (the
CPU, and any device without kernels), and one fused elementwise kernel per parameter
where the device compiles them (CUDA through CuPy): the same rule written once as a
few lines of arithmetic (:func:`fused`), so a GPU step costs one launch per tensor
instead of about twelve. State lives on its parameter's device.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Callable, Iterable

import numpy as np

from descend import backend
from descend.optim.flat import FLAT, REBUILD, Flat, column_major, flats, in_layout
from descend.tensor.tensor import Tensor


class Optimizer:
    """Base class of every optimizer.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        The tensors to optimize, or parameter groups: dicts with a ``"params"`` entry
        and any hyperparameters that differ from ``defaults`` for that group.
    defaults : dict
        Hyperparameters of every group that does not set its own.

    Attributes
    ----------
    param_groups : list of dict
        One dict per group: ``"params"`` (a list of tensors) and the hyperparameters
        (``"lr"`` and the optimizer's others). Schedulers change ``"lr"`` here.
    state : dict
        Per-parameter state (moment estimates, step counts), keyed by the tensor,
        created on the parameter's first update.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict) -> None:
        self._validate(defaults)
        self.defaults = dict(defaults)
        self.param_groups: list[dict] = []
        self.state: dict[Tensor, dict] = {}
        self._scratch: dict[tuple, np.ndarray] = {}
        self._flat_groups: list[tuple[list, list[Flat]]] = []  # per group: see flat.py
        # Counted so that schedulers can warn when they step before the optimizer does.
        self._step_count = 0
        if isinstance(params, Tensor | dict):
            params = [params]
        if isinstance(params, set):
            raise TypeError("parameters must come in an ordered collection (a list), not a set")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not all(isinstance(group, dict) for group in groups):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- what a subclass provides ---------------------------------------------------------
    def _validate(self, group: dict) -> None:
        """Raise ValueError for a hyperparameter out of range (called for every group)."""

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        """Update ``param`` in place from ``grad``; ``state`` is empty on the first call."""
        raise NotImplementedError

    # -- the loop -------------------------------------------------------------------------
    def step(self, closure: Callable[[], object] | None = None):
        """Update every parameter that has a gradient, all with this step's gradients.

        Parameters
        ----------
        closure : callable, optional
            Recomputes the loss (zero the gradients, forward, backward) and returns it;
            it is called before the update and its result is returned.
        """
        loss = closure() if closure is not None else None
        for i, group in enumerate(self.param_groups):
            group_flats = self._flats_of(i)
            ways = [flat.prepare(self.state) for flat in group_flats]
            if REBUILD in ways:  # a parameter got a new shape, dtype or device
                group_flats = self._flats_of(i, rebuild=True)
                ways = [flat.prepare(self.state) for flat in group_flats]
            for flat, way in zip(group_flats, ways):
                if way == FLAT:
                    self._update(flat.data, flat.grad, flat.state, group)
                    flat.share()
                else:  # tensor by tensor; the buffers take the state in again later
                    flat.state = None
                    for p in flat.params:
                        self._update_one(p, group)
        self._step_count += 1
        return loss

    def _update_one(self, p: Tensor, group: dict) -> None:
        grad = p.grad
        if grad is None:
            return
        if grad.shape != p.data.shape:
            raise ValueError(
                f"{type(self).__name__}: a parameter of shape {p.data.shape} has a "
                f"gradient of shape {grad.shape}"
            )
        param_state = self.state.get(p)
        if param_state is None:
            param_state = self.state[p] = {}
        self._update(p.data, grad, param_state, group)

    def _flats_of(self, i: int, rebuild: bool = False) -> list[Flat]:
        """Group ``i``'s buffers (see :mod:`descend.optim.flat`), made anew when its
        parameters changed or ``rebuild`` asks."""
        params = self.param_groups[i]["params"]
        while len(self._flat_groups) <= i:
            self._flat_groups.append(([], []))
        kept, group_flats = self._flat_groups[i]
        same = len(kept) == len(params) and all(map(operator.is_, kept, params))
        if rebuild or not same:
            group_flats = flats(params)
            self._flat_groups[i] = (list(params), group_flats)
        return group_flats

    def gradient_buffers(self) -> list:
        """This step's gradients, gathered into one flat array per group, dtype and
        device, for an all-reduce to sum in place before :meth:`step`.

        Each parameter's ``.grad`` becomes a view of its buffer, so the step that
        follows reads the reduced values without a copy. Buffers whose parameters do
        not all have a gradient are left out (their step goes tensor by tensor).
        """
        buffers = []
        for i in range(len(self.param_groups)):
            buffers += [flat.grad for flat in self._flats_of(i) if flat.gather()]
        return buffers

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set ``.grad`` to None (default) or fill it with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                elif backend.writeable(p.grad):
                    p.grad.fill(0)
                else:
                    p.grad = np.zeros_like(p.grad)

    def _work(self, like: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Two scratch arrays shaped like ``like``, reused by every parameter and step."""
        n = like.size
        key = (like.dtype, type(like))  # one buffer per dtype and device
        buffer = self._scratch.get(key)
        if buffer is None or buffer.size < 2 * n:
            buffer = backend.xp_of(like).empty(2 * n, dtype=like.dtype)
            self._scratch[key] = buffer
        shape, column = like.shape, column_major(like)
        return in_layout(buffer[:n], shape, column), in_layout(buffer[n : 2 * n], shape, column)

    # -- groups ---------------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyperparameters (missing ones default).

        Useful to fine-tune: train new layers with one learning rate and old ones with
        another, or add layers to an optimizer that is already running.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("a parameter group needs a 'params' entry")
        params = param_group["params"]
        if isinstance(params, set):
            raise TypeError("parameters must come in an ordered collection (a list), not a set")
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{type(self).__name__} can only optimize Tensors, got {type(p).__name__}"
                )
            if p.dtype.kind != "f":
                raise TypeError(f"only floating tensors can be optimized, got one of {p.dtype}")
            if not p.is_leaf:
                raise ValueError(
                    "cannot optimize a non-leaf tensor (the result of an op); "
                    "optimize the tensors it was computed from"
                )
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids) or seen.intersection(ids):
            raise ValueError("a parameter appears more than once in the optimizer's groups")
        group = {**self.defaults, **param_group, "params": params}
        self._validate(group)
        self.param_groups.append(group)

    # -- checkpoints ----------------------------------------------------------------------
    def state_dict(self) -> dict:
        """A snapshot of the optimizer: ``{"state": ..., "param_groups": ...}``.

        As in PyTorch, parameters are named by their position across the groups
        (0, 1, 2, ...): ``state`` maps that index to the parameter's state and each
        group lists the indices of its parameters. The snapshot holds only Python
        numbers, booleans, tuples and NumPy copies of the state arrays (host arrays on
        every device), so it can be saved without pickle and does not change when
        training goes on.
        """
        state, groups, index = {}, [], 0
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = list(range(index, index + len(group["params"])))
            groups.append(packed)
            for p in group["params"]:
                if self.state.get(p):
                    state[index] = {key: _snapshot(value) for key, value in self.state[p].items()}
                index += 1
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a snapshot made by ``state_dict()`` of an optimizer of the same layout.

        Hyperparameters are taken from the snapshot; arrays are copied into the
        parameters' dtypes; the parameters themselves stay those of this optimizer.
        """
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(
                "expected a dict with keys 'state' and 'param_groups', as made "
                "by Optimizer.state_dict()"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"the state dict has {len(saved_groups)} parameter groups, this "
                f"optimizer has {len(self.param_groups)}"
            )
        params = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"parameter group {i} of the state dict has "
                    f"{len(saved['params'])} parameters, this optimizer's has "
                    f"{len(group['params'])}"
                )
            params.update(zip((int(k) for k in saved["params"]), group["params"]))
        state = {}
        for key, saved in state_dict["state"].items():
            if int(key) not in params:
                raise ValueError(
                    f"the state dict has state for parameter {key}, which no group lists"
                )
            p = params[int(key)]
            state[p] = {name: _restore(value, p, name, key) for name, value in saved.items()}
        groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            new = dict(group)  # keys the snapshot lacks keep their current values
            new.update(
                (name, _restore_hyper(value, group.get(name)))
                for name, value in saved.items()
                if name != "params"
            )
            self._validate(new)
            groups.append(new)
        self.param_groups = groups
        self.state = state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"


def _snapshot(value):
    """A state entry as it goes into a snapshot: arrays as host copies, numbers as they are."""
    if isinstance(value, np.ndarray):
        return value.copy()
    return backend.to_host(value) if backend.is_array(value) else value


def _restore(value, p: Tensor, name: str, key):
    """A state entry of a snapshot: counts as Python numbers, arrays as parameter-shaped
    copies on the parameter's device."""
    ndim = value.ndim if hasattr(value, "ndim") else np.ndim(value)
    if name == "step" or (ndim == 0 and p.ndim != 0):
        return value.item() if hasattr(value, "item") else value
    array = value if backend.is_array(value) else np.asarray(value)
    if array.shape != p.shape:
        raise ValueError(
            f"state '{name}' of parameter {key} has shape {array.shape}, the "
            f"parameter has shape {p.shape}"
        )
    array = backend.to_device(array.astype(p.dtype, copy=True), backend.device_of(p.data))
    restored = backend.xp_of(p.data).empty_like(p.data)  # in the parameter's layout
    restored[...] = array
    return restored


def _restore_hyper(value, current):
    """A hyperparameter of a snapshot, as a plain Python value (tuples stay tuples)."""
    if isinstance(value, np.ndarray | np.generic):
        value = value.tolist()
    if isinstance(current, tuple) and isinstance(value, list):
        value = tuple(value)
    return value


# -- helpers the optimizers share --------------------------------------------------------
def check_range(
    group: dict,
    key: str,
    what: str,
    low: float = 0.0,
    high: float | None = None,
    open_high: bool = True,
) -> None:
    """Raise ``ValueError("Invalid <what>: <value>")`` unless ``low <= group[key]`` (< high)."""
    value = group[key]
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{key} must be a real number, got {type(value).__name__} {value!r}")
    inside = low <= value and (high is None or (value < high if open_high else value <= high))
    if not inside:
        bound = f"in [{low}, {high})" if high is not None else f">= {low}"
        raise ValueError(f"Invalid {what}: {value} (expected a number {bound})")


def decayed_grad(
    param: np.ndarray, grad: np.ndarray, weight_decay: float, maximize: bool, out: np.ndarray
) -> np.ndarray:
    """The gradient the rule uses: ``(-grad if maximize else grad) + weight_decay * param``.

    Out of place (into ``out`` when there is anything to compute): ``p.grad`` stays
    what backward made it.
    """
    if weight_decay == 0:
        return backend.xp_of(grad).negative(grad, out=out) if maximize else grad
    xp = backend.xp_of(param)
    xp.multiply(param, weight_decay, out=out)
    return xp.subtract(out, grad, out=out) if maximize else xp.add(grad, out, out=out)


def ema_(average: np.ndarray, value: np.ndarray, decay: float, work: np.ndarray) -> None:
    """``average = decay * average + (1 - decay) * value``, in place.

    ``value`` may be ``work`` itself (say a squared gradient just computed there).
    """
    average *= decay  # in-place operators: the same ufuncs, parsed faster than out=
    average += backend.xp_of(value).multiply(value, 1 - decay, out=work)


def fused(param: np.ndarray, name: str, source: Callable, *flags):
    """The update ``source(*flags)`` as one elementwise kernel on ``param``'s device, or
    None where the NumPy spelling of the rule runs instead (the CPU: checked first, so
    the CPU's step pays one type check).

    ``source`` gives ``(inputs, outputs, lines)``: the kernel's arguments declared as
    CuPy's ``ElementwiseKernel`` does (``'T grad, T lr'``, ``'T p, T m'``; outputs are
    read and written) and statements of plain arithmetic, ``sqrt`` and ``max``
    (``T g = grad + wd * p;``, ``m = b1 * m + (1 - b1) * g;``).
    """
    if type(param) is np.ndarray:
        return None
    inputs, outputs, lines = source(*flags)
    return backend.kernel(param, name, inputs, outputs, "\n".join(lines))


def signed(group: dict) -> float:
    """-1 when the group maximizes, else 1: the factor a fused kernel gives the gradient."""
    return -1.0 if group["maximize"] else 1.0
