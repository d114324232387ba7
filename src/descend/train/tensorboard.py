"""TensorBoard: a run's loss, metrics, learning rate and gradient norms as TensorBoard scalars."""

from __future__ import annotations

import itertools
import math
import os
from pathlib import Path

from descend.train.callback import Callback
from descend.train.monitor import QUANTITIES, GradientMonitor

# Event files are named by the second they were opened in: a run resumed within the
# same second would replace the first one's file, but for a suffix of their own.
_WRITERS = itertools.count()


def summary_writer_class():
    """tensorboardX's SummaryWriter; an ImportError naming the extra when it is missing."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        from descend.extras import install_command

        hint = install_command("tensorboard")
        raise ImportError(f"TensorBoard logging needs tensorboardX: {hint}") from None
    return SummaryWriter


class TensorBoard(Callback):
    """Write the run as TensorBoard scalars under ``logdir`` (``tensorboard --logdir DIR``).

    As Keras does, training values go to ``logdir/train`` and validation values to
    ``logdir/validation``, so that TensorBoard draws the two as one chart per quantity:

    - ``epoch_loss``, ``epoch_<metric>`` (both runs) and ``epoch_lr`` (train), per epoch;
    - ``batch_loss`` (train) every ``update_freq`` updates, when it is an int;
    - ``grad_norm/<tensor>``, ``weight_norm/<tensor>``, ``update_ratio/<tensor>`` (train),
      at the updates a :class:`GradientMonitor` recorded, by update number (the Trainer
      adds one, every epoch, when it has none); a value that does not exist (NaN: no
      ratio while the weights are all zero) is left out, never written;
    - the ``diagnosis`` line (train, text) when training ends.

    Needs the optional extra ``descend[tensorboard]``.

    Parameters
    ----------
    logdir : str or PathLike
    update_freq : 'epoch' or int
        ``'epoch'`` writes per-epoch values only; an int k also writes the loss of every
        k-th update.

    Examples
    --------
    >>> X, y = ds.data.load_iris()
    >>> model = ds.models.SoftmaxRegression(4, 3)
    >>> trainer = ds.Trainer(model, nn.CrossEntropyLoss(), ds.optim.Adam(model.parameters()),
    ...                      callbacks=[TensorBoard("runs/tb")], verbose=0)
    >>> history = trainer.fit(X[::2], y[::2], epochs=3, val=(X[1::2], y[1::2]))
    >>> sorted(path.name for path in Path("runs/tb").iterdir())
    ['train', 'validation']
    """

    main_process_only = True  # data-parallel training: process 0 writes the logs
    requires = (GradientMonitor,)

    def __init__(self, logdir: str | os.PathLike, update_freq: int | str = "epoch"):
        bad = isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1
        if update_freq != "epoch" and bad:
            raise ValueError(
                f"update_freq must be 'epoch' or a positive number of updates, got {update_freq!r}"
            )
        self._writer_class = summary_writer_class()
        self.logdir, self.update_freq = Path(logdir), update_freq
        if self.logdir.exists() and not self.logdir.is_dir():
            raise NotADirectoryError(f"TensorBoard logdir {logdir} is a file, not a folder")
        self._writers = {}
        super().__init__()

    def reset(self):
        self.close()
        self._written = 0  # gradient records already written

    def state_dict(self):
        return {"written": self._written}

    def load_state_dict(self, state):
        self._written = int(state["written"])

    def on_batch_end(self, step, logs):
        if self.update_freq != "epoch" and step % self.update_freq == 0:
            self._scalar("train", "batch_loss", logs["loss"], step)

    def on_epoch_end(self, epoch, logs):
        for key, value in logs.items():
            if key in ("updates", "time", "epoch"):
                continue
            run, name = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            self._scalar(run, f"epoch_{name}", value, epoch)
        self._write_gradients()
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs):
        self._write_gradients()
        diagnosis = self.trainer.history.events.get("diagnosis")
        if diagnosis and not logs.get("interrupted"):
            self._writer("train").add_text("diagnosis", diagnosis, self.trainer.step)
        self.close()

    def close(self) -> None:
        """Flush and close the event files (training's end does it)."""
        for writer in getattr(self, "_writers", {}).values():
            writer.close()
        self._writers = {}

    # -- writing ---------------------------------------------------------------
    def _writer(self, run: str):
        if run not in self._writers:
            suffix = f".{os.getpid()}.{next(_WRITERS)}"
            self._writers[run] = self._writer_class(str(self.logdir / run), filename_suffix=suffix)
        return self._writers[run]

    def _scalar(self, run: str, tag: str, value: float, step: int) -> None:
        # A NaN or infinity would be written as it is, and tensorboardX prints a line
        # about it; a diverged loss is the DivergenceGuard's to report, not a point.
        if math.isfinite(value):
            self._writer(run).add_scalar(tag, value, step)

    def _write_gradients(self) -> None:
        records = self.trainer.history.gradients
        for i in range(self._written, len(records)):
            for quantity in QUANTITIES:
                for name, column in records.values(quantity).items():
                    self._scalar("train", f"{quantity}/{name}", column[i], records.steps[i])
        self._written = len(records)
