"""Dropout: zero random elements while training, scale the rest by 1 / (1 - p)."""

from __future__ import annotations

import numpy as np

from descend import backend
from descend.tensor import creation
from descend.tensor.tensor import Tensor, make


def dropout(x, p: float = 0.5, training: bool = True, generator=None) -> Tensor:
    """Zero each element with probability ``p`` and scale the survivors by ``1 / (1 - p)``.

    The scaling ("inverted dropout") keeps the expected value of every element, so
    nothing changes at evaluation time, when dropout is the identity.

    Parameters
    ----------
    x : Tensor
    p : float in [0, 1]
        Probability of zeroing an element.
    training : bool
        False: return ``x`` unchanged.
    generator : numpy.random.Generator, optional
        Source of the random mask; the library's generator (``ds.manual_seed``) by default.
        On a GPU without ``generator`` the mask comes from the GPU's own generator
        (seeded by ``ds.manual_seed`` too, but not the same values as on the CPU).

    Examples
    --------
    >>> dropout(ds.ones(6), p=0.5, generator=np.random.default_rng(0))
    tensor([2., 2., 2., 0., 0., 0.])
    """
    check_probability(p, "dropout")
    x = x if isinstance(x, Tensor) else Tensor(x)
    if not training or p == 0:
        return x
    if x.data.dtype.kind != "f":
        raise TypeError(f"dropout: expected a floating input, got {x.dtype}")
    xp = backend.xp_of(x.data)
    if p == 1:
        mask = xp.zeros(x.shape, dtype=x.dtype)
    elif generator is None and not backend.is_host(x.data):
        mask = (backend.uniform(x.data, x.shape, x.dtype, creation.generator()) >= p) / (1 - p)
        mask = mask.astype(x.dtype, copy=False)
    else:
        rng = creation.generator() if generator is None else generator
        keep = rng.random(x.shape, dtype=x.dtype) >= p
        mask = backend.asarray(np.multiply(keep, 1 / (1 - p), dtype=x.dtype), x.data)
    return make(x.data * mask, (x,), lambda g: (g * mask,), "dropout", (p,))


def check_probability(p, name: str) -> None:
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
        raise ValueError(f"{name}: p must be a probability in [0, 1], got {p!r}")
