"""ProgressBar: the plan before training, then a bar per epoch (or a line, off a terminal)."""

from __future__ import annotations

import sys

from descend.train.callback import Callback


def describe_plan(logs: dict) -> str:
    """``"1000 samples, batch 100: 10 updates per epoch, 20 epochs: 200 updates"``.

    A run that goes on from earlier epochs names them: ``"..., epochs 31-40: 340
    updates"``, counting only the updates still to do. Data-parallel training names
    its processes: ``"60000 samples, 4 processes, global batch 128 (32 per process):
    ..."``. The threads of matrix products come last: ``"...; 1 thread"``.
    """
    n, batch, per_epoch, epochs = (
        logs["n_samples"],
        logs["batch_size"],
        logs["updates_per_epoch"],
        logs["epochs"],
    )
    first = logs.get("first_epoch", 1)
    last = logs.get("last_epoch", first + epochs - 1)
    updates = logs.get("total_updates", per_epoch * epochs)
    strategy = "full batch" if batch >= n else f"batch {batch}"
    processes = logs.get("processes", 1)
    if processes > 1:  # the shares of a whole batch, which is never more than the set
        whole = min(batch, n)
        low, high = whole // processes, -(-whole // processes)
        each = f"{low}" if low == high else f"{low}-{high}"
        strategy = f"{processes} processes, global {strategy} ({each} per process)"
    if first == 1:
        span = f"{epochs} epoch{'s' * (epochs != 1)}"
    else:
        span = f"epoch {first}" if first == last else f"epochs {first}-{last}"
    threads = logs.get("threads")  # per process
    return (
        f"{n} samples, {strategy}: {per_epoch} update{'s' * (per_epoch != 1)} per epoch, "
        f"{span}: {updates} update{'s' * (updates != 1)}"
        + ("" if threads is None else f"; {threads} thread{'s' * (threads != 1)}")
    )


def format_logs(logs: dict) -> str:
    """The epoch's numbers, losses and metrics first, e.g. ``loss 0.1234  val_loss 0.2``."""
    skip = {"lr", "updates", "time", "epoch"}
    parts = [
        f"{k} {v:.4g}" if "loss" in k else f"{k} {v:.4f}" for k, v in logs.items() if k not in skip
    ]
    parts.append(f"lr {logs['lr']:.3g}")
    parts.append(f"{logs['time']:.2f}s")
    return "  ".join(parts)


class ProgressBar(Callback):
    """Shows training as it happens.

    First the plan (samples, batch size, updates per epoch and in all). Then, on a
    terminal, a tqdm bar that advances with every batch and shows the running loss;
    after each epoch, a line with its loss, metrics, learning rate and time (the only
    output when not on a terminal: a log file, CI).
    """

    main_process_only = True

    def __init__(self, file=None):
        super().__init__()
        self.file = file

    def on_train_begin(self, logs):
        self._out = self.file or sys.stderr
        self._interactive = hasattr(self._out, "isatty") and self._out.isatty()
        self._epochs = logs.get("last_epoch", logs["epochs"])
        self._per_epoch = logs["updates_per_epoch"]
        self._bar = None
        print(describe_plan(logs), file=self._out)

    def on_epoch_begin(self, epoch, logs):
        if self._interactive:
            from tqdm.auto import tqdm  # 50 ms to import: only when a terminal shows a bar

            self._bar = tqdm(
                total=self._per_epoch,
                desc=f"epoch {epoch}/{self._epochs}",
                file=self._out,
                leave=False,
                dynamic_ncols=True,
                unit="batch",
            )

    def on_batch_end(self, step, logs):
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(loss=f"{logs['loss']:.4g}", refresh=False)

    def on_epoch_end(self, epoch, logs):
        # The bar goes; a line with the epoch's numbers stays.
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        width = len(str(self._epochs))
        print(
            f"epoch {epoch:{width}d}/{self._epochs}  {format_logs(logs)}",
            file=self._out,
            flush=True,
        )

    def on_train_end(self, logs):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
