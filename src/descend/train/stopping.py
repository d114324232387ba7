"""When to stop: early stopping on validation data, and convergence of the loss."""

from __future__ import annotations

import sys

from descend.train.callback import Callback, Monitor


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    With ``restore_best`` the model ends with the weights of its best epoch, whether
    training stopped early or ran all its epochs.

    Parameters
    ----------
    monitor : str
        A logged quantity, ``val_loss`` by default (needs validation data).
    patience : int
        Epochs without improvement before stopping.
    min_delta : float
        A change smaller than this is not an improvement.
    mode : {'auto', 'min', 'max'}
    restore_best : bool

    Examples
    --------
    >>> stop = EarlyStopping(patience=5)
    >>> trainer = Trainer(model, loss, opt, callbacks=[stop])  # doctest: +SKIP
    >>> trainer.fit(X, y, epochs=100, val=(X_val, y_val))  # doctest: +SKIP
    """

    def __init__(
        self, monitor="val_loss", patience=5, min_delta=0.0, mode="auto", restore_best=True
    ):
        if patience < 0:
            raise ValueError(f"patience must be >= 0, got {patience}")
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.mode, self.restore_best = mode, restore_best
        super().__init__()

    def reset(self):
        self._tracker = Monitor(self.monitor, self.mode, self.min_delta)
        self.wait = 0
        self.best_epoch = None
        self.stopped_epoch = None
        self._best_state = None

    def on_epoch_end(self, epoch, logs):
        if self._tracker.improved(self._tracker.value(logs)):
            self.wait = 0
            self.best_epoch = epoch
            if self.restore_best:
                self._best_state = self.trainer.model.state_dict()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True

    def state_dict(self):
        return {
            "best": self._tracker.best,
            "wait": self.wait,
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
            "best_state": self._best_state,
        }

    def load_state_dict(self, state):
        self._tracker.best = state["best"]
        self.wait, self.best_epoch = state["wait"], state["best_epoch"]
        self.stopped_epoch, self._best_state = state["stopped_epoch"], state["best_state"]

    def on_train_end(self, logs):
        trainer = self.trainer
        if trainer.interrupted:
            return  # training will go on from here: nothing to restore yet
        history = trainer.history
        if self.best_epoch is not None:
            history.record_event("best_epoch", self.best_epoch)
        if self.stopped_epoch is not None:
            history.record_event("stopped_epoch", self.stopped_epoch)
        restore = self._best_state is not None and self.best_epoch != trainer.epoch
        if restore:
            trainer.model.load_state_dict(self._best_state)
            history.record_event("restored_epoch", self.best_epoch)
        if trainer.verbose and (restore or self.stopped_epoch is not None):
            print(self.summary(), file=sys.stderr)

    def summary(self) -> str:
        """What early stopping did, e.g. ``early stopping: val_loss last improved ...``."""
        best = self._tracker.best
        said = f"{self.monitor} last improved in epoch {self.best_epoch} ({best:.4g})"
        if self.stopped_epoch is not None:
            said = f"stopped after epoch {self.stopped_epoch}: {said}"
        if self._best_state is not None and self.best_epoch != self.trainer.epoch:
            kept = f"the weights of epoch {self.best_epoch} are kept"
        else:
            kept = f"the weights of the last epoch ({self.trainer.epoch}) are kept"
        return f"early stopping: {said}; {kept}"


class Convergence(Callback):
    """Stop once the loss stops changing: its change stays below a tolerance.

    After each epoch the change ``|previous - current|`` of ``monitor`` is compared
    with ``tol * |previous|`` (relative) and ``atol`` (absolute); when it is below
    either for ``patience`` epochs in a row, training has converged. The epoch is
    kept in ``converged_epoch`` and in the history's events.
    """

    def __init__(self, tol=1e-4, patience=3, monitor="loss", atol=1e-10):
        if tol < 0 or atol < 0:
            raise ValueError(f"tolerances must be >= 0, got tol={tol}, atol={atol}")
        if patience < 1:
            raise ValueError(f"patience must be >= 1, got {patience}")
        self.tol, self.patience, self.monitor, self.atol = tol, patience, monitor, atol
        super().__init__()

    def reset(self):
        self.previous = None
        self.calm_epochs = 0
        self.converged_epoch = None

    def state_dict(self):
        return {
            "previous": self.previous,
            "calm_epochs": self.calm_epochs,
            "converged_epoch": self.converged_epoch,
        }

    def load_state_dict(self, state):
        self.previous, self.calm_epochs = state["previous"], state["calm_epochs"]
        self.converged_epoch = state["converged_epoch"]

    def on_epoch_end(self, epoch, logs):
        value = Monitor(self.monitor).value(logs)
        if self.previous is not None:
            change = abs(self.previous - value)
            small = change <= self.atol or change <= self.tol * abs(self.previous)
            self.calm_epochs = self.calm_epochs + 1 if small else 0
        self.previous = value
        if self.calm_epochs >= self.patience:
            self.converged_epoch = epoch
            self.trainer.history.record_event("converged_epoch", epoch)
            self.trainer.stop_training = True
