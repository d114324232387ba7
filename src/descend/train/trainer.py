"""The Trainer: the one training loop every model goes through."""

from __future__ import annotations

import time

import numpy as np

from descend import backend, threads
from descend.allocator import keep_freed_memory
from descend.checks import positive_int
from descend.data.loader import DataLoader, as_loader
from descend.distributed import SingleProcess
from descend.nn.loss import predict, predict_proba, task_of
from descend.tensor import Tensor, no_grad
from descend.train.callback import Callback, keyed, with_required
from descend.train.divergence import DivergenceGuard
from descend.train.epoch import EpochProgress, RunningScores
from descend.train.history import History
from descend.train.progress import ProgressBar
from descend.train.scoring import metric_functions, outputs


class Trainer:
    """Train any Module with any loss and optimizer, one batch at a time.

    Every update is the same seven steps: (1) the weights start where the model's
    initialisation put them; for each batch, (2) forward pass, (3) loss of each
    sample, (4) cost = their mean, (5) backpropagation, (6) optimizer step, all
    weights at once; (7) repeat for every batch of every epoch, until the epochs run
    out or a callback stops training (early stopping, convergence, divergence).
    Steps 2-6 happen in :meth:`train_step` and nowhere else.

    Parameters
    ----------
    model : Module
    loss : Module or callable
        ``loss(output, target)`` returning a scalar Tensor, e.g. ``nn.CrossEntropyLoss()``.
        Its ``task`` (``'multiclass'``, ``'binary'``, ``'regression'``) says what a
        prediction is; a loss without one is taken for regression.
    optimizer : Optimizer
    scheduler : optional
        A learning-rate scheduler, stepped when its ``step_on`` says: after every epoch
        (the default), after every batch (``OneCycleLR``), or with the monitored loss
        (``ReduceLROnPlateau``: ``val_loss``, else ``loss``).
    metrics : sequence of str or callable
        Names from ``descend.metrics`` (``"accuracy"``, ``"f1"``, ``"r2"``, ...) or
        functions ``fn(y_true, y_pred) -> float``; ``y_pred`` holds class labels for
        classifiers and values for regressors.
    callbacks : sequence of Callback
        A ``History`` is always added; a ``ProgressBar`` too unless ``verbose=0``; and
        what a callback ``requires`` (``TensorBoard``: a ``GradientMonitor``).
    verbose : int
        0 for silence.
    divergence_guard : bool
        Add a :class:`DivergenceGuard` (stop, restore the last good weights, say which
        setting to lower) unless ``callbacks`` has one already. ``False`` lets a
        diverging run go on.
    parallel : strategy, optional
        How the work is shared: one process (the default), or, in each process of an
        MPI job, ``descend.distributed.strategy()`` after ``descend.distributed.init()``
        (a :class:`descend.distributed.DataParallel`): each process trains on its share
        of every batch, the gradients are summed between backward and optimizer step,
        and the loop's decisions are shared; only process 0 prints and writes
        (callbacks with ``main_process_only`` run there alone).
    threads : int, optional
        Threads for matrix products while fitting; by default the count
        ``ds.set_num_threads`` set, else one for a small model and the process's share
        of the cores for a larger one (see :mod:`descend.threads`).

    The model trains on the device it lives on (``model.to('cuda')`` before ``fit``):
    each batch is sent there as it is drawn, targets are checked on the host and sent
    with it, and outputs come back to the host for metrics and predictions.

    Examples
    --------
    >>> _ = ds.manual_seed(0)
    >>> X, y = ds.data.load_iris()
    >>> X = ds.data.StandardScaler().fit_transform(X)
    >>> model = ds.models.SoftmaxRegression(4, 3)
    >>> trainer = ds.Trainer(model, ds.nn.CrossEntropyLoss(),
    ...                      ds.optim.SGD(model.parameters(), lr=0.1),
    ...                      metrics=["accuracy"], verbose=0)
    >>> history = trainer.fit(X, y, epochs=20, batch_size=16, seed=0)
    >>> len(history), history["accuracy"][-1] > 0.9
    (20, True)
    >>> trainer.predict(X[:3])
    array([0, 0, 0])
    """

    def __init__(
        self,
        model,
        loss,
        optimizer,
        scheduler=None,
        metrics=(),
        callbacks=(),
        verbose: int = 1,
        divergence_guard: bool = True,
        parallel=None,
        threads: int | None = None,
    ):
        if threads is not None:
            positive_int(threads, "threads")
        keep_freed_memory()  # large temporaries stay in the heap: see descend/allocator.py
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.threads = threads
        self.metrics = metric_functions(metrics, self.task)
        self.parallel = SingleProcess() if parallel is None else parallel
        self.verbose = verbose if self.parallel.is_main else 0
        self.history = History()
        callbacks = with_required(callbacks)
        guard = divergence_guard and not any(isinstance(c, DivergenceGuard) for c in callbacks)
        bar = self.verbose and not any(isinstance(c, ProgressBar) for c in callbacks)
        self.callbacks: list[Callback] = [
            self.history,
            *([DivergenceGuard()] if guard else []),
            *callbacks,
            *([ProgressBar()] if bar else []),
        ]
        if not self.parallel.is_main:  # only process 0 prints and writes files
            self.callbacks = [c for c in self.callbacks if not c.main_process_only]
        for callback in self.callbacks:
            callback.set_trainer(self)
        self.stop_training = False
        self.interrupted = False
        self.epoch = 0
        self.step = 0
        self.last_output = None
        self._rows = 0  # samples in the last step's (whole) batch
        self._progress: EpochProgress | None = None
        self._fit_device = False  # the model's device during fit (None: the CPU)

    # -- training -------------------------------------------------------------
    def fit(
        self, x, y=None, *, epochs: int = 1, batch_size=32, val=None, shuffle=True, seed=None
    ) -> History:
        """Train for ``epochs`` more epochs (fewer if a callback stops it); return the History.

        ``x`` is a DataLoader, an ``(X, y)`` pair of arrays, or the array ``X`` with its
        targets in ``y``; ``val`` a DataLoader or an ``(X, y)`` pair. Arrays are batched
        with ``batch_size`` (an int, or ``'full'`` for batch gradient descent) and
        shuffled each epoch when ``shuffle``. Calling ``fit`` again continues where the
        last call ended, in the middle of an epoch after ``interrupt()``.
        """
        positive_int(epochs, "epochs")
        if y is not None:
            if isinstance(x, tuple | list) and len(x) == 2:
                raise TypeError("pass the targets either in an (X, y) pair or as y, not both")
            x = (x, y)
        loader = self.parallel.start(
            self.model, self.loss, as_loader(x, batch_size, shuffle, seed, "x")
        )
        val_loader = None if val is None else as_loader(val, 1024, False, None, "val")
        last = self.epoch + epochs
        done = self._progress.batches if self._progress is not None else 0
        plan = {
            "n_samples": loader.n_samples,
            "batch_size": loader.batch_size,
            "updates_per_epoch": len(loader),
            "epochs": epochs,
            "first_epoch": self.epoch + 1,
            "last_epoch": last,
            "total_updates": len(loader) * epochs - done,
            "threads": threads.for_model(self.model, loader.batch_size, self.threads),
        }
        if self.parallel.size > 1:
            plan["processes"] = self.parallel.size
        self.stop_training = False
        self.interrupted = False
        # The model stays where it is while it fits: its device is looked up once.
        self._fit_device = self._device
        try:
            with threads.limited(plan["threads"]):
                self._fit_epochs(loader, val_loader, last, plan)
        finally:
            self._fit_device = False
        return self.history

    def _fit_epochs(self, loader, val_loader, last: int, plan: dict) -> None:
        self._call("on_train_begin", plan)
        while self.epoch < last and not self.stop_training:
            epoch = self.epoch + 1
            self._call("on_epoch_begin", epoch, {})
            start = time.perf_counter()
            logs = self._train_epoch(loader, epoch)
            if self.interrupted:
                break
            self.epoch = epoch
            if val_loader is not None:
                logs.update({f"val_{k}": v for k, v in self._validate(val_loader).items()})
            logs["lr"] = self._lr()
            logs["updates"] = self.step
            logs["time"] = time.perf_counter() - start
            self._step_scheduler("epoch", logs)
            self._call("on_epoch_end", epoch, logs)
            self.stop_training, self.interrupted = self.parallel.agree(
                self.stop_training, self.interrupted
            )
        # An interruption that comes after the last epoch has ended cut nothing short.
        self.interrupted = self.interrupted and self.epoch < last
        self._call("on_train_end", {"epoch": self.epoch, "interrupted": self.interrupted})

    def train_step(self, X, y) -> float:
        """One update from the batch ``(X, y)``; returns its cost.

        Steps 2-6 of the loop, here and nowhere else: forward pass, loss of the batch
        (its cost), backpropagation, optimizer step. The model's output is kept in
        ``last_output`` (an ndarray) and the gradients stay in ``.grad`` until the next
        step, for callbacks that look at them.

        In data-parallel training ``(X, y)`` is this process's share of the batch and
        the cost returned is the whole batch's; between backward and optimizer step the
        gradients of all processes are summed, each weighted by its share.
        """
        self.last_output, cost = None, 0.0
        if len(X) or self.parallel.size == 1:
            X, y = self._on_device(X, y)
            output = self.model(X)
            loss = self.loss(output, y)
            # Forgotten after the forward pass, the old gradients' memory serves the new
            # ones (an MLP epoch of the Trainer ran 3% faster than with zero_grad first).
            self.optimizer.zero_grad()
            loss.backward()
            self.last_output, cost = output.data, loss.item()
        else:  # an empty share of a last batch smaller than the number of processes
            self.optimizer.zero_grad()
        cost, self._rows = self.parallel.reduce(self.optimizer, cost, len(X))
        self.optimizer.step()
        return cost

    def _on_device(self, X, y):
        """The batch where the model lives: ``X`` moved there, ``y`` as host data (the
        loss checks class labels on the host and sends them along, without a wait)."""
        device = self._device if self._fit_device is False else self._fit_device
        if device is None:
            return X, y
        if isinstance(X, Tensor):
            X = X.to(device)
        if isinstance(y, Tensor) and backend.is_host(y.data):
            y = y.data
        return X, y

    @property
    def _device(self):
        """The model's device, or None on the CPU (the hot path's one check)."""
        device = getattr(self.model, "device", None)
        return None if device is None or getattr(device, "type", device) == "cpu" else device

    def interrupt(self) -> None:
        """Stop after the current batch, keeping the epoch's progress for an exact resume.

        Safe to call from a signal handler (it only sets a flag). ``state_dict()`` then
        holds the unfinished epoch, and the next ``fit`` finishes it.
        """
        self.interrupted = True

    def _train_epoch(self, loader, epoch: int) -> dict:
        progress = self._progress
        if progress is None or progress.epoch != epoch:
            # The shuffling state before this epoch's order is drawn, to redraw it on resume.
            state = loader.state_dict() if hasattr(loader, "state_dict") else None
            progress = EpochProgress(epoch, state, RunningScores(keep_outputs=bool(self.metrics)))
        elif progress.loader is not None:
            loader.load_state_dict(progress.loader)
        self._progress = progress
        self.model.train()
        for index, (X, y) in enumerate(loader):
            if index < progress.batches:
                continue  # done before the interruption
            self._call("on_batch_begin", self.step + 1, {})
            cost = self.train_step(X, y)
            self.step += 1
            progress.batches += 1
            predictions = None
            if progress.scores.keep_outputs and self.last_output is not None:
                predictions = self._predictions(self.last_output)
            progress.scores.add(cost, self._rows, y, predictions)
            self._call(
                "on_batch_end",
                self.step,
                {"loss": cost, "batch_size": self._rows, "lr": self._lr(), "step": self.step},
            )
            self._step_scheduler("batch")
            # Every process stops if one does (one process: it decides alone).
            self.stop_training, self.interrupted = self.parallel.agree(
                self.stop_training, self.interrupted
            )
            if self.stop_training or self.interrupted:
                break
        scores = progress.scores
        if scores.keep_outputs:  # the targets and predictions of every process's share
            scores.merge(self.parallel.allgather(scores.unmerged()))
        if self.interrupted:
            return {}
        self._progress = None
        return progress.scores.result(self._score)

    def _step_scheduler(self, moment: str, logs: dict | None = None) -> None:
        """Step the scheduler if it steps at this moment ('batch' or 'epoch')."""
        if self.scheduler is None:
            return
        step_on = getattr(self.scheduler, "step_on", "epoch")
        if step_on == moment == "batch" or step_on == moment == "epoch":
            self.scheduler.step()
        elif step_on == "metric" and moment == "epoch":
            self.scheduler.step(logs.get("val_loss", logs["loss"]))

    # -- resuming --------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything but the model needed to continue training exactly where it stands.

        Epoch and step counters, the History, the optimizer's and scheduler's state, the
        callbacks' state, and the unfinished epoch after ``interrupt()``. The model's
        weights and the random generators are saved by the caller beside it.
        """
        return {
            "epoch": self.epoch,
            "step": self.step,
            "history": self.history.to_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "callbacks": {key: c.state_dict() for key, c in keyed(self.callbacks).items()},
            "progress": None if self._progress is None else self._progress.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        self.epoch = int(state["epoch"])
        self.step = int(state["step"])
        self.history.restore(state["history"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        saved = state.get("callbacks") or {}
        for key, callback in keyed(self.callbacks).items():
            if key in saved:
                callback.load_state_dict(saved[key])
        progress = state.get("progress")
        self._progress = (
            None if progress is None else EpochProgress.from_state(progress, bool(self.metrics))
        )

    # -- judging ---------------------------------------------------------------
    def evaluate(self, data, batch_size=1024) -> dict:
        """Mean loss and every metric on ``data`` (a DataLoader or ``(X, y)``), in eval mode.

        It runs in the calling process alone, also in data-parallel training.
        """
        return self._judge(*self._outputs(as_loader(data, batch_size, False, None, "data")))

    def _validate(self, loader) -> dict:
        """:meth:`evaluate` shared out: each process judges its part of the rows."""
        part = self.parallel.evaluation(loader, self.model)
        return self._judge(*self.parallel.gather(*self._outputs(part)))

    def _judge(self, outputs: np.ndarray, targets: np.ndarray) -> dict:
        with no_grad():
            loss = self.loss(Tensor(outputs), Tensor(targets)).item()
        return {"loss": loss, **self._score(targets, self._predictions(outputs))}

    def predict(self, X, batch_size=1024) -> np.ndarray:
        """Class labels for a classifier (by its loss), values for a regressor.

        ``X`` is an array, or a DataLoader (data read from disk batch by batch).
        """
        return self._predictions(self._forward(X, batch_size))

    def predict_proba(self, X, batch_size=1024) -> np.ndarray:
        """Class probabilities, shape (N, C); a binary classifier gives (N, 2)."""
        return predict_proba(self.loss, self._forward(X, batch_size))

    @property
    def task(self) -> str:
        """'multiclass', 'binary' or 'regression': what the loss trains the model for."""
        return task_of(self.loss)

    def _predictions(self, output: np.ndarray) -> np.ndarray:
        return predict(self.loss, output)

    def _score(self, y_true: np.ndarray, y_pred: np.ndarray) -> dict:
        return {name: float(fn(y_true, y_pred)) for name, fn in self.metrics.items()}

    def _forward(self, X, batch_size) -> np.ndarray:
        if not isinstance(X, DataLoader):
            X = as_loader((X.data if isinstance(X, Tensor) else X, None), batch_size, name="X")
        return self._outputs(X)[0]

    def _outputs(self, loader) -> tuple[np.ndarray, np.ndarray | None]:
        count = threads.for_model(self.model, getattr(loader, "batch_size", 1024), self.threads)
        return outputs(self.model, loader, count, lambda X: self._on_device(X, None)[0])

    # -- helpers ---------------------------------------------------------------
    def _lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def _call(self, hook: str, *args) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args)
