"""Inputs for gradient checks: float64 tensors with values away from kinks and poles."""

import numpy as np

import descend as ds

RNG = np.random.default_rng(1234)


def normal(*shape) -> ds.Tensor:
    return ds.tensor(RNG.standard_normal(shape))


def positive(*shape) -> ds.Tensor:
    return ds.tensor(RNG.uniform(0.5, 2.0, shape))


def away_from_zero(*shape) -> ds.Tensor:
    """Values with |x| in [0.1, 2]: no kink of relu/abs/clip within eps."""
    return ds.tensor(RNG.uniform(0.1, 2.0, shape) * RNG.choice([-1.0, 1.0], shape))
