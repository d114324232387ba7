"""Making tensors, and the library's one random generator.

Random values are always drawn on the host, from NumPy's generator, and then sent to
the tensor's device: the same seed gives the same weights on every device.
"""

from __future__ import annotations

import numpy as np

from descend import backend
from descend.tensor.tensor import Tensor, get_default_dtype

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the generator behind ``randn``, ``rand``, initialisers and dropout."""
    global _generator
    _generator = np.random.default_rng(seed)
    backend.seed(seed)  # a GPU's own generator (dropout masks drawn there)
    return _generator


def generator() -> np.random.Generator:
    """The library's random generator (reseeded by ``manual_seed``)."""
    return _generator


def tensor(data, requires_grad: bool = False, dtype=None, device=None) -> Tensor:
    """A new tensor holding a copy of ``data``, on ``device`` ('cpu', 'cuda', 'cuda:1').

    Examples
    --------
    >>> ds.tensor([1.0, 2.0], device="cpu").device
    device('cpu')
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def _shape(shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        return tuple(shape[0])
    return shape


def zeros(*shape, requires_grad: bool = False, dtype=None, device=None) -> Tensor:
    data = np.zeros(_shape(shape), dtype=dtype or get_default_dtype())
    return Tensor(data, requires_grad=requires_grad, device=device)


def ones(*shape, requires_grad: bool = False, dtype=None, device=None) -> Tensor:
    data = np.ones(_shape(shape), dtype=dtype or get_default_dtype())
    return Tensor(data, requires_grad=requires_grad, device=device)


def randn(*shape, requires_grad: bool = False, dtype=None, device=None) -> Tensor:
    """Standard normal samples from the library's generator."""
    data = _generator.standard_normal(_shape(shape), dtype=dtype or get_default_dtype())
    return Tensor(data, requires_grad=requires_grad, device=device)


def rand(*shape, requires_grad: bool = False, dtype=None, device=None) -> Tensor:
    """Uniform samples in [0, 1) from the library's generator."""
    data = _generator.random(_shape(shape), dtype=dtype or get_default_dtype())
    return Tensor(data, requires_grad=requires_grad, device=device)


def arange(start, end=None, step=1, requires_grad: bool = False, dtype=None, device=None) -> Tensor:
    """Evenly spaced values in [start, end); integers give int64, as PyTorch."""
    if end is None:
        start, end = 0, start
    if dtype is None and all(isinstance(v, int) for v in (start, end, step)):
        dtype = np.int64
    data = np.arange(start, end, step, dtype=dtype or get_default_dtype())
    return Tensor(data, requires_grad=requires_grad, device=device)
