"""The learning-rate range test: raise the learning rate step by step and watch the loss.

A short run in which every update uses a learning rate ``ratio`` times the previous
one, from ``start_lr`` to ``end_lr``. While the rate is tiny the loss barely moves;
then it falls, fastest at some rate; then the steps become too large and the loss
explodes. A good learning rate lies where the loss falls fastest (the steepest descent
of the smoothed loss against log lr), well before the explosion (Smith, 2017,
"Cyclical learning rates for training neural networks").

The model and the optimizer are restored afterwards, to the bit: the test looks, it
does not train.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from descend.data import as_loader
from descend.train import Callback, Trainer


@dataclass
class LRFinderResult:
    """What a range test measured.

    Attributes
    ----------
    lrs : ndarray
        The learning rate of each update.
    losses : ndarray
        The smoothed loss after each update (exponential moving average, bias-corrected).
    raw_losses : ndarray
        The loss of each update's batch.
    suggestion : float or None
        The learning rate at the steepest descent of the smoothed loss (None when the
        loss never fell).
    stopped_early : bool
        The loss exploded (past ``diverge_factor`` times its best) before ``end_lr``.
    """

    lrs: np.ndarray
    losses: np.ndarray
    raw_losses: np.ndarray
    suggestion: float | None
    stopped_early: bool

    @property
    def best_lr(self) -> float:
        """The learning rate at which the smoothed loss was lowest (usually too large to use)."""
        return float(self.lrs[int(np.nanargmin(self.losses))])

    def __str__(self) -> str:
        end = "stopped when the loss exploded" if self.stopped_early else "reached the end"
        hint = (
            "none (the loss did not fall)" if self.suggestion is None else f"{self.suggestion:.3g}"
        )
        return (
            f"learning-rate range test: {len(self.lrs)} updates from lr={self.lrs[0]:.3g} to "
            f"{self.lrs[-1]:.3g} ({end}); lowest smoothed loss at lr={self.best_lr:.3g}; "
            f"suggested lr: {hint}"
        )


class _RangeTest(Callback):
    """Records each update's loss and raises the learning rate for the next one."""

    def __init__(self, start_lr, ratio, num_steps, smoothing, diverge_factor):
        super().__init__()
        self.lr, self.ratio, self.num_steps = start_lr, ratio, num_steps
        self.smoothing, self.diverge_factor = smoothing, diverge_factor
        self.lrs, self.raw, self.smooth = [], [], []
        self.average = 0.0
        self.stopped_early = False

    def on_train_begin(self, logs):
        self._set_lr(self.lr)

    def on_batch_end(self, step, logs):
        loss = logs["loss"]
        self.lrs.append(self.lr)
        self.raw.append(loss)
        self.average = self.smoothing * self.average + (1 - self.smoothing) * loss
        smoothed = self.average / (1 - self.smoothing ** len(self.raw))
        self.smooth.append(smoothed)
        best = min(self.smooth)
        if not math.isfinite(smoothed) or (
            len(self.smooth) > 1 and smoothed > self.diverge_factor * best
        ):
            self.stopped_early = True
            self.trainer.stop_training = True
        elif len(self.lrs) >= self.num_steps:
            self.trainer.stop_training = True
        else:
            self.lr *= self.ratio
            self._set_lr(self.lr)

    def _set_lr(self, lr: float) -> None:
        for group in self.trainer.optimizer.param_groups:
            group["lr"] = lr


def lr_find(
    model,
    loss,
    optimizer,
    train,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    batch_size=32,
    smoothing: float = 0.9,
    diverge_factor: float = 4.0,
    seed: int | None = None,
) -> LRFinderResult:
    """Run a learning-rate range test and suggest a learning rate.

    Parameters
    ----------
    model : Module
    loss : Module or callable
    optimizer : Optimizer
        Its learning rate is overwritten during the test; its state (momentum buffers,
        moment estimates), like the model's weights, is restored afterwards.
    train : DataLoader or (X, y)
        Batches are drawn from it (again from the start when it runs out).
    start_lr, end_lr : float
        The first and the last learning rate; each update multiplies the rate by
        ``(end_lr / start_lr) ** (1 / (num_steps - 1))``.
    num_steps : int
        Updates in the test (fewer if the loss explodes).
    batch_size : int or 'full'
        For ``(X, y)`` arrays.
    smoothing : float
        Weight of the past in the moving average of the loss (0: no smoothing).
    diverge_factor : float
        Stop once the smoothed loss exceeds this many times its lowest value.
    seed : int, optional
        Shuffling of ``(X, y)`` arrays.

    Returns
    -------
    LRFinderResult
        ``lrs``, ``losses`` (smoothed), ``raw_losses``, ``suggestion``.

    Examples
    --------
    >>> X, y = ds.data.load_digits()
    >>> X = ds.data.StandardScaler().fit_transform(X)
    >>> _ = ds.manual_seed(0)
    >>> model = ds.models.SoftmaxRegression(64, 10)
    >>> result = ds.lr_find(model, ds.nn.CrossEntropyLoss(), ds.optim.SGD(model.parameters()),
    ...                     (X, y), seed=0)
    >>> round(result.suggestion, 2)
    0.24
    >>> ds.plot.lr_find(result, "lr_find.png")
    PosixPath('lr_find.png')
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"need 0 < start_lr < end_lr, got start_lr={start_lr}, end_lr={end_lr}")
    if not isinstance(num_steps, int) or num_steps < 2:
        raise ValueError(f"num_steps must be an integer >= 2, got {num_steps!r}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing}")
    if not diverge_factor > 1:
        raise ValueError(f"diverge_factor must be > 1, got {diverge_factor}")
    loader = as_loader(train, batch_size, shuffle=True, seed=seed, name="train")
    ratio = (end_lr / start_lr) ** (1 / (num_steps - 1))
    test = _RangeTest(start_lr, ratio, num_steps, smoothing, diverge_factor)
    # Everything the test changes, kept to be put back: weights (and buffers), the
    # optimizer's state and learning rates, the model's mode, the loader's shuffling.
    weights = {k: np.array(v, copy=True) for k, v in model.state_dict().items()}
    optimizer_state = optimizer.state_dict()
    was_training = model.training
    loader_state = loader.state_dict()
    try:
        trainer = Trainer(
            model, loss, optimizer, callbacks=[test], verbose=0, divergence_guard=False
        )
        with np.errstate(over="ignore", invalid="ignore"):
            trainer.fit(loader, epochs=math.ceil(num_steps / len(loader)))
    finally:
        model.load_state_dict(weights)
        optimizer.load_state_dict(optimizer_state)
        model.train(was_training)
        loader.load_state_dict(loader_state)
    lrs, smooth = np.array(test.lrs), np.array(test.smooth)
    return LRFinderResult(lrs, smooth, np.array(test.raw), suggest(lrs, smooth), test.stopped_early)


def suggest(lrs: np.ndarray, losses: np.ndarray, skip_start: int = 5) -> float | None:
    """The learning rate where the smoothed loss falls fastest against ``log10(lr)``.

    Only the part of the curve before its lowest point is searched (after it the loss
    is exploding), without the first ``skip_start`` points (the average is warming up).
    None when there is no descent to find.
    """
    finite = np.isfinite(losses)
    if finite.sum() < 3:
        return None
    lowest = int(np.nanargmin(np.where(finite, losses, np.nan)))
    begin = min(skip_start, max(lowest - 2, 0))
    if lowest - begin < 2:
        return None
    slopes = np.gradient(losses[begin : lowest + 1], np.log10(lrs[begin : lowest + 1]))
    steepest = int(np.argmin(slopes))
    return float(lrs[begin + steepest]) if slopes[steepest] < 0 else None
