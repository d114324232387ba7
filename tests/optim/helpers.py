"""Running an optimizer on one parameter with given gradients, for hand-computed checks."""

import numpy as np

import descend as ds


def path(cls, grads, p0=(1.0, -2.0), **kwargs) -> list:
    """The parameter's values after one ``cls(**kwargs)`` step per gradient, from ``p0``."""
    p = ds.tensor(np.array(p0, dtype=float), requires_grad=True)
    opt = cls([p], **kwargs)
    values = []
    for g in grads:
        p.grad = np.array(g, dtype=float)
        opt.step()
        values.append(p.data.copy())
    return values
