"""Shared test tools for descend.nn: float64 gradient checks of whole modules."""

import numpy as np

import descend as ds

RNG = np.random.default_rng(2024)


def normal(*shape) -> ds.Tensor:
    return ds.tensor(RNG.standard_normal(shape))


def check_module(module, *inputs) -> bool:
    """``ds.gradcheck`` of ``module(*inputs)`` with respect to the inputs and every parameter.

    The module is converted to float64. While gradcheck runs, each parameter attribute is
    pointed at gradcheck's float64 leaf copy (``object.__setattr__`` bypasses the
    registry), so the check covers exactly what ``forward`` computes with it.
    """
    module.to(np.float64)
    named = list(module.named_parameters())
    owners = []
    for name, _ in named:
        *path, attr = name.split(".")
        owner = module
        for part in path:
            owner = getattr(owner, part)
        owners.append((owner, attr))

    def fn(*args):
        params = args[len(inputs) :]
        for (owner, attr), leaf in zip(owners, params):
            object.__setattr__(owner, attr, leaf)
        return module(*args[: len(inputs)])

    try:
        return ds.gradcheck(fn, *inputs, *[p.data for _, p in named])
    finally:
        for (owner, attr), (_, param) in zip(owners, named):
            object.__setattr__(owner, attr, param)
