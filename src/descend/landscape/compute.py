"""Computing a landscape: the runs across it, the grid of costs, where each run ended.

Each path is a real training run (a descend model, a descend optimizer, the Trainer's
loop over a DataLoader) whose two weights are recorded after every update; the cost
surface is the library's own loss on a grid of weights; the minima are found by least
squares or Newton's method; and each run is told which minimum, if any, it settled in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from descend import optim
from descend.data import DataLoader, TensorDataset
from descend.landscape.minima import Minimum, nearest, settled_in
from descend.landscape.problems import Problem
from descend.landscape.registry import check_choice, make_problem
from descend.landscape.result import Landscape, Path
from descend.train import Callback, Trainer

COMPARISONS = ("strategies", "optimizers", "lr")
SETTLE_RADIUS = (
    0.03  # of the default window's diagonal: a run whose last tenth stays this close settled
)


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
    name: str  # what is compared (an optimizer, a batch size, a learning rate)
    detail: str  # what may differ from start to start (an adaptive optimizer's lr)
    optimizer: Callable  # params -> Optimizer
    batch_size: int | str
    note: dict


def _settings(compare: str, problem: Problem, start: np.ndarray, lr, lrs, batch_size):
    sgd = optim.SGD
    if compare == "strategies":
        rate = lr if lr is not None else problem.strategy_lr()
        return [
            _Setting(name, "", lambda p: sgd(p, lr=rate), size, {"lr": rate})
            for name, size in (
                (f"batch GD (all {len(problem.X)})", "full"),
                (f"mini-batch ({batch_size})", batch_size),
                ("SGD (batch 1)", 1),
            )
        ]
    if compare == "optimizers":
        rates = problem.optimizer_lrs(start)
        if lr is not None:  # the plain runs' rate, the others scaled with it
            rates = {**rates, "momentum": rates["momentum"] * lr / rates["sgd"], "sgd": lr}
        makers = {
            "SGD": ("sgd", lambda p, v: sgd(p, lr=v)),
            "momentum 0.9": ("momentum", lambda p, v: sgd(p, lr=v, momentum=0.9)),
            "Nesterov 0.9": ("momentum", lambda p, v: sgd(p, lr=v, momentum=0.9, nesterov=True)),
            "AdaGrad": ("adagrad", lambda p, v: optim.Adagrad(p, lr=v)),
            "RMSProp": ("rmsprop", lambda p, v: optim.RMSprop(p, lr=v)),
            "Adam": ("adam", lambda p, v: optim.Adam(p, lr=v)),
        }
        return [
            _Setting(
                name,
                f"lr={rates[key]:.3g}",
                lambda p, make=make, v=rates[key]: make(p, v),
                "full",
                {"lr": rates[key]},
            )
            for name, (key, make) in makers.items()
        ]
    # The verdict (too small, good, too large) is the outcome's: see _verdict.
    return [
        _Setting(f"lr={value:.3g}", "", lambda p, v=value: sgd(p, lr=v), "full", {"lr": value})
        for value in lrs or problem.lr_range()
    ]


def _run(problem: Problem, setting: _Setting, start, epochs: int, seed: int, limit) -> Path:
    model = problem.model(start)
    optimizer = setting.optimizer(model.parameters())
    recorder = _PathRecorder(problem, problem.minimum(), limit)
    # The recorder is the judge of divergence here: the Trainer's guard would restore
    # the weights mid-path (and a single sample's loss can vary a hundredfold anyway).
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
    return Path(setting.name, setting.detail, weights, costs, recorder.diverged, settings)


def trace(
    problem: Problem,
    optimizer: Callable,
    start,
    updates: int,
    window: tuple[np.ndarray, np.ndarray],
    batch_size: int | str = "full",
    seed: int = 0,
    label: str = "",
) -> Path:
    """One run across ``problem``: ``updates`` updates of ``optimizer`` from ``start``, told
    which minimum it settled in, as :func:`compute_landscape` tells its runs.

    ``optimizer`` makes the optimizer from the model's parameters; ``window`` is the
    landscape's ``(w0, w1)`` axes, whose diagonal sets how close counts as settled.
    """
    begin = _starts(start)[0]
    per_epoch = 1 if batch_size == "full" else -(-len(problem.X) // batch_size)
    reach = max(float(np.abs(begin - problem.minimum()).max()), 1.0)
    setting = _Setting(label, "", optimizer, batch_size, {})
    run = _run(problem, setting, begin, -(-updates // per_epoch), seed, limit=20 * reach)
    run.weights, run.costs = run.weights[: updates + 1], run.costs[: updates + 1]
    run.minimum, run.outcome = _outcome(run, problem.minima, _settle_radius(problem, *window))
    return run


def compute_landscape(
    model: str = "linear",
    compare: str | None = None,
    start=None,
    epochs: int | None = None,
    lr: float | None = None,
    lrs=None,
    batch_size: int = 8,
    n_samples: int = 40,
    seed: int = 0,
    resolution: int = 121,
) -> Landscape:
    """Train several runs of a two-weight model and measure the landscape they cross.

    Parameters
    ----------
    model : {'linear', 'logistic', 'local-minimum', 'rosenbrock', 'himmelblau'}
        Two convex problems (linear and logistic regression), a Gaussian unit whose
        cost has a local minimum beside the global one, Rosenbrock's curved valley and
        Himmelblau's four equal minima (see :mod:`descend.landscape`).
    compare : {'strategies', 'optimizers', 'lr'}, optional
        ``'strategies'``: batch GD, mini-batch and SGD (batch 1) with plain SGD updates.
        ``'optimizers'``: SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam on the full batch.
        ``'lr'``: plain batch gradient descent with a too-small, a good and a too-large
        learning rate (chosen from the cost's curvature unless ``lrs`` is given).
        Default: ``'strategies'`` for the convex problems, ``'optimizers'`` for the others.
        Rosenbrock and Himmelblau have no samples to batch, so no ``'strategies'``.
    start : (float, float) or sequence of them, optional
        Where the runs start (default: the problem's own starts). Every setting runs
        from every start.
    epochs : int, optional
        Epochs per run (default 30 for strategies, 60 for optimizers, 40 for lr; for
        Rosenbrock and Himmelblau an epoch is one update).
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
    Two starts on Himmelblau's function, the good learning rate from each:

    >>> land = compute_landscape("himmelblau", "lr", start=[(-1, 1), (1, -1)], resolution=21)
    >>> for run in land.paths[1::3]:
    ...     print(run.label, "from", land.starts[run.start_index], "->", run.outcome)
    lr=0.00949 (good) from [-1.  1.] -> global minimum at (-2.8051, 3.1313), cost 0
    lr=0.00949 (good) from [ 1. -1.] -> global minimum at (3.5844, -1.8481), cost 0
    >>> path = ds.plot.loss_landscape(land, "himmelblau.png")
    """
    task = make_problem(model, n_samples, seed)
    compare = compare or task.default_compare
    check_choice(compare, COMPARISONS, "compare")
    if compare == "strategies" and not task.sampled:
        raise ValueError(
            f"compare='strategies' needs samples to batch; {model} is a function of the two "
            f"weights alone: compare 'optimizers' or 'lr'"
        )
    if lrs is not None and (len(lrs) != 3 or not all(v > 0 for v in lrs)):
        raise ValueError(
            f"lrs must be three positive learning rates (small, good, large), got {lrs}"
        )
    starts = _starts(task.default_starts if start is None else start)
    minimum = task.minimum()
    start_costs, gradients = _at_starts(task, starts)
    epochs = epochs or task.epochs[compare]
    reach = max(float(np.abs(starts - minimum).max()), 1.0)
    paths = []
    for i, begin in enumerate(starts):
        for j, setting in enumerate(_settings(compare, task, begin, lr, lrs, batch_size)):
            run = _run(task, setting, begin, epochs, seed, limit=20 * reach)
            run.start_index, run.setting_index = i, j
            paths.append(run)
    w0, w1 = _axes(task, starts, paths, resolution, start_costs.max())
    G0, G1 = np.meshgrid(w0, w1)
    with np.errstate(over="ignore", invalid="ignore"):
        cost = task.cost(np.column_stack([G0.ravel(), G1.ravel()])).reshape(G0.shape)
    if not np.isfinite(cost).all():
        raise ValueError(
            f"the picture must reach w0 = {max(abs(w0[0]), abs(w0[-1])):.3g}, where the cost "
            f"overflows; choose starts nearer the minimum at {_point(minimum)}"
        )
    radius = _settle_radius(task, w0, w1)
    for run in paths:
        run.minimum, run.outcome = _outcome(run, task.minima, radius)
        if compare == "lr":
            run.detail = run.settings["role"] = _verdict(run)
    return Landscape(
        model=model,
        compare=compare,
        problem=task,
        starts=starts,
        minima=task.minima,
        w0=w0,
        w1=w1,
        cost=cost,
        paths=paths,
        gradients=gradients,
        start_costs=start_costs,
    )


def _starts(start) -> np.ndarray:
    try:
        starts = np.array(start, dtype=float)
    except (TypeError, ValueError):
        starts = np.array([np.nan])
    starts = starts[None] if starts.ndim == 1 else starts
    if (
        starts.ndim != 2
        or starts.shape[1:] != (2,)
        or not len(starts)
        or not np.isfinite(starts).all()
    ):
        raise ValueError(
            f"start must be two finite numbers (w0, w1), or a list of such pairs; got {start!r}"
        )
    return starts


def _at_starts(problem: Problem, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cost and gradient at each start; a ValueError for a start so far out that they
    overflow (no run could start there)."""
    with np.errstate(over="ignore", invalid="ignore"):
        costs, gradients = problem.cost(starts), problem.gradients(starts)
        models = [problem.model(start) for start in starts]
    for start, cost, gradient, model in zip(starts, costs, gradients, models):
        dtype = next(iter(model.parameters())).data.dtype
        if not (np.isfinite(cost) and np.isfinite(gradient).all()):
            why = f"the cost there overflows (beyond {np.finfo(np.float64).max:.3g})"
        elif not np.isfinite(problem.weights(model)).all():
            why = f"the model's {dtype} weights cannot hold it (at most {np.finfo(dtype).max:.3g})"
        else:
            continue
        raise ValueError(
            f"start {_point(start)} is too far out: {why}; choose a start nearer the "
            f"minimum at {_point(problem.minimum())}"
        )
    return costs, gradients


def _point(weights) -> str:
    return "({:.4g}, {:.4g})".format(*weights)


def _settle_radius(problem: Problem, w0: np.ndarray, w1: np.ndarray) -> float:
    """How close to a minimum a run must stay to have settled: a share of the picture's
    diagonal, up to a few times the problem's own (its default starts and minima), so
    that a start far out widens the picture, not the neighbourhood of a minimum."""
    n0, n1 = _axes(problem, _starts(problem.default_starts), [], 2, None)
    own = np.hypot(n0[-1] - n0[0], n1[-1] - n1[0])
    return SETTLE_RADIUS * float(min(np.hypot(w0[-1] - w0[0], w1[-1] - w1[0]), 4 * own))


def _outcome(run: Path, minima: list[Minimum], radius: float) -> tuple[Minimum | None, str]:
    if run.diverged:
        return None, "diverged"
    noisy = run.settings["batch_size"] != "full"
    reached, spread = settled_in(run.weights, minima, radius, noisy)
    if reached is not None:
        return reached, str(reached) + (
            f" (still wandering ±{spread:.2g})" if spread > radius else ""
        )
    closest, distance = nearest(run.weights[-1], minima)
    where = "({:.4f}, {:.4f})".format(*closest.weights)
    return None, f"did not settle: {distance:.3g} from the {closest.kind} minimum at {where}"


def _verdict(run: Path) -> str:
    """A learning rate judged by where its run ended: 'good' if it settled in a minimum;
    'too large' if it diverged, or the cost rose on some step (it overshoots: with steps
    small enough, gradient descent lowers the cost at every step); else 'too small' (still
    going down when the updates ran out)."""
    if run.minimum is not None:
        return "good"
    rose = np.diff(run.costs) > 1e-9 * np.abs(run.costs[:-1]) + 1e-300
    return "too large" if run.diverged or rose.any() else "too small"


def _axes(problem: Problem, starts, runs, resolution, start_cost) -> tuple[np.ndarray, np.ndarray]:
    """A window holding the starts, the minima, every run that did not diverge, and the
    first steps of those that did (while their cost is below 5 times the highest start's);
    for a non-convex problem, its whole region too."""
    points = [starts, np.array([m.weights for m in problem.minima])]
    for run in runs:
        points.append(run.weights[run.costs <= 5 * start_cost] if run.diverged else run.weights)
    points = np.concatenate(points)
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = 0.15 * np.maximum(hi - lo, 1.0)
    if problem.convex:
        lo, hi = lo - pad, hi + pad
    else:  # the region, widened (with a margin) only where a path leaves it
        r0a, r0b, r1a, r1b = problem.region
        lo = np.where(lo < [r0a, r1a], lo - pad, [r0a, r1a])
        hi = np.where(hi > [r0b, r1b], hi + pad, [r0b, r1b])
    return np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
