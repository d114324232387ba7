"""Learning-rate schedules: change ``group["lr"]`` of an optimizer as training goes on.

The semantics are PyTorch's. Making a scheduler is its first step: ``last_epoch``
goes from -1 to 0 and the optimizer gets the learning rate of epoch 0. Then call
``scheduler.step()`` once per epoch (``OneCycleLR``: once per batch), after
``optimizer.step()``; ``ReduceLROnPlateau.step(metric)`` takes the monitored value.

Most schedules are computed from the current learning rate ("chainable", as in
PyTorch), so two schedulers on one optimizer compose. A scheduler only writes
``group["lr"]`` (and records ``group["initial_lr"]``); it never wraps or patches the
optimizer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from descend.optim.optimizer import Optimizer
from descend.optim.scheduler import LRScheduler, check_int, check_optimizer
from descend.tensor.tensor import Tensor


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    Examples
    --------
    >>> opt = ds.optim.SGD(ds.nn.Linear(2, 1).parameters(), lr=0.05)
    >>> scheduler = StepLR(opt, step_size=2, gamma=0.1)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(scheduler.get_last_lr()[0])
    ...     opt.step()  # an epoch of training
    ...     scheduler.step()
    >>> [round(lr, 6) for lr in lrs]  # lr 0.05 for epochs 0-1, 0.005 for 2-3, ...
    [0.05, 0.05, 0.005, 0.005, 0.0005]
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        check_int(step_size, "step_size", 1)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each epoch listed in ``milestones``.

    A milestone listed twice multiplies by ``gamma ** 2``.

    Examples
    --------
    >>> opt = ds.optim.SGD(ds.nn.Linear(2, 1).parameters(), lr=1.0)
    >>> scheduler = MultiStepLR(opt, milestones=[1, 3], gamma=0.1)
    >>> lrs = []
    >>> for epoch in range(4):
    ...     lrs.append(scheduler.get_last_lr()[0])
    ...     opt.step()
    ...     scheduler.step()
    >>> [round(lr, 6) for lr in lrs]
    [1.0, 0.1, 0.1, 0.01]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = sorted(milestones)
        for milestone in self.milestones:
            check_int(milestone, "milestone", 0)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        hits = self.milestones.count(self.last_epoch)
        if hits == 0:
            return self._current_lrs()
        return [lr * self.gamma**hits for lr in self._current_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch: ``lr_t = lr_0 * gamma ** t``."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    r"""Half a cosine from the initial learning rate down to ``eta_min`` over ``T_max`` epochs.

    ``lr_t = eta_min + (lr_0 - eta_min) * (1 + cos(pi * t / T_max)) / 2``, computed
    recursively from the current learning rate as PyTorch does (so it chains with
    other schedulers). Past ``T_max`` the rate climbs back up along the cosine; it does
    not restart.
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        check_int(T_max, "T_max", 1)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, t_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if (t - 1 - t_max) % (2 * t_max) == 0:  # leaving the minimum, where the ratio is 0/0
            return [
                lr + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                for base, lr in zip(self.base_lrs, self._current_lrs())
            ]
        ratio = (1 + math.cos(math.pi * t / t_max)) / (1 + math.cos(math.pi * (t - 1) / t_max))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]


class LinearLR(LRScheduler):
    """Scale the learning rate by a factor going linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` epochs (a warm-up when ``start_factor < 1``).

    Examples
    --------
    >>> opt = ds.optim.SGD(ds.nn.Linear(2, 1).parameters(), lr=0.05)
    >>> scheduler = LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(scheduler.get_last_lr()[0])
    ...     opt.step()
    ...     scheduler.step()
    >>> [round(lr, 6) for lr in lrs]  # a warm-up over 3 epochs
    [0.0125, 0.025, 0.0375, 0.05, 0.05]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"end_factor must be in [0, 1], got {end_factor}")
        check_int(total_iters, "total_iters", 1)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        start, end, t = self.start_factor, self.end_factor, self.last_epoch
        if t == 0:
            return [lr * start for lr in self._current_lrs()]
        if self._is_initial or t > self.total_iters:
            return self._current_lrs()
        # The ratio of the factors of epochs t and t - 1.
        ratio = 1 + (end - start) / (self.total_iters * start + (t - 1) * (end - start))
        return [lr * ratio for lr in self._current_lrs()]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith, 2018): up from ``max_lr / div_factor`` to ``max_lr``, then
    down to ``max_lr / div_factor / final_div_factor``; stepped after every batch.

    Momentum is not cycled (PyTorch's ``cycle_momentum=False``).

    Parameters
    ----------
    optimizer : Optimizer
    max_lr : float or list of float
        Peak learning rate (one per group, or one for all).
    total_steps : int, optional
        Length of the cycle in batches; else ``epochs * steps_per_epoch``.
    epochs, steps_per_epoch : int, optional
    pct_start : float
        Fraction of the cycle spent increasing the learning rate.
    anneal_strategy : {'cos', 'linear'}
    div_factor, final_div_factor : float
    three_phase : bool
        Come back down to the initial rate symmetrically, then anneal to the minimum.
    last_epoch : int
        Index of the last batch done (-1 starts the cycle).
    """

    step_on = "batch"

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        check_optimizer(self, optimizer)
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR needs total_steps, or epochs and steps_per_epoch")
            check_int(epochs, "epochs", 1)
            check_int(steps_per_epoch, "steps_per_epoch", 1)
            total_steps = epochs * steps_per_epoch
        check_int(total_steps, "total_steps", 1)
        if not 0 <= pct_start <= 1:
            raise ValueError(f"pct_start must be between 0 and 1, got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        groups = optimizer.param_groups
        max_lrs = list(max_lr) if isinstance(max_lr, list | tuple) else [max_lr] * len(groups)
        if len(max_lrs) != len(groups):
            raise ValueError(
                f"max_lr has {len(max_lrs)} values, the optimizer has "
                f"{len(groups)} parameter groups"
            )
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        # Each phase: [last step of the phase, start, end] with 0 = initial, 1 = max, 2 = min.
        up = float(pct_start * total_steps) - 1
        if three_phase:
            self.phases = [[up, 0, 1], [2 * up, 1, 0], [total_steps - 1, 0, 2]]
        else:
            self.phases = [[up, 0, 1], [total_steps - 1, 1, 2]]
        ends = [0.0] + [phase[0] for phase in self.phases]
        if any(b <= a for a, b in zip(ends, ends[1:])):
            raise ValueError(
                f"OneCycleLR: pct_start={pct_start} with total_steps={total_steps} "
                f"leaves a phase of the cycle without steps"
            )
        self.lr_levels = [[m / div_factor, m, m / div_factor / final_div_factor] for m in max_lrs]
        if last_epoch == -1:
            for group, levels in zip(groups, self.lr_levels):
                group["initial_lr"] = levels[0]
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(
                f"OneCycleLR stepped {t} times, its cycle has only {self.total_steps} steps"
            )
        start_step = 0.0
        for phase in self.phases:
            if t <= phase[0] or phase is self.phases[-1]:
                break
            start_step = phase[0]
        end_step, start, end = phase
        pct = (t - start_step) / (end_step - start_step)
        anneal = _cos_anneal if self.anneal_strategy == "cos" else _linear_anneal
        return [anneal(levels[start], levels[end], pct) for levels in self.lr_levels]


def _cos_anneal(start: float, end: float, pct: float) -> float:
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def _linear_anneal(start: float, end: float, pct: float) -> float:
    return (end - start) * pct + start


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rate by ``factor`` when a metric stops improving.

    Call ``step(metric)`` once per epoch with the monitored value (say the validation
    loss). An epoch improves when the metric beats the best so far by more than
    ``threshold`` (relative: ``best * (1 - threshold)`` in 'min' mode; absolute:
    ``best - threshold``). After more than ``patience`` epochs without improvement the
    rate is reduced (never below ``min_lr``, and not by less than ``eps``), then
    ``cooldown`` epochs pass before bad epochs count again.

    Parameters
    ----------
    optimizer : Optimizer
    mode : {'min', 'max'}
        Whether the metric should go down (a loss) or up (an accuracy).
    factor : float
        ``new_lr = lr * factor``, in (0, 1).
    patience : int
        Bad epochs tolerated before reducing.
    threshold : float
    threshold_mode : {'rel', 'abs'}
    cooldown : int
    min_lr : float or list of float
        Lower bound for every group, or one per group.
    eps : float
        Reductions smaller than this are skipped.
    """

    step_on = "metric"

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        check_optimizer(self, optimizer)
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        if not 0 < factor < 1:
            raise ValueError(f"factor must be in (0, 1), got {factor}")
        check_int(patience, "patience", 0)
        check_int(cooldown, "cooldown", 0)
        groups = optimizer.param_groups
        min_lrs = list(min_lr) if isinstance(min_lr, list | tuple) else [min_lr] * len(groups)
        if len(min_lrs) != len(groups):
            raise ValueError(
                f"min_lr has {len(min_lrs)} values, the optimizer has "
                f"{len(groups)} parameter groups"
            )
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lrs, self.eps = cooldown, min_lrs, eps
        # A single min_lr also covers groups added to the optimizer later.
        self.default_min_lr = None if isinstance(min_lr, list | tuple) else min_lr
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = self._current_lrs()

    def step(self, metrics: float) -> None:  # type: ignore[override]
        """Record this epoch's metric and reduce the learning rate if it has plateaued."""
        current = float(metrics.item() if isinstance(metrics, Tensor) else metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            groups = self.optimizer.param_groups
            if len(self.min_lrs) != len(groups):
                if self.default_min_lr is None:
                    raise ValueError(
                        f"ReduceLROnPlateau has {len(self.min_lrs)} min_lr values, the "
                        f"optimizer now has {len(groups)} parameter groups"
                    )
                self.min_lrs = [self.default_min_lr] * len(groups)
            for group, min_lr in zip(groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _is_better(self, value: float) -> bool:
        best, threshold = self.best, self.threshold
        if self.mode == "min":
            return value < (
                best * (1 - threshold) if self.threshold_mode == "rel" else best - threshold
            )
        return value > (
            best * (1 + threshold) if self.threshold_mode == "rel" else best + threshold
        )


__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "StepLR",
]
