"""Batch normalisation layers: BatchNorm1d for (N, C) or (N, C, L), BatchNorm2d for images."""

from __future__ import annotations

import numpy as np

from descend.checks import positive_int
from descend.nn import functional as F
from descend.nn import init
from descend.nn.module import Module, Parameter
from descend.tensor.tensor import Tensor, get_default_dtype


class _BatchNorm(Module):
    _ndims: tuple[int, ...] = ()
    _layout: str = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = positive_int(num_features, f"{type(self).__name__}: num_features")
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(np.ones(self.num_features))
            self.bias = Parameter(np.zeros(self.num_features))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            dtype = get_default_dtype()
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batch seen."""
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def reset_parameters(self) -> None:
        """Running statistics reset; weight 1, bias 0 (the identity transform)."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, x) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim not in self._ndims:
            raise ValueError(
                f"{self.label()} expected input of shape {self._layout}, got {x.shape}"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{self.label()} expected {self.num_features} channels, got {x.shape[1]}"
            )
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1
            if momentum is None:  # a cumulative average over all batches so far
                momentum = 1.0 / float(self.num_batches_tracked)
        use_running = not self.training or self.track_running_stats
        return F.batch_norm(
            x,
            self.running_mean if use_running else None,
            self.running_var if use_running else None,
            self.weight,
            self.bias,
            training=self.training or self.running_mean is None,
            momentum=0.0 if momentum is None else momentum,
            eps=self.eps,
        )

    def extra_repr(self) -> str:
        parts = [str(self.num_features)]
        if self.eps != 1e-5:
            parts.append(f"eps={self.eps}")
        if self.momentum != 0.1:
            parts.append(f"momentum={self.momentum}")
        if not self.affine:
            parts.append("affine=False")
        if not self.track_running_stats:
            parts.append("track_running_stats=False")
        return ", ".join(parts)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per feature C.

    In training, each feature is normalised with the batch's mean and (biased)
    variance, then scaled by ``weight`` and shifted by ``bias``; the running
    statistics move towards the batch's: ``running = 0.9 * running + 0.1 * batch``
    (``momentum=0.1``; unbiased variance). In eval mode the running statistics are
    used instead, so a prediction does not depend on the rest of the batch.

    Parameters
    ----------
    num_features : int
        C.
    eps : float
        Added to the variance before the square root (default 1e-5).
    momentum : float or None
        Weight of the newest batch in the running statistics; None: equal weights.
    affine : bool
        Learn ``weight`` (starts at 1) and ``bias`` (starts at 0).
    track_running_stats : bool
        Keep running statistics; without them eval mode uses batch statistics too.

    Examples
    --------
    >>> bn = nn.BatchNorm1d(3)
    >>> out = bn(ds.randn(16, 3) * 5 + 2)     # each column: mean 0, std 1
    >>> sorted(bn.state_dict())
    ['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight']
    """

    _ndims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) images, per channel C (statistics over N, H, W).

    Parameters as ``BatchNorm1d``.

    Examples
    --------
    >>> nn.BatchNorm2d(6)(ds.randn(8, 6, 14, 14)).shape
    (8, 6, 14, 14)
    """

    _ndims = (4,)
    _layout = "(N, C, H, W)"
