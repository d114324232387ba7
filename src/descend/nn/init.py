"""Weight initialisation, in place, as ``torch.nn.init``.

Each function overwrites the values of a Tensor (or ndarray) without replacing its
array, so an optimizer that already holds the parameter sees the new values, and
returns it. Random values come from ``generator`` when given, else from the
library's generator (``ds.manual_seed`` makes them repeatable).

Fans: for a weight of shape (out, in, *kernel), ``fan_in = in * prod(kernel)`` and
``fan_out = out * prod(kernel)``.
"""

from __future__ import annotations

import math

import numpy as np

from descend import backend
from descend.tensor import creation
from descend.tensor.tensor import Tensor

_GAINS = {
    "linear": 1.0,
    "conv2d": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4,
}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance steady through ``nonlinearity``.

    ``'leaky_relu'`` uses ``sqrt(2 / (1 + param**2))`` with ``param`` the negative
    slope (0.01 by default).
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity not in _GAINS:
        raise ValueError(
            f"calculate_gain: unknown nonlinearity {nonlinearity!r}; choose from "
            f"{', '.join([*_GAINS, 'leaky_relu'])}"
        )
    return _GAINS[nonlinearity]


def _array(tensor) -> np.ndarray:
    if isinstance(tensor, Tensor):
        return tensor.data
    if isinstance(tensor, np.ndarray):
        return tensor
    raise TypeError(f"expected a Tensor or ndarray to fill, got {type(tensor).__name__}")


def _rng(generator) -> np.random.Generator:
    return creation.generator() if generator is None else generator


def fans(tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight with at least two dimensions."""
    shape = _array(tensor).shape
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a tensor with >= 2 dimensions, got {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def constant_(tensor, value: float):
    """Fill with ``value``."""
    _array(tensor)[...] = value
    return tensor


def zeros_(tensor):
    """Fill with 0 (the usual start of a bias, or of every weight of a convex model)."""
    return constant_(tensor, 0)


def ones_(tensor):
    """Fill with 1."""
    return constant_(tensor, 1)


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill with samples from U(a, b)."""
    array = _array(tensor)
    # Drawn on the host (the same values on every device), then sent where the array is.
    array[...] = backend.asarray(_rng(generator).uniform(a, b, array.shape), array)
    return tensor


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill with samples from N(mean, std**2)."""
    array = _array(tensor)
    array[...] = backend.asarray(_rng(generator).normal(mean, std, array.shape), array)
    return tensor


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """Glorot uniform: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Keeps the variance of activations and of gradients roughly equal across layers
    with symmetric activations such as tanh.
    """
    fan_in, fan_out = fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """Glorot normal: N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan) if fan else 0.0


def kaiming_uniform_(
    tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
):
    """He uniform: U(-b, b) with ``b = gain * sqrt(3 / fan)``, suited to ReLU networks.

    ``a`` is the negative slope of the leaky ReLU that follows (0: plain ReLU). With
    ``a = sqrt(5)`` the bound is ``1 / sqrt(fan_in)``: PyTorch's default for Linear and
    Conv2d weights.
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def layer_default_(weight, bias=None) -> None:
    """PyTorch's default for Linear and Conv2d: weight and bias from U(-b, b), ``b = 1 /
    sqrt(fan_in)`` (the weight through ``kaiming_uniform_`` with ``a = sqrt(5)``)."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1 / math.sqrt(fans(weight)[0])
        uniform_(bias, -bound, bound)


def kaiming_normal_(
    tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
):
    """He normal: N(0, std**2) with ``std = gain / sqrt(fan)``."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)
