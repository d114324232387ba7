"""What a run's page shows, as plain data: the History's dict and the progress of the run.

A feed is anything with ``snapshot() -> {"name", "history", "progress"}``: ``history`` in
the layout of ``History.to_dict()`` (the data of ``history.json``), ``progress`` as
:func:`progress` gives it. :class:`descend.callbacks.LiveView` is the feed of a training
in this process; :class:`FolderFeed` follows a run folder, finished or still training in
another process, reading only that folder's own files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from descend import io
from descend.runs import open_run
from descend.train.history import _none_to_nan


def progress(history: dict, epochs: int | None, finished: bool) -> dict:
    """Epochs and updates done and planned, and the seconds left at the pace so far.

    ``epochs``: the run's last epoch (None when unknown); ``seconds_left`` is None until
    an epoch has ended, and once ``finished``.
    """
    done, updates = len(history.get("epoch", [])), len(history.get("step_loss", []))
    per_epoch = history.get("plan", {}).get("updates_per_epoch")
    total = per_epoch * epochs if per_epoch and epochs else None
    times = [t for t in history.get("time", []) if isinstance(t, float) and math.isfinite(t)]
    left = None
    if not finished and times and total:
        left = sum(times) / len(times) / per_epoch * max(total - updates, 0)
    return {
        "epoch": done,
        "epochs": epochs,
        "updates": updates,
        "total_updates": total,
        "seconds_left": left,
        "finished": finished,
    }


def describe(state: dict) -> str:
    """``epoch 3 of 30 · update 105 of 1050 · about 12 s left``, or what a finished run did."""
    if state["finished"]:
        return f"finished: {state['epoch']} epochs, {state['updates']} updates"
    of = lambda total: "" if total is None else f" of {total}"  # noqa: E731
    words = [
        f"epoch {state['epoch']}{of(state['epochs'])} done",
        f"update {state['updates']}{of(state['total_updates'])}",
    ]
    if state["seconds_left"] is not None:
        words.append(f"about {state['seconds_left']:.0f} s left")
    return " · ".join(words)


class FolderFeed:
    """A run folder as it grows: ``history.json`` once the run is saved, its checkpoint
    (written after every epoch) while it trains.

    Only the folder's own ``config.toml``, ``history.json`` and ``checkpoint.safetensors``
    are read, each again only when it changed.
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        config = open_run(self.folder)  # a ValueError when the folder holds no run
        self.name = f"{config.model} on {config.data} ({self.folder})"
        self.epochs = config.epochs
        self._seen = None
        self._history: dict = {}
        self._finished = False

    def snapshot(self) -> dict:
        files = ("config.toml", "history.json", "checkpoint.safetensors")
        stamps = tuple(_stamp(self.folder / name) for name in files)
        if stamps != self._seen:
            self._read(stamps)
        return {
            "name": self.name,
            "history": self._history,
            "progress": progress(self._history, self.epochs, self._finished),
        }

    def _read(self, stamps) -> None:
        """history.json once the run is saved; the checkpoint's History while it has more
        epochs (a run training, or resumed for more epochs than history.json holds)."""
        try:
            if stamps[0] != (self._seen or (None,))[0]:
                self.epochs = open_run(self.folder).epochs
            saved = None
            if stamps[1] is not None:
                text = (self.folder / "history.json").read_text(encoding="utf-8")
                saved = _none_to_nan(json.loads(text))
            history, finished = saved, saved is not None
            done = -1 if saved is None else len(saved.get("epoch", []))
            if done < self.epochs and stamps[2] is not None:  # stopped early, or training
                state = io.load(self.folder / "checkpoint.safetensors")["trainer"]["history"]
                if len(state.get("epoch", [])) > done:
                    history, finished = state, False
        except (OSError, ValueError, KeyError):
            return  # being replaced (files are written atomically, but may vanish): next time
        if history is not None:
            self._seen, self._history, self._finished = stamps, _plain(history), finished


def _stamp(path: Path):
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size)


def _plain(value):
    """Arrays of a checkpoint as lists, as in history.json."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
