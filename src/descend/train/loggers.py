"""Keeping a run on disk as it goes: the history as CSV, and model checkpoints."""

from __future__ import annotations

import os

from descend.files import write_text
from descend.train.callback import Callback, Monitor


class CSVLogger(Callback):
    """Rewrite ``path`` after every epoch with the history so far (one row per epoch).

    Each write is atomic, so the file is always a complete CSV.
    """

    main_process_only = True

    def __init__(self, path: str | os.PathLike):
        super().__init__()
        self.path = path

    def on_epoch_end(self, epoch, logs):
        write_text(self.path, self.trainer.history.to_csv())


class ModelCheckpoint(Callback):
    """Save the model to ``path`` after an epoch: every epoch, or only when ``monitor`` improves.

    Files are written atomically by ``descend.io.save``; an interrupted save leaves
    the previous checkpoint intact.
    """

    main_process_only = True

    def __init__(
        self, path: str | os.PathLike, monitor="val_loss", save_best_only=True, mode="auto"
    ):
        self.path, self.monitor, self.save_best_only, self.mode = (
            path,
            monitor,
            save_best_only,
            mode,
        )
        super().__init__()

    def reset(self):
        self._tracker = Monitor(self.monitor, self.mode)
        self.saved_epoch = None

    def state_dict(self):
        return {"best": self._tracker.best, "saved_epoch": self.saved_epoch}

    def load_state_dict(self, state):
        self._tracker.best, self.saved_epoch = state["best"], state["saved_epoch"]

    def on_epoch_end(self, epoch, logs):
        if self.save_best_only and not self._tracker.improved(self._tracker.value(logs)):
            return
        from descend import io  # io sits below train in the layers; imported when first used

        io.save(self.trainer.model, self.path)
        self.saved_epoch = epoch
