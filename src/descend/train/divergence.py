"""DivergenceGuard: notice a loss that blows up, stop, restore, and say what to change."""

from __future__ import annotations

import math
import sys

from descend.train.callback import Callback


class DivergenceGuard(Callback):
    """Stop when the loss becomes NaN or infinite, or explodes past ``factor`` times its start.

    The weights are restored to those at the start of the epoch in which the loss
    diverged (the last ones known to give a finite loss), and a message says which
    setting to lower and to what, e.g. ``loss became inf at step 37 (epoch 4) with
    lr=10; try lr=1 or lower``. The message is kept in ``message`` and in the
    history's events, and printed unless the Trainer is silent.
    """

    def __init__(self, factor: float = 100.0):
        if factor <= 1:
            raise ValueError(f"factor must be > 1, got {factor}")
        self.factor = factor
        super().__init__()

    def reset(self):
        self.first_loss = None
        self.message = None
        self.diverged_step = None
        self._epoch = None
        self._snapshot = None  # taken at the start of every epoch

    def state_dict(self):
        state = {"first_loss": self.first_loss}
        if self._snapshot is not None:  # in the middle of an epoch: where to go back to
            state.update(epoch=self._epoch, snapshot=self._snapshot)
        return state

    def load_state_dict(self, state):
        self.first_loss = state["first_loss"]
        self._epoch, self._snapshot = state.get("epoch"), state.get("snapshot")

    def on_epoch_begin(self, epoch, logs):
        # A resumed epoch goes back to where it began, not to where it was resumed.
        if epoch != self._epoch or self._snapshot is None:
            self._epoch = epoch
            self._snapshot = self.trainer.model.state_dict()

    def on_epoch_end(self, epoch, logs):
        self._snapshot = None

    def on_batch_end(self, step, logs):
        loss = logs["loss"]
        if self.first_loss is None and math.isfinite(loss):
            self.first_loss = loss
        exploded = self.first_loss is not None and loss > self.factor * max(self.first_loss, 1e-12)
        if math.isfinite(loss) and not exploded:
            return
        lr = logs["lr"]
        if math.isfinite(loss):
            what = (
                f"exploded to {loss:.4g} (more than {self.factor:g}x its first value "
                f"{self.first_loss:.4g})"
            )
        else:
            what = f"became {loss}"
        lower = _lower(lr)
        advice = f"try lr={lower:g} or lower" if lower else "try a smaller, finite lr"
        self.message = (
            f"loss {what} at step {step} (epoch {self._epoch}) with lr={lr:g}; "
            f"{advice}. Weights restored to the start of epoch {self._epoch}."
        )
        self.diverged_step = step
        self.trainer.model.load_state_dict(self._snapshot)
        self.trainer.stop_training = True
        history = self.trainer.history
        history.record_event("diverged_step", step)
        history.record_event("diverged_epoch", self._epoch)
        history.record_event("diverged", self.message)
        if self.trainer.verbose:
            print(f"DivergenceGuard: {self.message}", file=sys.stderr)


def _lower(lr: float) -> float | None:
    """A tenth of ``lr``, rounded to one significant digit (0.35 -> 0.03), at most 1.

    Rates above 1 hardly ever train anything, so 10 or 1e300 both get 1. None when
    ``lr`` is not a positive finite number.
    """
    if not (math.isfinite(lr) and lr > 0):
        return None
    tenth = min(lr / 10, 1.0)
    exponent = math.floor(math.log10(tenth))
    return round(tenth, -exponent)
