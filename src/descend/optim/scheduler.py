"""The base of every learning-rate scheduler (the schedules are in ``lr_scheduler``)."""

from __future__ import annotations

import copy
import warnings

from descend.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: each ``step()`` sets every group's ``lr`` to ``get_lr()``.

    Parameters
    ----------
    optimizer : Optimizer
    last_epoch : int
        Index of the last epoch done; -1 (default) starts the schedule. Other values
        resume it and need ``"initial_lr"`` in every parameter group.

    Attributes
    ----------
    base_lrs : list of float
        The learning rate of every group at the start of the schedule.
    last_epoch : int
        Number of ``step()`` calls since the schedule started (0 right after construction).
    step_on : {'epoch', 'batch', 'metric'}
        When a training loop steps it: after every epoch (most schedules), after every
        batch (``OneCycleLR``), or after every epoch with the monitored value
        (``ReduceLROnPlateau``: ``step(val_loss)``). A schedule of your own sets it too.
    """

    step_on = "epoch"

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        check_optimizer(self, optimizer)
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"param_groups[{i}] has no 'initial_lr': resuming a schedule "
                    f"(last_epoch={last_epoch}) needs the optimizer's state first"
                )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        # The first step, done here, sets the learning rate of epoch 0.
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rate of every group for epoch ``last_epoch``."""
        raise NotImplementedError

    def step(self) -> None:
        """Move to the next epoch and set the optimizer's learning rates."""
        if self._step_count == 1 and self.optimizer._step_count == 0:
            warnings.warn(
                f"{type(self).__name__}.step() was called before optimizer.step(): the first "
                f"learning rate of the schedule is skipped. Call optimizer.step() first.",
                UserWarning,
                stacklevel=2,
            )
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the latest step, one per parameter group."""
        return list(self._last_lr)

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict:
        """Everything but the optimizer, as plain numbers, strings and lists."""
        return copy.deepcopy({k: v for k, v in self.__dict__.items() if k != "optimizer"})

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a ``state_dict()`` of a scheduler of the same kind."""
        unknown = set(state_dict) - set(self.__dict__)
        if unknown:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: unexpected keys {sorted(unknown)}"
            )
        self.__dict__.update(copy.deepcopy(state_dict))


def check_optimizer(scheduler, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{type(scheduler).__name__} expected a descend Optimizer, got "
            f"{type(optimizer).__name__}"
        )


def check_int(value, name: str, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
