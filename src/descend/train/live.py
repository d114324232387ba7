"""LiveView: the run in the browser while it trains (``descend[live]``)."""

from __future__ import annotations

from descend.train.callback import Callback
from descend.train.monitor import GradientMonitor


class LiveView(Callback):
    """Show the run in a browser page while it trains, served from this process.

    The page (Bokeh, on a local server) shows what the History holds, four times a
    second: the loss of every update under the epochs' train and validation loss, the
    metrics, the learning rate, per-tensor gradient norms and update-to-weight ratios
    with the monitor's vanishing / exploding warnings, the diagnosis, and the progress.
    When the Trainer has no GradientMonitor, this callback runs one of its own.

    The server starts with the callback and listens on 127.0.0.1 only; its address
    (``url``) holds a random token, without which every request is refused. It keeps
    serving after training ends, until :meth:`stop` or the end of the process.

    Needs the optional extra ``descend[live]``.

    Parameters
    ----------
    host : str
        The address to listen on. Anything but 127.0.0.1 opens the page to other
        machines (the token still guards it).
    port : int
        0: a free port.
    announce : bool
        Print ``live view: URL`` when training begins (unless the Trainer is silent).
    name : str, optional
        The page's title (default: the model's class).

    Examples
    --------
    >>> X, y = ds.data.load_iris()
    >>> live = LiveView(announce=False)
    >>> model = ds.models.SoftmaxRegression(4, 3)
    >>> trainer = ds.Trainer(model, nn.CrossEntropyLoss(), ds.optim.Adam(model.parameters()),
    ...                      callbacks=[live], verbose=0)
    >>> history = trainer.fit(X, y, epochs=3)
    >>> live.url
    'http://127.0.0.1:.../run?token=...'
    >>> live.snapshot()["progress"]["finished"]
    True
    >>> live.stop()
    """

    main_process_only = True  # data-parallel training: process 0 serves the page

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, announce: bool = True, name: str | None = None
    ):
        from descend.live import serve_run

        super().__init__()
        self.announce, self.name = announce, name
        self._server = serve_run(self, host, port)
        self.url = self._server.url()

    def reset(self):
        self._monitor = None
        self._last_epoch = None
        self._finished = False
        self._snapshot = None

    def set_trainer(self, trainer) -> None:
        super().set_trainer(trainer)
        if self._monitor is not None:
            self._monitor.set_trainer(trainer)

    def stop(self) -> None:
        """End the server (the page stops updating)."""
        self._server.stop()

    # -- the hooks: the History already records everything; only the monitor to run ----
    def on_train_begin(self, logs):
        self._last_epoch, self._finished = logs.get("last_epoch"), False
        others = [c for c in self.trainer.callbacks if isinstance(c, GradientMonitor)]
        if not others and self._monitor is None:
            self._monitor = GradientMonitor(print_warnings=False)
            self._monitor.set_trainer(self.trainer)
        if self.announce and self.trainer.verbose:
            print(f"live view: {self.url}")

    def on_epoch_begin(self, epoch, logs):
        if self._monitor is not None:
            self._monitor.on_epoch_begin(epoch, logs)

    def on_batch_begin(self, step, logs):
        if self._monitor is not None:
            self._monitor.on_batch_begin(step, logs)

    def on_batch_end(self, step, logs):
        if self._monitor is not None:
            self._monitor.on_batch_end(step, logs)

    def on_train_end(self, logs):
        self._finished = True

    # -- the feed of the page (called from the server's thread) -----------------------
    def snapshot(self) -> dict:
        """What the page shows now: ``{"name", "history", "progress"}`` (see
        :mod:`descend.live.feed`)."""
        from descend.live.feed import progress

        if self.trainer is None:
            history, name = {}, "waiting for training to begin"
        else:
            name = self.name or type(self.trainer.model).__name__
            try:
                history = self.trainer.history.to_dict()
            except RuntimeError:  # a dict grew while copied (the training thread): as before
                return self._snapshot or {
                    "name": name,
                    "history": {},
                    "progress": progress({}, None, False),
                }
        self._snapshot = {
            "name": name,
            "history": history,
            "progress": progress(history, self._last_epoch, self._finished),
        }
        return self._snapshot
