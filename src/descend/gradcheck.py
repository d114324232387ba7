"""Checking autodiff gradients against central finite differences, in float64."""

from __future__ import annotations

import numpy as np

from descend import backend
from descend.tensor import Tensor, get_default_dtype, set_default_dtype


class GradcheckError(AssertionError):
    """Autodiff and finite differences disagree."""


def gradcheck(
    fn,
    *inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Compare the gradients of ``fn`` from backward() with central finite differences.

    Every floating tensor among ``inputs`` is copied to float64 and differentiated;
    other inputs (integer targets, flags) are passed through unchanged. A non-scalar
    output is reduced to ``sum(output * v)`` with a fixed random ``v``, so the check
    covers the whole vector-Jacobian product. The default dtype is float64 while
    ``fn`` runs, so constants made inside it are float64 too. Inputs on a device (a
    GPU) stay there: the check runs the op where it runs in training.

    For each input element, the numerical derivative is
    ``(f(x + eps) - f(x - eps)) / (2 * eps)``; it must match the analytic one within
    ``atol + rtol * |numerical|``.

    Returns
    -------
    bool
        True when every gradient matches; otherwise raises ``GradcheckError`` naming
        the input, the element and both values (or returns False when
        ``raise_exception`` is False).

    Examples
    --------
    >>> x = ds.randn(3, 4)
    >>> ds.gradcheck(lambda t: (t.tanh() * t).sum(axis=1), x)
    True
    """
    previous_dtype = get_default_dtype()
    set_default_dtype(np.float64)
    try:
        args = [_as_float64_leaf(x) for x in inputs]
        checked = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not checked:
            raise ValueError("gradcheck: no floating tensor among the inputs to differentiate")

        out = _output(fn, args)
        host_weights = np.random.default_rng(seed).standard_normal(out.shape)
        weights = backend.asarray(host_weights, out.data)

        def objective() -> float:
            return float((_output(fn, args).data * weights).sum())

        for i in checked:
            args[i].grad = None
        (out * Tensor._wrap(weights)).sum().backward()

        for i in checked:
            leaf = args[i]
            analytic = np.zeros(leaf.shape) if leaf.grad is None else backend.to_host(leaf.grad)
            numeric = _numeric_gradient(objective, leaf.data, eps)
            bad = ~np.isclose(analytic, numeric, atol=atol, rtol=rtol)
            if bad.any():
                where = tuple(int(k) for k in np.argwhere(bad)[0])
                message = (
                    f"gradcheck: gradient of input {i} (shape {leaf.shape}) disagrees at index "
                    f"{where}: autodiff {analytic[where]:.8g}, finite differences "
                    f"{numeric[where]:.8g}; {int(bad.sum())} of {bad.size} elements differ, "
                    f"max abs difference {np.max(np.abs(analytic - numeric)):.3g}"
                )
                if raise_exception:
                    raise GradcheckError(message)
                return False
        return True
    finally:
        set_default_dtype(previous_dtype)


def _as_float64_leaf(x):
    data = x.data if isinstance(x, Tensor) else x
    if (isinstance(x, Tensor) or backend.is_array(data)) and data.dtype.kind == "f":
        return Tensor(data.astype(np.float64), requires_grad=True)  # a copy, on its device
    return x


def _output(fn, args) -> Tensor:
    out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    if out.dtype != np.float64:
        raise TypeError(f"gradcheck: fn returned {out.dtype}, expected float64 throughout")
    return out


def _numeric_gradient(objective, values: np.ndarray, eps: float) -> np.ndarray:
    """Central differences, perturbing ``values`` in place one element at a time."""
    grad = np.zeros(values.shape)
    # Indexed element by element, in whatever memory order the leaf has (nn.Linear's
    # weights are column-major: a reshape(-1) of them would be a copy, not the leaf).
    for index in np.ndindex(values.shape):
        original = values[index].item()
        values[index] = original + eps
        up = objective()
        values[index] = original - eps
        down = objective()
        values[index] = original
        grad[index] = (up - down) / (2 * eps)
    return grad
