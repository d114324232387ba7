"""Reverse-mode automatic differentiation: grad mode, tracing, broadcasting, the backward walk.

Every op records, on the tensor it returns, its inputs (``_parents``) and a
function (``_backward``) that maps the gradient of the output to one gradient
per input. ``backward`` orders the graph topologically and walks it once from
the output to the leaves, summing gradients where a tensor is used twice.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from descend import backend
from descend.backend import xp_of

_grad_enabled = True


def is_grad_enabled() -> bool:
    """Whether ops record the graph (False inside ``no_grad``)."""
    return _grad_enabled


@contextmanager
def no_grad():
    """Context manager (and decorator) in which ops record no graph.

    The place for a hand-written parameter update: in-place operators change the
    leaf's values (the same tensor, the same array), as PyTorch's do. Outside
    ``no_grad`` they are refused on a leaf that requires grad.

    Examples
    --------
    >>> w = ds.tensor([1.0, 2.0], requires_grad=True)
    >>> (w * w).sum().backward()
    >>> with ds.no_grad():
    ...     w -= 0.1 * w.grad
    >>> w
    tensor([0.8, 1.6], requires_grad=True)
    """
    global _grad_enabled
    previous = _grad_enabled
    _grad_enabled = False
    try:
        yield
    finally:
        _grad_enabled = previous


# The recorder of every op made while a model is exported (descend.onnx), else None.
tracer = None


@contextmanager
def tracing(recorder):
    """Hand every op made inside to ``recorder.record(op, attrs, parents, out)``.

    Modules also hand their calls to ``recorder.call_module(module, args, kwargs)``,
    so the recorder knows which module each op ran in. ``descend.onnx`` exports a
    model this way; outside ``tracing`` the ops pay one ``is None`` check.
    """
    global tracer
    previous, tracer = tracer, recorder
    try:
        yield recorder
    finally:
        tracer = previous


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes along which an input of ``shape`` was broadcast."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def backward(root, grad=None, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires grad."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward() called on a tensor that does not require grad: no input of the "
            "computation had requires_grad=True, or it ran inside no_grad()"
        )
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() without a grad argument needs a scalar, got a tensor of shape "
                f"{root.shape}; reduce it first (.sum() or .mean()) or pass grad= of that shape"
            )
        grad = xp_of(root.data).ones(root.data.shape, dtype=root.data.dtype)
    else:
        # A copy on the root's device: the leaves may keep it and write into it.
        grad = backend.asarray(getattr(grad, "data", grad), root.data, root.data.dtype).copy()
        if grad.shape != root.shape:
            raise ValueError(f"backward(): grad has shape {grad.shape}, expected {root.shape}")

    # Tensors hash by identity, so they key the walk's dicts and sets directly.
    grads = {root: grad}
    delivered = set()
    for node in _topological_order(root):
        g = grads.pop(node, None)
        if g is None:
            continue
        fn = node._backward
        if fn is None:
            _accumulate(node, g, delivered)
            continue
        parents = node._parents
        if not retain_graph:
            node._backward = None
            node._parents = None
        for parent, pg in zip(parents, fn(g)):
            if pg is not None and parent.requires_grad:
                previous = grads.get(parent)
                grads[parent] = pg if previous is None else previous + pg


def _topological_order(root) -> list:
    """Nodes that require grad, each after every node that uses it (root first)."""
    order = []
    visited = set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        parents = node._parents
        if parents is None:
            raise RuntimeError(
                "backward() through a graph that was already freed by an earlier backward(); "
                "recompute the forward pass, or pass retain_graph=True to the first backward()"
            )
        stack.append((node, True))
        for parent in parents:
            if parent.requires_grad and parent not in visited:
                stack.append((parent, False))
    order.reverse()
    return order


def _accumulate(leaf, g: np.ndarray, delivered: set) -> None:
    if leaf.grad is not None:
        leaf.grad = leaf.grad + g
        return
    # Keep the incoming array when this leaf alone can own it; copy read-only
    # broadcast views and arrays whose memory another leaf already holds.
    owner = g if g.base is None else g.base
    if id(owner) in delivered or not backend.writeable(g):
        g = g.copy()
        owner = g
    delivered.add(id(owner))
    leaf.grad = g
