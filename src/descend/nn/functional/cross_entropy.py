"""Classification losses over C classes: cross-entropy of logits and NLL of log-probabilities.

``cross_entropy`` fuses log-softmax and the negative log-likelihood into one op. Its
forward subtracts each row's largest logit before ``exp`` (log-sum-exp), so any finite
logit gives a finite loss; its backward is ``softmax(z) - onehot(y)`` per row, scaled
by the reduction.
"""

from __future__ import annotations

import numpy as np

from descend import backend
from descend.backend import xp_of
from descend.nn.functional.reduction import as_weight, check_reduction, reduce, upstream
from descend.tensor.tensor import Tensor, make


def cross_entropy(
    input, target, weight=None, reduction: str = "mean", label_smoothing: float = 0.0
) -> Tensor:
    """Softmax cross-entropy of logits against class indices (or class probabilities).

    ``loss_i = -log softmax(z_i)[y_i] = logsumexp(z_i) - z_i[y_i]``, as
    ``torch.nn.functional.cross_entropy``.

    Parameters
    ----------
    input : Tensor of shape (N, C)
        Logits (any real numbers; no softmax applied beforehand).
    target : array_like of shape (N,) with integers in [0, C), or (N, C) floats
        Class indices, or a probability distribution over the classes per row.
    weight : array_like of shape (C,), optional
        Weight of each class; with 'mean', the losses are averaged with these weights.
    reduction : {'mean', 'sum', 'none'}
    label_smoothing : float in [0, 1]
        Mix the target with the uniform distribution over the C classes.

    Examples
    --------
    >>> logits = ds.tensor([[2.0, 0.5, -1.0]], requires_grad=True)
    >>> loss = cross_entropy(logits, np.array([0]))
    >>> loss.backward()
    >>> logits.grad.round(4)  # softmax minus one-hot: [0.7856, 0.1753, 0.0391] - [1, 0, 0]
    array([[-0.2144,  0.1753,  0.0391]], dtype=float32)
    """
    name = "cross_entropy"
    check_reduction(reduction, name)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    z = _scores(input, name)
    n, c = z.shape
    xp = xp_of(z.data)
    shifted = z.data - z.data.max(axis=1, keepdims=True)
    exp = xp.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    log_probs = shifted - xp.log(total)
    w = _class_weight(weight, c, z, name)
    t = _targets(target, n, c, z, name)

    if t.ndim == 1 and w is None and label_smoothing == 0:
        rows = xp.arange(n)
        losses = -log_probs[rows, t]

        def backward(g):
            scale = _per_row(upstream(g, reduction, n))
            if type(exp) is not np.ndarray:  # on a GPU: one fused kernel, not five
                kernel = backend.kernel(exp, "cross_entropy_backward", *_BACKWARD)
                if kernel is not None:
                    grad = xp.empty_like(exp)
                    kernel(exp, total, xp.arange(c, dtype=t.dtype), t[:, None], scale, grad)
                    return (grad,)
            grad = exp / total
            grad[rows, t] -= 1
            grad *= scale
            return (grad,)

        return make(reduce(losses, reduction), (z,), backward, "cross_entropy")

    # General case: a target distribution q per row (one-hot, smoothed, weighted);
    # loss_i = -sum_c q_ic log p_ic and its gradient is p_i * sum_c q_ic - q_i.
    if t.ndim == 1:
        q = xp.zeros((n, c), dtype=z.dtype)
        q[xp.arange(n), t] = 1
        count = n if w is None else w[t].sum()
    else:
        q, count = t, n
    if label_smoothing:
        q = q * (1 - label_smoothing) + label_smoothing / c
    if w is not None:
        q = q * w
    losses = -(q * log_probs).sum(axis=1)

    def backward_general(g):
        grad = exp / total * q.sum(axis=1, keepdims=True) - q
        grad *= _per_row(upstream(g, reduction, count))
        return (grad,)

    return make(reduce(losses, reduction, count), (z,), backward_general, "cross_entropy")


# softmax(z) - onehot(y), scaled, in one pass: ``col`` is each column's class index.
_BACKWARD = (
    "T e, T total, I col, I t, T scale",
    "T grad",
    "grad = (e / total - (col == t)) * scale;",
)


def nll_loss(input, target, weight=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: ``-input[i, y_i]`` for log-probabilities ``input``.

    Use after ``log_softmax``; ``cross_entropy`` does both in one stable step.

    Parameters
    ----------
    input : Tensor of shape (N, C)
        Log-probabilities.
    target : array_like of shape (N,)
        Class indices in [0, C).
    weight : array_like of shape (C,), optional
        Weight of each class; with 'mean', the losses are averaged with these weights.
    reduction : {'mean', 'sum', 'none'}
    """
    name = "nll_loss"
    check_reduction(reduction, name)
    x = _scores(input, name)
    n, c = x.shape
    xp = xp_of(x.data)
    t = _targets(target, n, c, x, name, probabilities=False)
    w = _class_weight(weight, c, x, name)
    rows = xp.arange(n)
    picked = -x.data[rows, t]
    losses = picked if w is None else picked * w[t]
    count = n if w is None else w[t].sum()

    def backward(g):
        grad = xp.zeros((n, c), dtype=x.dtype)
        scale = upstream(g, reduction, count)
        grad[rows, t] = -scale if w is None else -scale * w[t]
        return (grad,)

    return make(reduce(losses, reduction, count), (x,), backward, "nll_loss")


def _scores(input, name: str) -> Tensor:
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim != 2:
        raise ValueError(f"{name}: expected input of shape (N, C), got {x.shape}")
    if x.data.dtype.kind != "f":
        raise TypeError(f"{name}: expected floating scores, got {x.dtype}")
    return x


def _targets(target, n: int, c: int, x: Tensor, name: str, probabilities: bool = True):
    """Class indices (N,) checked to lie in [0, C), or a (N, C) float distribution, on
    the device of the scores ``x``.

    Host targets are checked on the host and then sent to the device, so that a step on
    a GPU does not wait for it; targets already on a device cost one wait.
    """
    t = target.data if isinstance(target, Tensor) else target
    t = t if backend.is_array(t) else np.asarray(t)
    if probabilities and t.dtype.kind == "f" and t.shape == (n, c):
        return _on_device_of(t.astype(x.dtype, copy=False), x, name)
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: class targets must be integers, got dtype {t.dtype} with shape "
            f"{t.shape}; convert them with .astype(int)"
            + (f", or pass probabilities of shape ({n}, {c})" if probabilities else "")
        )
    if t.shape != (n,):
        raise ValueError(
            f"{name}: expected {n} class targets (shape ({n},)) for input of shape "
            f"({n}, {c}), got shape {t.shape}"
        )
    host = backend.is_host(t)
    if n and (t.min() < 0 or t.max() >= c if host else bool(((t < 0) | (t >= c)).any())):
        bad = t[(t < 0) | (t >= c)][0].item()
        raise ValueError(f"{name}: class targets must be in [0, {c}) for {c} classes, got {bad}")
    return _on_device_of(t, x, name)


def _on_device_of(t, x: Tensor, name: str):
    if backend.device_of(t) == backend.device_of(x.data):
        return t
    if not backend.is_host(t):
        raise RuntimeError(
            f"{name}: expected all tensors on one device, got {backend.device_of(x.data)} "
            f"and {backend.device_of(t)} (target)"
        )
    return backend.asarray(t, x.data)


def _class_weight(weight, c: int, x: Tensor, name: str) -> np.ndarray | None:
    w = as_weight(weight, x.dtype, name, like=x.data)
    if w is not None and w.shape != (c,):
        raise ValueError(f"{name}: weight must have shape ({c},), one per class, got {w.shape}")
    return w


def _per_row(scale: np.ndarray) -> np.ndarray:
    """A per-sample scale (N,) as a column, to multiply (N, C) rows; a 0-d one as it is."""
    return scale.reshape(-1, 1) if scale.ndim else scale
