"""The Callback interface: the only way the training loop talks to the outside."""

from __future__ import annotations


class Callback:
    """Hooks the Trainer calls during ``fit``; override the ones you need.

    Each hook gets a ``logs`` dict. ``on_train_begin`` sees the plan (``n_samples``,
    ``batch_size``, ``updates_per_epoch``, ``epochs`` of this ``fit``, ``first_epoch``
    and ``last_epoch`` as numbered over the whole run, ``total_updates`` still to do);
    ``on_batch_begin`` comes before an update; ``on_batch_end`` after it, with ``loss``,
    ``batch_size``, ``lr`` and ``step`` (the step's gradients are still in each
    parameter's ``.grad``); ``on_epoch_end`` sees the epoch's ``loss``, metrics,
    ``val_*`` values, ``lr``, ``updates`` and ``time``. A callback ends training by
    setting ``self.trainer.stop_training = True``.

    A callback's state exists from construction (``reset()`` makes it anew) and lives
    on across ``fit`` calls; ``state_dict()`` holds what a resumed run needs, and the
    Trainer's ``load_state_dict`` hands it back.

    Attributes
    ----------
    trainer : Trainer
        Set by the Trainer before ``on_train_begin``.
    main_process_only : bool
        True for callbacks that print or write files: in data-parallel training
        (``descend.distributed``) they run in process 0 alone.
    requires : tuple of Callback classes
        Callbacks this one reads (``TensorBoard`` reads a ``GradientMonitor``'s records):
        the Trainer adds one of each, made with its defaults, just before this callback
        unless the callbacks given hold one already.
    """

    main_process_only = False
    requires: tuple[type[Callback], ...] = ()

    def __init__(self):
        self.trainer = None
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far (a subclass with state overrides it)."""

    def set_trainer(self, trainer) -> None:
        self.trainer = trainer

    def on_train_begin(self, logs: dict) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: dict) -> None:
        pass

    def on_batch_begin(self, step: int, logs: dict) -> None:
        pass

    def on_batch_end(self, step: int, logs: dict) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        pass

    def on_train_end(self, logs: dict) -> None:
        pass

    def state_dict(self) -> dict:
        """What a resumed run needs to carry on as if never stopped (plain values, arrays)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Take back a ``state_dict()`` (``Trainer.load_state_dict`` calls it)."""


def with_required(callbacks) -> list[Callback]:
    """``callbacks`` with what each ``requires`` added just before it, unless present."""
    callbacks, result = list(callbacks), []
    for callback in callbacks:
        for needed in callback.requires:
            if not any(isinstance(c, needed) for c in [*result, *callbacks]):
                result.extend(with_required([needed()]))
        result.append(callback)
    return result


class Monitor:
    """Tracks the best value of one logged quantity (``val_loss``, ``accuracy``, ...).

    ``mode='auto'`` minimises names with "loss", "error" or "mse"/"mae" in them and
    maximises the rest (accuracy, f1, r2).
    """

    def __init__(self, key: str, mode: str = "auto", min_delta: float = 0.0):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            lower_is_better = any(k in key for k in ("loss", "error", "mse", "mae"))
            mode = "min" if lower_is_better else "max"
        self.key = key
        self.mode = mode
        self.min_delta = abs(min_delta)
        self.best = None

    def value(self, logs: dict) -> float:
        if self.key not in logs:
            available = ", ".join(sorted(k for k in logs if k not in ("epoch",)))
            hint = " (pass validation data to fit)" if self.key.startswith("val_") else ""
            raise ValueError(f"cannot monitor {self.key!r}{hint}; logged: {available}")
        return logs[self.key]

    def improved(self, value: float) -> bool:
        """Whether ``value`` beats the best so far by more than ``min_delta`` (then it is kept)."""
        if value != value:  # NaN never improves
            return False
        if self.best is None or (
            value < self.best - self.min_delta
            if self.mode == "min"
            else value > self.best + self.min_delta
        ):
            self.best = value
            return True
        return False


def keyed(callbacks) -> dict:
    """Callbacks by class name (``EarlyStopping``, ``EarlyStopping#2``, ...): the keys of
    their states in a checkpoint."""
    by_key = {}
    for callback in callbacks:
        name = type(callback).__name__
        key, n = name, 1
        while key in by_key:
            n += 1
            key = f"{name}#{n}"
        by_key[key] = callback
    return by_key
