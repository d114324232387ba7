"""Loss modules: ``loss(input, target)`` gives the cost of a batch as a scalar Tensor.

Each wraps the function of the same name in ``descend.nn.functional`` and takes
``reduction``: ``'mean'`` (the default, the cost), ``'sum'`` or ``'none'`` (one loss
per element). Class weights are buffers, so they travel with ``state_dict()``.

A loss also says what a prediction is, since it knows what the model's outputs mean:
``task`` is ``'multiclass'``, ``'binary'`` or ``'regression'``; ``predict(output)``
turns raw outputs into class labels (or leaves values alone) and
``predict_proba(output)`` into class probabilities. A loss of your own declares the
same (a ``task`` attribute is enough; the methods default by task), and the Trainer
treats it like the built-in ones: see :func:`task_of`, :func:`predict`,
:func:`predict_proba`.
"""

from __future__ import annotations

import numpy as np

from descend import backend
from descend.backend import xp_of
from descend.nn import functional as F
from descend.nn.functional.reduction import check_reduction
from descend.nn.module import Module
from descend.tensor.elementwise import stable_sigmoid
from descend.tensor.softmax import softmax
from descend.tensor.tensor import Tensor

TASKS = ("multiclass", "binary", "regression")


class _Loss(Module):
    task = "regression"

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


def task_of(loss) -> str:
    """What ``loss`` trains a model for: its ``task``, ``'regression'`` if it declares none."""
    task = getattr(loss, "task", "regression")
    if task not in TASKS:
        raise ValueError(f"{type(loss).__name__}.task must be one of {TASKS}, got {task!r}")
    return task


def predict(loss, output: np.ndarray) -> np.ndarray:
    """Labels (classification) or values (regression) for raw model ``output``.

    Uses ``loss.predict`` when the loss has one; otherwise, by task: the arg-max of
    multiclass scores, a positive logit for binary, the output itself for regression.
    """
    if hasattr(loss, "predict"):
        return loss.predict(output)
    task = task_of(loss)
    if task == "multiclass":
        return output.argmax(axis=1)
    if task == "binary":
        return (output.reshape(len(output), -1)[:, 0] > 0).astype(np.int64)
    return output


def predict_proba(loss, output: np.ndarray) -> np.ndarray:
    """Class probabilities (N, C) for raw model ``output``; a binary task gives (N, 2).

    Uses ``loss.predict_proba`` when the loss has one; otherwise the softmax of
    multiclass logits or the sigmoid of a binary logit.
    """
    if hasattr(loss, "predict_proba"):
        return loss.predict_proba(output)
    task = task_of(loss)
    if task == "multiclass":
        return softmax(output, dim=1).data
    if task == "binary":
        return _two_columns(stable_sigmoid(output.reshape(len(output), -1)[:, 0]))
    raise TypeError(f"predict_proba needs a classification loss, not {type(loss).__name__}")


def _two_columns(p: np.ndarray) -> np.ndarray:
    return xp_of(p).stack([1 - p, p], axis=1)


def _constant(value) -> np.ndarray | None:
    if value is None:
        return None
    value = value.data if isinstance(value, Tensor) else value
    return value.copy() if backend.is_array(value) else np.array(value)


class MSELoss(_Loss):
    """Mean squared error: ``mean((input - target) ** 2)``.

    Examples
    --------
    >>> nn.MSELoss()(ds.tensor([1.0, 2.0]), ds.tensor([1.0, 4.0]))
    tensor(2.)
    """

    def forward(self, input, target) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: ``mean(|input - target|)``."""

    def forward(self, input, target) -> Tensor:
        return F.l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    """Squared error within ``delta`` of the target, absolute error beyond: robust to outliers."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta}")
        self.delta = delta

    def forward(self, input, target) -> Tensor:
        return F.huber_loss(input, target, self.reduction, self.delta)

    def extra_repr(self) -> str:
        return ", ".join(p for p in (super().extra_repr(), f"delta={self.delta}") if p)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities in [0, 1] (logs clamped at -100, as PyTorch).

    Prefer ``BCEWithLogitsLoss`` on logits: it is stable for any logit.
    """

    task = "binary"

    def __init__(self, weight=None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _constant(weight))

    def forward(self, input, target) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)

    def predict(self, output: np.ndarray) -> np.ndarray:
        """1 where the probability of the positive class exceeds 0.5."""
        return (output.reshape(len(output), -1)[:, 0] > 0.5).astype(np.int64)

    def predict_proba(self, output: np.ndarray) -> np.ndarray:
        return _two_columns(output.reshape(len(output), -1)[:, 0])


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits, sigmoid fused in; finite for logits of any size.

    Parameters
    ----------
    weight : array_like, optional
        Rescales each element's loss.
    reduction : {'mean', 'sum', 'none'}
    pos_weight : array_like, optional
        Weight of positive examples, one per class (last axis).

    Examples
    --------
    >>> nn.BCEWithLogitsLoss()(ds.tensor([0.0]), ds.tensor([1.0]))  # log 2
    tensor(0.6931472)
    """

    task = "binary"  # predictions: a positive logit; probabilities: its sigmoid

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _constant(weight))
        self.register_buffer("pos_weight", _constant(pos_weight))

    def forward(self, input, target) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, self.reduction, self.pos_weight
        )


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits (N, C) against integer class targets (N,).

    Log-softmax and the negative log-likelihood in one stable op; the gradient with
    respect to the logits is ``(softmax - onehot) / N``. Targets outside [0, C) raise
    a ValueError naming C and the bad value.

    Parameters
    ----------
    weight : array_like of shape (C,), optional
        Weight of each class.
    reduction : {'mean', 'sum', 'none'}
    label_smoothing : float in [0, 1]

    Examples
    --------
    >>> loss = nn.CrossEntropyLoss()
    >>> loss(ds.tensor([[2.0, 0.5, -1.0]]), np.array([0]))
    tensor(0.24131124)
    """

    task = "multiclass"  # predictions: the arg-max logit; probabilities: their softmax

    def __init__(self, weight=None, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(reduction)
        self.register_buffer("weight", _constant(weight))
        self.label_smoothing = label_smoothing

    def forward(self, input, target) -> Tensor:
        return F.cross_entropy(input, target, self.weight, self.reduction, self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (N, C), e.g. after ``LogSoftmax``."""

    task = "multiclass"

    def __init__(self, weight=None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _constant(weight))

    def forward(self, input, target) -> Tensor:
        return F.nll_loss(input, target, self.weight, self.reduction)

    def predict_proba(self, output: np.ndarray) -> np.ndarray:
        """The probabilities whose logarithms the model outputs."""
        return xp_of(output).exp(output)
