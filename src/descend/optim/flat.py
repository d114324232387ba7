"""A group's parameters as views into one buffer, so that a step is a few array calls.

An optimizer's rule is a dozen elementwise passes; made tensor by tensor, a model of
many small tensors pays a dozen calls per tensor (72 for an MLP of three layers), and
on a GPU as many kernel launches. :class:`Flat` keeps the parameters of one group that
share a dtype and a device as views into one contiguous buffer, their gradients in a
second, and their per-parameter state (moments, momentum buffers) in buffers of the
same layout, so the rule runs once over the whole group.

Gradients fresh from backward are separate arrays: copying them into the buffer costs
about what the buffer saves (an MLP's Adam step: 1.01x the time tensor by tensor), so
those steps stay tensor by tensor and the buffers are not even made. The buffers serve
gradients that are gathered anyway: before an all-reduce, which then sums one array in
place (Adam 305 against 351 us a step, the others 0.77-0.90x: benchmarks/optim.py), and on a GPU,
one kernel launch per buffer.

What a user sees stays as it was: every parameter keeps its shape and memory order,
``state[p]`` holds arrays of its shape (views into the buffers), ``state_dict`` copies
them as before. One thing changes after a gather: each ``p.data`` and ``p.grad`` is
bound to its view (the values unchanged), so an array taken from ``p.data`` before is
no longer the parameter's, and a ``p.grad`` kept from one gathered step is overwritten
by the next gather. Whatever is replaced from outside later (``p.data = ...``,
``load_state_dict``) is copied into the buffers at the next flat step; a step where a
gradient is not in the buffer, or where the states differ (say in their step
counts), goes tensor by tensor.
"""

from __future__ import annotations

import numpy as np

from descend import backend
from descend.tensor.tensor import Tensor

# What prepare() decides for a step.
FLAT, EACH, REBUILD = "flat", "each", "rebuild"


def layout_key(p: Tensor) -> tuple:
    """Parameters with the same key can share buffers: dtype, array type, device."""
    data = p.data
    return data.dtype, type(data), backend.device_of(data)


def column_major(array) -> bool:
    """Whether ``array`` is laid out column-major (and not also row-major)."""
    return array.ndim > 1 and array.flags.f_contiguous and not array.flags.c_contiguous


def in_layout(flat, shape: tuple, column: bool = False):
    """The 1-d ``flat`` as an array of ``shape``, row-major or, if ``column``,
    column-major (as nn.Linear's weights): elementwise passes over arrays of one order
    stream through memory, over mixed orders they stride (20x slower in NumPy)."""
    return flat.reshape(shape[::-1]).T if column else flat.reshape(shape)


def flats(params: list[Tensor]) -> list[Flat]:
    """One :class:`Flat` per layout among ``params``, each in the parameters' order."""
    by_key: dict[tuple, list[Tensor]] = {}
    for p in params:
        by_key.setdefault(layout_key(p), []).append(p)
    return [Flat(group) for group in by_key.values()]


class Flat:
    """Parameters of one dtype and device, their gradients and state, as flat buffers.

    Attributes
    ----------
    params : list of Tensor
    data, grad : 1-d arrays
        Every parameter's values (gradients), one after the other.
    state : dict or None
        The optimizer state of the whole buffer: arrays as long as ``data`` and the
        numbers every parameter shares (the step count); None until :meth:`prepare`
        has taken in the parameters' own state.
    """

    def __init__(self, params: list[Tensor]) -> None:
        self.params = params
        self.key = layout_key(params[0])
        self._spans = []
        start = 0
        for p in params:
            self._spans.append((start, start + p.data.size, p.data.shape, column_major(p.data)))
            start += p.data.size
        self.size = start
        # The buffers are made by the first gather(): a loop that never gathers its
        # gradients (they come fresh from backward) steps tensor by tensor and needs none.
        self.data = self.grad = None
        self._data_views = self._grad_views = []
        self.state: dict | None = None
        self._states: list[dict | None] = [None] * len(params)
        self._shared: dict = {}  # state arrays of the buffer whose views the dicts hold

    def views(self, buffer) -> list:
        """Each parameter's part of ``buffer``, in its shape."""
        return [in_layout(buffer[a:b], shape, column) for a, b, shape, column in self._spans]

    def gather(self) -> bool:
        """Copy every parameter's gradient into :attr:`grad` and make ``p.grad`` its view;
        False (and nothing changed) when a gradient is missing or does not fit."""
        for p, (_, _, shape, _) in zip(self.params, self._spans):
            g = p.grad
            if g is None or g.shape != shape or g.dtype != self.key[0]:
                return False
            if type(g) is not self.key[1] and not isinstance(g, np.generic):
                return False  # on another device (a NumPy scalar is a 0-d host array)
        if self.grad is None:
            first = self.params[0].data
            xp = backend.xp_of(first)
            self.data = xp.empty(self.size, dtype=first.dtype)
            self.grad = xp.empty(self.size, dtype=first.dtype)
            self._data_views = self.views(self.data)
            self._grad_views = self.views(self.grad)
        for p, grad in zip(self.params, self._grad_views):
            if p.grad is not grad:
                grad[...] = p.grad
                p.grad = grad
        return True

    def prepare(self, state: dict) -> str:
        """Whether this step can run on the buffers, and if so bring values and state in.

        Returns ``FLAT`` when every gradient is already in :attr:`grad` (see
        :meth:`gather`: copying them there would cost the pass the buffers save),
        ``EACH`` when the step goes tensor by tensor, ``REBUILD`` when a parameter no
        longer fits the layout (a new shape, dtype or device).
        """
        if self.grad is None:
            return EACH
        for p, grad in zip(self.params, self._grad_views):
            if p.grad is not grad:
                return EACH
        for p, data in zip(self.params, self._data_views):
            if p.data is not data:
                if p.data.shape != data.shape or layout_key(p) != self.key:
                    return REBUILD
                data[...] = p.data
                p.data = data
        if self.state is None or any(
            state.get(p) is not own for p, own in zip(self.params, self._states)
        ):
            return self._take_state(state)
        return FLAT

    def _take_state(self, state: dict) -> str:
        """Copy the parameters' own state into buffers, and rebind it to views of them."""
        dicts = [state.get(p) or {} for p in self.params]
        keys = set(dicts[0])
        if any(set(d) != keys for d in dicts):
            return EACH
        xp = backend.xp_of(self.data)
        flat: dict = {}
        for key in keys:
            values = [d[key] for d in dicts]
            if all(backend.is_array(v) and v.shape == p.shape for v, p in zip(values, self.params)):
                flat[key] = buffer = xp.empty_like(self.data)
                for view, value in zip(self.views(buffer), values):
                    view[...] = value
            elif not any(backend.is_array(v) for v in values) and all(
                v == values[0] for v in values
            ):
                flat[key] = values[0]
            else:
                return EACH
        for p, d in zip(self.params, dicts):
            state[p] = d
        self.state, self._states, self._shared = flat, dicts, {}
        self.share()
        return FLAT

    def share(self) -> None:
        """After a step on the buffers: each parameter's state dict sees its new numbers,
        and views of state arrays the step has just made."""
        for key, value in self.state.items():
            if not backend.is_array(value):
                for d in self._states:
                    d[key] = value
            elif self._shared.get(key) is not value:
                for d, view in zip(self._states, self.views(value)):
                    d[key] = view
                self._shared[key] = value
