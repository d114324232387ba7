"""descend: the whole gradient-descent training system on NumPy.

>>> import descend as ds
>>> w = ds.tensor([2.0], requires_grad=True)
>>> ((w * 3 - 1) ** 2).sum().backward()
"""

from descend.gradcheck import gradcheck
from descend.tensor import (
    Tensor,
    arange,
    concat,
    get_default_dtype,
    is_grad_enabled,
    manual_seed,
    no_grad,
    ones,
    rand,
    randn,
    set_default_dtype,
    stack,
    tensor,
    where,
    zeros,
)

__version__ = "0.1.0"

__all__ = [
    "Tensor",
    "arange",
    "concat",
    "get_default_dtype",
    "gradcheck",
    "is_grad_enabled",
    "manual_seed",
    "no_grad",
    "ones",
    "rand",
    "randn",
    "set_default_dtype",
    "stack",
    "tensor",
    "where",
    "zeros",
]
