"""The bookkeeping of one epoch: its running loss and metrics, and how far it has got."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from descend import backend


@dataclass
class RunningScores:
    """The epoch's loss and metrics, accumulated batch by batch.

    The loss is the mean over samples of each batch's cost (a smaller last batch
    counts for less); metrics score every prediction of the epoch at once, made with
    the weights of the step that saw the batch.
    """

    total: float = 0.0
    count: int = 0
    targets: list = field(default_factory=list)
    predictions: list = field(default_factory=list)
    keep_outputs: bool = True
    shared: int = 0  # data parallelism: the first batches hold every process's rows

    def add(self, cost: float, n: int, y=None, predictions=None) -> None:
        """Count one batch of ``n`` samples, with its targets and predictions."""
        self.total += cost * n
        self.count += n
        if self.keep_outputs:  # host copies: metrics, and the state of an interrupted epoch
            self.targets.append(backend.to_host(getattr(y, "data", y)))
            if predictions is not None:  # None for no rows (data parallelism)
                predictions = backend.to_host(predictions)
            self.predictions.append(predictions)

    def unmerged(self) -> tuple[list, list]:
        """This process's targets and predictions of each batch since the last merge."""
        return self.targets[self.shared :], self.predictions[self.shared :]

    def merge(self, parts: list) -> None:
        """Join the scores of several processes that shared every batch.

        ``parts`` holds each process's :meth:`unmerged`, in process order: every batch's
        targets and predictions become those of the whole batch (the processes' slices
        in order), so the metrics are exact, those of one process, not an average of
        per-process scores. The loss needs nothing: each batch's cost is already the
        whole batch's.
        """
        start = self.shared
        if len(parts) > 1:
            for b in range(len(self.targets) - start):
                targets = [t[b] for t, _ in parts if len(t[b])]
                predictions = [p[b] for _, p in parts if p[b] is not None]
                self.targets[start + b] = np.concatenate(targets)
                self.predictions[start + b] = np.concatenate(predictions)
        self.shared = len(self.targets)

    def result(self, score) -> dict:
        """``{'loss': mean cost, **score(targets, predictions)}``."""
        logs = {"loss": self.total / self.count if self.count else math.nan}
        if self.keep_outputs and self.targets:
            logs.update(score(np.concatenate(self.targets), np.concatenate(self.predictions)))
        return logs


@dataclass
class EpochProgress:
    """Where an epoch stands: enough to finish it exactly after an interruption.

    ``loader`` is the loader's shuffling state before the epoch drew its order, so a
    resumed epoch draws the same order and skips the ``batches`` already done.
    """

    epoch: int
    loader: dict | None
    scores: RunningScores
    batches: int = 0

    def state_dict(self) -> dict:
        scores = self.scores
        return {
            "epoch": self.epoch,
            "loader": self.loader,
            "batches": self.batches,
            "total": scores.total,
            "count": scores.count,
            "targets": list(scores.targets),
            "predictions": list(scores.predictions),
            "shared": scores.shared,
        }

    @classmethod
    def from_state(cls, state: dict, keep_outputs: bool) -> EpochProgress:
        scores = RunningScores(
            float(state["total"]),
            int(state["count"]),
            list(state["targets"]),
            list(state["predictions"]),
            keep_outputs,
            int(state.get("shared", 0)),
        )
        return cls(int(state["epoch"]), state["loader"], scores, int(state["batches"]))
