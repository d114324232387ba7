"""The playground's arithmetic: every input checked and bounded, each path a real run.

The page (``playground_page``) only asks :func:`path` for a run with the settings on
its controls; the run is :func:`descend.landscape.trace` of one of descend's own
optimizers, and the landscape under it :func:`descend.landscape.compute_landscape`'s.
A bad or out-of-bounds value is a :class:`PlaygroundError` whose message the page shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from descend import landscape, optim
from descend.landscape.result import Landscape, Path

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
STRATEGIES = ("batch", "mini-batch", "stochastic")
# The bounds every request is held to: no value can make a run long or a number huge.
LR = (1e-5, 100.0)
STEPS = (1, 1000)
BETA = (0.0, 0.9999)
WIDEST = 20.0  # a start may lie this many window-widths around the window's centre


class PlaygroundError(ValueError):
    """A setting the playground refuses, with the message the page shows."""


@dataclass
class Settings:
    """One run's settings as the controls give them."""

    problem: str = "linear"
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    strategy: str = "batch"
    batch_size: int = 8
    steps: int = 200
    start: tuple | None = None  # None: the problem's own start
    seed: int = 0


@lru_cache(maxsize=len(landscape.PROBLEMS))
def board(problem: str) -> Landscape:
    """The landscape of ``problem`` (grid, minima, window), computed once per name."""
    _choice(problem, tuple(landscape.PROBLEMS), "problem")
    return landscape.compute_landscape(problem, resolution=101)


def path(settings: Settings) -> tuple[Path, np.ndarray]:
    """The run the settings ask for and the gradient at each of its points, by autodiff.

    Raises
    ------
    PlaygroundError
        A setting outside its choices or bounds, named with what it may be.
    """
    land = board(settings.problem)
    name = _choice(settings.optimizer, OPTIMIZERS, "optimizer")
    lr = _number(settings.lr, "learning rate", *LR)
    steps = int(_number(settings.steps, "steps", *STEPS, whole=True))
    momentum = _number(settings.momentum, "momentum", *BETA)
    betas = (_number(settings.beta1, "beta1", *BETA), _number(settings.beta2, "beta2", *BETA))
    strategy = _choice(settings.strategy, STRATEGIES, "strategy")
    n = len(land.X)
    if strategy != "batch" and not land.problem.sampled:
        raise PlaygroundError(
            f"{settings.problem} is a function of the two weights alone: no samples to batch, "
            "so only batch gradient descent"
        )
    batch = {"batch": "full", "stochastic": 1}.get(strategy)
    if batch is None:
        batch = int(_number(settings.batch_size, "batch size", 1, n, whole=True))
    start = land.start if settings.start is None else _start(settings.start, land)
    make = {
        "sgd": lambda p: optim.SGD(p, lr=lr),
        "momentum": lambda p: optim.SGD(p, lr=lr, momentum=momentum),
        "nesterov": lambda p: optim.SGD(p, lr=lr, momentum=momentum, nesterov=True),
        "adagrad": lambda p: optim.Adagrad(p, lr=lr),
        "rmsprop": lambda p: optim.RMSprop(p, lr=lr),
        "adam": lambda p: optim.Adam(p, lr=lr, betas=betas),
    }[name]
    label = f"{name} lr={lr:.3g}" + (f" m={momentum:g}" if name in ("momentum", "nesterov") else "")
    label += "" if strategy == "batch" else f" {strategy}" + (f" {batch}" if batch != 1 else "")
    run = landscape.trace(
        land.problem, make, start, steps, (land.w0, land.w1), batch, settings.seed, label
    )
    with np.errstate(over="ignore", invalid="ignore"):
        gradients = land.problem.gradients(run.weights)
    return run, gradients


def parse_start(text: str) -> tuple[float, float]:
    """``"w0, w1"`` as two numbers, or a PlaygroundError saying what came."""
    try:
        values = [float(part) for part in str(text).replace(";", ",").split(",")]
    except ValueError:
        values = []
    if len(values) != 2:
        raise PlaygroundError(f"start must be two numbers 'w0, w1', got {text!r}")
    return values[0], values[1]


def _start(start, land: Landscape) -> np.ndarray:
    w = np.asarray(start, dtype=float).reshape(-1)
    centre = np.array([land.w0.mean(), land.w1.mean()])
    span = np.array([np.ptp(land.w0), np.ptp(land.w1)])
    if w.shape != (2,) or not np.isfinite(w).all() or (np.abs(w - centre) > WIDEST * span).any():
        raise PlaygroundError(
            f"start must be two finite numbers within {WIDEST:g} window widths of the "
            f"landscape, got {tuple(start)!r}"
        )
    return w


def _number(value, name: str, low: float, high: float, whole: bool = False) -> float:
    good = isinstance(value, (int, float)) and not isinstance(value, bool)
    if good and whole:
        good = float(value) == int(value)
    if not good or not (math.isfinite(value) and low <= value <= high):
        kind = "a whole number" if whole else "a number"
        raise PlaygroundError(f"{name} must be {kind} from {low:g} to {high:g}, got {value!r}")
    return float(value)


def _choice(value, choices: tuple, name: str) -> str:
    if value not in choices:
        raise PlaygroundError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value
