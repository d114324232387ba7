"""The minima of a two-weight cost, found numerically, and which of them a run settled in.

:func:`find_minima` runs Newton's method from a grid of starts over the problem's region
all at once: the gradient by autodiff, the Hessian by central differences of it. Every
start that converges lands on a point where the gradient vanishes; those whose Hessian
is positive definite are minima (the others are saddles or maxima). The lowest are the
global minima, the rest local ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("global", "local")


@dataclass(frozen=True, eq=False)
class Minimum:
    """A minimum of the cost.

    Attributes
    ----------
    weights : ndarray, shape (2,)
    cost : float
    kind : {'global', 'local'}
        Global when no minimum is lower (several can be equally low).
    """

    weights: np.ndarray
    cost: float
    kind: str

    def __str__(self) -> str:
        w0, w1 = self.weights
        cost = f"{self.cost:.4g}" if abs(self.cost) >= 1e-12 else "0"  # not 1e-31
        return f"{self.kind} minimum at ({w0:.4f}, {w1:.4f}), cost {cost}"


def find_minima(problem, starts_per_axis: int = 15, iterations: int = 60) -> list[Minimum]:
    """Every minimum of ``problem``'s cost inside ``problem.region``, lowest first.

    Newton's method from a ``starts_per_axis`` x ``starts_per_axis`` grid of starts; a
    step is at most a quarter of the region's size, so a start on a flat stretch does not
    leap out of it. Points closer than a millionth of the region are one minimum.
    """
    lo0, hi0, lo1, hi1 = problem.region
    span = np.array([hi0 - lo0, hi1 - lo1], dtype=float)
    G0, G1 = np.meshgrid(
        np.linspace(lo0, hi0, starts_per_axis), np.linspace(lo1, hi1, starts_per_axis)
    )
    W = np.column_stack([G0.ravel(), G1.ravel()])
    step = np.full_like(W, np.inf)
    for _ in range(iterations):
        with np.errstate(all="ignore"):
            step = _newton_step(problem.gradients(W), problem.hessians(W))
            size = np.abs(step / span).max(axis=1, keepdims=True)
            step = step / np.maximum(1.0, 4 * size)
        keep = np.isfinite(step).all(axis=1) & _inside(W, problem.region, margin=1.0)
        W, step = W[keep] - step[keep], step[keep]
        if not len(W) or np.abs(step / span).max() < 1e-13:
            break
    converged = (np.abs(step / span).max(axis=1) < 1e-9) & _inside(W, problem.region)
    W = W[converged]
    if len(W):
        W = W[(np.linalg.eigvalsh(problem.hessians(W)) > 0).all(axis=1)]
    points: list[np.ndarray] = []
    for w in W:
        if all(np.abs((w - p) / span).max() > 1e-6 for p in points):
            points.append(w)
    if not points:
        raise RuntimeError(f"Newton's method found no minimum of the {problem.name} cost")
    costs = problem.cost(np.array(points))
    order = np.argsort(costs, kind="stable")
    best = costs[order[0]]
    tolerance = 1e-9 * max(1.0, abs(best))
    return [
        Minimum(points[i], float(costs[i]), "global" if costs[i] <= best + tolerance else "local")
        for i in order
    ]


def _newton_step(g: np.ndarray, H: np.ndarray) -> np.ndarray:
    """``H^-1 g`` for each row, by the 2x2 inverse (a singular H gives a non-finite step)."""
    a, b, d = H[:, 0, 0], H[:, 0, 1], H[:, 1, 1]
    det = a * d - b * b
    return np.column_stack([d * g[:, 0] - b * g[:, 1], a * g[:, 1] - b * g[:, 0]]) / det[:, None]


def _inside(W: np.ndarray, region, margin: float = 0.0) -> np.ndarray:
    lo0, hi0, lo1, hi1 = region
    m0, m1 = margin * (hi0 - lo0), margin * (hi1 - lo1)
    return (
        (W[:, 0] >= lo0 - m0)
        & (W[:, 0] <= hi0 + m0)
        & (W[:, 1] >= lo1 - m1)
        & (W[:, 1] <= hi1 + m1)
    )


def settled_in(path: np.ndarray, minima: list[Minimum], radius: float, noisy: bool = False):
    """Where a path ended: ``(minimum, spread)``, or ``(None, spread)`` if it did not settle.

    The path's tail is its last tenth (at least its last three points), and ``spread``
    how far the tail strays from its own centre. The path settled in a minimum when its
    whole tail lies within ``radius`` of it. A ``noisy`` path (small batches: each step
    follows a few samples) never comes to rest; it settled when the tail's centre is
    within ``radius`` and the tail wanders no more than five radii around it. A run still
    crawling towards a minimum, or bouncing across it, has not settled.
    """
    tail = path[-max(3, len(path) // 10) :]
    if not np.isfinite(tail).all():
        return None, float("inf")
    centre = tail.mean(axis=0)
    spread = float(np.linalg.norm(tail - centre, axis=1).max())
    minimum, distance = nearest(centre, minima)
    if noisy:
        near = distance <= radius and spread <= 5 * radius
    else:
        near = np.linalg.norm(tail - minimum.weights, axis=1).max() <= radius
    return (minimum if near else None), spread


def nearest(point: np.ndarray, minima: list[Minimum]) -> tuple[Minimum, float]:
    """The minimum nearest to ``point`` and its distance."""
    distances = [float(np.linalg.norm(point - m.weights)) for m in minima]
    i = int(np.argmin(distances))
    return minima[i], distances[i]
