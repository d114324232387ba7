"""The loss landscape of a two-weight model, and the real paths of training runs across it.

This module computes; :mod:`descend.plot.landscape_figure` draws. The cost surface is
the library's own loss evaluated on a grid of weights; each path is a real training
run (a descend model, a descend optimizer, the Trainer's loop over a DataLoader) whose
weights are recorded after every update. The two problems (linear and logistic
regression with two weights) are in :mod:`descend.plot.problems`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from descend import optim
from descend.data import DataLoader, TensorDataset
from descend.plot.problems import PROBLEMS, Problem, check_choice, gradient, make_data, problem
from descend.train import Callback, Trainer

COMPARISONS = ("strategies", "optimizers", "lr")


@dataclass
class Run:
    """One training run's path across the landscape.

    Attributes
    ----------
    label : str
    weights : ndarray, shape (T + 1, 2)
        ``(w0, w1)`` at the start and after each of the T updates.
    costs : ndarray, shape (T + 1,)
        The full-data cost at each of those points.
    diverged : bool
        The weights left every sensible range (or became non-finite) and the run was stopped.
    settings : dict
        optimizer, lr, batch_size, epochs.
    """

    label: str
    weights: np.ndarray
    costs: np.ndarray
    diverged: bool
    settings: dict

    @property
    def updates(self) -> int:
        return len(self.weights) - 1


@dataclass
class Landscape:
    """Everything a landscape picture shows, as numbers.

    Attributes
    ----------
    model, compare : str
    X, y : ndarray
        The data the cost is measured on.
    weight_names : (str, str)
    start : ndarray, shape (2,)
        Where every run starts.
    minimum : ndarray, shape (2,)
        The exact minimum of the cost (least squares, or Newton's method).
    w0, w1 : ndarray
        The grid's axes; ``cost[i, j]`` is the cost at ``(w0[j], w1[i])``.
    cost : ndarray, shape (len(w1), len(w0))
    runs : list of Run
    gradient : ndarray, shape (2,)
        ``(dJ/dw0, dJ/dw1)`` at the start, by autodiff (backward through the model).
    start_cost : float
    """

    model: str
    compare: str
    X: np.ndarray
    y: np.ndarray
    weight_names: tuple[str, str]
    start: np.ndarray
    minimum: np.ndarray
    w0: np.ndarray
    w1: np.ndarray
    cost: np.ndarray
    runs: list[Run]
    gradient: np.ndarray
    start_cost: float
    loss_name: str = ""
    notes: list[str] = field(default_factory=list)

    def cost_at(self, weights) -> np.ndarray:
        """The full-data cost at each row of ``weights`` (shape (G, 2)), by the library's loss."""
        return problem(self.model, self.X, self.y).cost(np.atleast_2d(weights))


# -- the runs ------------------------------------------------------------------------------
class _PathRecorder(Callback):
    """Keeps the two weights after every update; stops a run that has run far away."""

    def __init__(self, problem: Problem, centre: np.ndarray, limit: float):
        super().__init__()
        self.problem, self.centre, self.limit = problem, centre, limit
        self.points: list[np.ndarray] = []
        self.diverged = False

    def on_train_begin(self, logs):
        self.points = [self.problem.weights(self.trainer.model)]

    def on_batch_end(self, step, logs):
        w = self.problem.weights(self.trainer.model)
        self.points.append(w)
        if not np.isfinite(w).all() or np.abs(w - self.centre).max() > self.limit:
            self.diverged = True
            self.trainer.stop_training = True


@dataclass
class _Setting:
    label: str
    optimizer: Callable  # params -> Optimizer
    batch_size: int | str
    note: dict


def _settings(compare: str, problem: Problem, start: np.ndarray, lr, lrs, batch_size):
    curvature = problem.curvature()
    good = 1.0 / curvature  # one step to the bottom along the steepest direction
    distance = float(np.linalg.norm(start - problem.minimum()))
    sgd = optim.SGD
    if compare == "strategies":
        # Small enough that no single sample's step overshoots its own valley.
        rate = lr if lr is not None else min(0.5 * good, 1 / problem.sample_curvature())
        return [
            _Setting(
                f"batch GD (all {len(problem.X)})", lambda p: sgd(p, lr=rate), "full", {"lr": rate}
            ),
            _Setting(
                f"mini-batch ({batch_size})", lambda p: sgd(p, lr=rate), batch_size, {"lr": rate}
            ),
            _Setting("SGD (batch 1)", lambda p: sgd(p, lr=rate), 1, {"lr": rate}),
        ]
    if compare == "optimizers":
        rate = lr if lr is not None else 0.5 * good
        # Momentum 0.9 multiplies the steady step by up to 10: a fifth of the rate keeps
        # its overshoot on the picture. Adaptive methods step in weight units, so their
        # rates follow the distance to travel.
        heavy = rate / 5
        adam, rms, ada = distance / 25, distance / 100, distance / 3
        return [
            _Setting(f"SGD lr={rate:.3g}", lambda p: sgd(p, lr=rate), "full", {"lr": rate}),
            _Setting(
                f"momentum 0.9 lr={heavy:.3g}",
                lambda p: sgd(p, lr=heavy, momentum=0.9),
                "full",
                {"lr": heavy},
            ),
            _Setting(
                f"Nesterov 0.9 lr={heavy:.3g}",
                lambda p: sgd(p, lr=heavy, momentum=0.9, nesterov=True),
                "full",
                {"lr": heavy},
            ),
            _Setting(
                f"AdaGrad lr={ada:.3g}", lambda p: optim.Adagrad(p, lr=ada), "full", {"lr": ada}
            ),
            _Setting(
                f"RMSProp lr={rms:.3g}", lambda p: optim.RMSprop(p, lr=rms), "full", {"lr": rms}
            ),
            _Setting(f"Adam lr={adam:.3g}", lambda p: optim.Adam(p, lr=adam), "full", {"lr": adam}),
        ]
    small, big = (lrs[0], lrs[2]) if lrs else (good / 15, _too_large(problem, curvature))
    rate = lrs[1] if lrs else good
    words = ("too small", "good", "too large")
    return [
        _Setting(
            f"lr={value:.3g} ({word})",
            lambda p, v=value: sgd(p, lr=v),
            "full",
            {"lr": value, "role": word},
        )
        for value, word in zip((small, rate, big), words)
    ]


def _too_large(problem: Problem, curvature: float) -> float:
    # Past 2/curvature each step overshoots the valley by more than it started from: a
    # quadratic bowl (linear regression) throws the weights out ever further; the
    # log-loss flattens far away, so logistic regression keeps bouncing across instead.
    return (2.25 if problem.name == "linear" else 2.6) / curvature


def _run(problem: Problem, setting: _Setting, start, epochs: int, seed: int, limit) -> Run:
    model = problem.model(start)
    optimizer = setting.optimizer(model.parameters())
    recorder = _PathRecorder(problem, problem.minimum(), limit)
    trainer = Trainer(
        model, problem.loss(), optimizer, callbacks=[recorder], verbose=0, divergence_guard=False
    )
    loader = DataLoader(
        TensorDataset(problem.X, problem.y),
        batch_size=setting.batch_size,
        shuffle=setting.batch_size != "full",
        seed=seed,
    )
    with np.errstate(over="ignore", invalid="ignore"):
        trainer.fit(loader, epochs=epochs)
    weights = np.array(recorder.points)
    finite = np.isfinite(weights).all(axis=1)
    weights = weights[: int(np.argmin(finite)) if not finite.all() else len(weights)]
    with np.errstate(over="ignore", invalid="ignore"):
        costs = problem.cost(weights)
    settings = {
        "optimizer": type(optimizer).__name__,
        "batch_size": setting.batch_size,
        "epochs": epochs,
        **setting.note,
    }
    return Run(setting.label, weights, costs, recorder.diverged, settings)


def compute_landscape(
    model: str = "linear",
    compare: str = "strategies",
    start=None,
    epochs: int | None = None,
    lr: float | None = None,
    lrs=None,
    batch_size: int = 8,
    n_samples: int = 40,
    seed: int = 0,
    resolution: int = 121,
) -> Landscape:
    """Train several runs of a two-weight model from one start and measure the landscape.

    Parameters
    ----------
    model : {'linear', 'logistic'}
    compare : {'strategies', 'optimizers', 'lr'}
        ``'strategies'``: batch GD, mini-batch and SGD (batch 1) with plain SGD updates.
        ``'optimizers'``: SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam on the full batch.
        ``'lr'``: plain batch gradient descent with a too-small, a good and a too-large
        learning rate (chosen from the cost's curvature unless ``lrs`` is given).
    start : (float, float), optional
        The common starting weights (default: a point well away from the minimum).
    epochs : int, optional
        Epochs per run (default 30 for strategies, 60 for optimizers, 40 for lr).
    lr : float, optional
        The learning rate of the plain-SGD runs in 'strategies' and 'optimizers'.
    lrs : (float, float, float), optional
        Too small, good, too large, for ``compare='lr'``.
    batch_size : int
        The mini-batch size in 'strategies'.
    n_samples, seed : int
        The generated data, and the shuffling of the stochastic runs.
    resolution : int
        Grid points per axis.

    Returns
    -------
    Landscape

    Examples
    --------
    >>> land = ds.plot.compute_landscape("linear", "optimizers")
    >>> [run.costs[-1] for run in land.runs]
    >>> ds.plot.loss_landscape(land, "landscape.png")
    """
    check_choice(model, PROBLEMS, "model")
    check_choice(compare, COMPARISONS, "compare")
    if lrs is not None and (len(lrs) != 3 or not all(v > 0 for v in lrs)):
        raise ValueError(
            f"lrs must be three positive learning rates (small, good, large), got {lrs}"
        )
    task = problem(model, *make_data(model, n_samples, seed))
    minimum = task.minimum()
    start = np.asarray(start if start is not None else _default_start(model), dtype=float)
    if start.shape != (2,) or not np.isfinite(start).all():
        raise ValueError(f"start must be two finite numbers (w0, w1), got {start!r}")
    epochs = epochs or {"strategies": 30, "optimizers": 60, "lr": 40}[compare]
    reach = max(float(np.abs(start - minimum).max()), 1.0)
    runs = [
        _run(task, setting, start, epochs, seed, limit=20 * reach)
        for setting in _settings(compare, task, start, lr, lrs, batch_size)
    ]
    w0, w1 = _axes(start, minimum, runs, resolution, task.cost(start[None])[0])
    G0, G1 = np.meshgrid(w0, w1)
    cost = task.cost(np.column_stack([G0.ravel(), G1.ravel()])).reshape(G0.shape)
    slope, start_cost = gradient(task, start)
    return Landscape(
        model=model,
        compare=compare,
        X=task.X,
        y=task.y,
        weight_names=task.weight_names,
        start=start,
        minimum=minimum,
        w0=w0,
        w1=w1,
        cost=cost,
        runs=runs,
        gradient=slope,
        start_cost=start_cost,
        loss_name=task.loss_name,
    )


def _default_start(model: str) -> tuple[float, float]:
    return (-2.5, -1.0) if model == "linear" else (-2.0, 2.5)


def _axes(start, minimum, runs, resolution, start_cost) -> tuple[np.ndarray, np.ndarray]:
    """A window holding the start, the minimum, every run that did not diverge, and the
    first steps of those that did (while their cost is below 5 times the start's)."""
    points = [start[None], minimum[None]]
    for run in runs:
        points.append(run.weights[run.costs <= 5 * start_cost] if run.diverged else run.weights)
    points = np.concatenate(points)
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = 0.15 * np.maximum(hi - lo, 1.0)
    return (
        np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution),
        np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution),
    )
