"""What a landscape is made of: the paths of runs across it and the numbers its picture shows."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from descend.landscape.minima import Minimum
from descend.landscape.problems import Problem


@dataclass
class Path:
    """One training run's path across the landscape.

    Attributes
    ----------
    name : str
        The compared setting: ``'Adam'``, ``'mini-batch (8)'``, ``'lr=0.135'``.
    detail : str
        What differs from start to start: an optimizer's lr (``'lr=0.188'``), or for a
        learning rate, the verdict of where the run ended (``'good'``).
    label : str
        Both: ``'Adam lr=0.188'``, ``'lr=0.135 (good)'``.
    weights : ndarray, shape (T + 1, 2)
        ``(w0, w1)`` at the start and after each of the T updates.
    costs : ndarray, shape (T + 1,)
        The full-data cost at each of those points.
    diverged : bool
        The weights left every sensible range (or became non-finite) and the run was stopped.
    settings : dict
        optimizer, lr, batch_size, epochs.
    start_index, setting_index : int
        Which start it began from, and which of the compared settings it ran.
    minimum : Minimum or None
        The minimum it settled in (None: it did not settle, or diverged).
    outcome : str
        ``'global minimum at (...), cost ...'``, ``'local minimum at ...'``,
        ``'did not settle (...)'`` or ``'diverged'``.
    """

    name: str
    detail: str
    weights: np.ndarray
    costs: np.ndarray
    diverged: bool
    settings: dict
    start_index: int = 0
    setting_index: int = 0
    minimum: Minimum | None = None
    outcome: str = ""

    @property
    def label(self) -> str:
        if "role" in self.settings:
            return f"{self.name} ({self.detail})"
        return f"{self.name} {self.detail}".rstrip()

    @property
    def updates(self) -> int:
        return len(self.weights) - 1


@dataclass
class Landscape:
    """Everything a landscape picture shows, as numbers.

    Attributes
    ----------
    model, compare : str
    problem : Problem
        The data, the model and the cost (``X``, ``y``, ``weight_names``, ``loss_name``
        and ``title`` are read from it).
    starts : ndarray, shape (S, 2)
        Where the runs start; every compared setting runs from every start.
    minima : list of Minimum
        Every minimum of the cost found in the problem's region, the global ones first.
    w0, w1 : ndarray
        The grid's axes; ``cost[i, j]`` is the cost at ``(w0[j], w1[i])``.
    cost : ndarray, shape (len(w1), len(w0))
    paths : list of Path
        Start by start, in the order of the compared settings.
    gradients : ndarray, shape (S, 2)
        ``(dJ/dw0, dJ/dw1)`` at each start, by autodiff.
    start_costs : ndarray, shape (S,)
    """

    model: str
    compare: str
    problem: Problem
    starts: np.ndarray
    minima: list[Minimum]
    w0: np.ndarray
    w1: np.ndarray
    cost: np.ndarray
    paths: list[Path]
    gradients: np.ndarray
    start_costs: np.ndarray
    notes: list[str] = field(default_factory=list)

    X = property(lambda self: self.problem.X)
    y = property(lambda self: self.problem.y)
    weight_names = property(lambda self: self.problem.weight_names)
    loss_name = property(lambda self: self.problem.loss_name)
    title = property(lambda self: self.problem.title)
    start = property(lambda self: self.starts[0], doc="The first start.")
    gradient = property(lambda self: self.gradients[0], doc="The gradient at the first start.")
    start_cost = property(lambda self: float(self.start_costs[0]), doc="The first start's cost.")
    minimum = property(lambda self: self.minima[0].weights, doc="The (first) global minimum.")

    def cost_at(self, weights) -> np.ndarray:
        """The full-data cost at each row of ``weights`` (shape (G, 2)), by the library's loss."""
        return self.problem.cost(weights)

    def start_name(self, i: int) -> str:
        """``'A'``, ``'B'``, ... when there are several starts; ``''`` for one."""
        return chr(ord("A") + i) if len(self.starts) > 1 else ""

    def setting_label(self, index: int) -> str:
        """The compared setting ``index`` across the starts: its paths' label when they
        share it (``'SGD lr=0.00474'``), else what each start got
        (``'Adam lr=0.188 (A), 0.135 (B)'``, ``'lr=0.0213: good (A, B), too large (C)'``)."""
        paths = [p for p in self.paths if p.setting_index == index]
        starts: dict[str, list[str]] = {}
        for path in paths:
            starts.setdefault(path.detail, []).append(self.start_name(path.start_index))
        if len(starts) == 1:
            return paths[0].label
        shared = os.path.commonprefix(list(starts))
        shared = shared[: shared.rfind("=") + 1]  # 'lr=', said once
        parts = ", ".join(f"{d[len(shared) :]} ({', '.join(n)})" for d, n in starts.items())
        return f"{paths[0].name} {shared}{parts}" if shared else f"{paths[0].name}: {parts}"

    def summary(self) -> str:
        """A table of the runs: updates, final cost, and the minimum each settled in."""
        data = f"{len(self.X)} samples, " if self.problem.sampled else ""
        lines = [f"{self.title}; {data}cost: {self.loss_name}"]
        lines += [f"{m} ({self.problem.minimum_method})" for m in self.minima]
        for i, (s, c) in enumerate(zip(self.starts, self.start_costs)):
            name = f" {self.start_name(i)}" if len(self.starts) > 1 else ""
            lines.append(f"start{name} ({s[0]:g}, {s[1]:g}), cost {c:.4f}")
        width = max(len(_run_name(self, r)) for r in self.paths) + 2
        lines.append(f"{'run':{width}s}{'updates':>8s}{'final cost':>13s}   end")
        for run in self.paths:
            lines.append(
                f"{_run_name(self, run):{width}s}{run.updates:>8d}{run.costs[-1]:>13.4g}   "
                f"{run.outcome}"
            )
        return "\n".join(lines)


def _run_name(land: Landscape, run: Path) -> str:
    return (
        f"{run.label} from {land.start_name(run.start_index)}"
        if len(land.starts) > 1
        else run.label
    )
