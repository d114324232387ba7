"""Loss landscapes: the cost of a two-weight model, its minima, and real runs across it.

What the landscape pictures show, computed here and drawn by :mod:`descend.plot`
(the split :mod:`descend.lr_finder` / ``descend.plot.lr_range`` has too):

- :mod:`~descend.landscape.problems`: a two-weight problem (data, model, cost of many
  weight pairs at once, gradient by autodiff); linear and logistic regression;
- :mod:`~descend.landscape.nonconvex`: a Gaussian unit with a local minimum beside the
  global one, Rosenbrock's valley, Himmelblau's four minima;
- :mod:`~descend.landscape.minima`: the minima by Newton's method from a grid of starts,
  and which minimum a run settled in;
- :mod:`~descend.landscape.compute`: the runs (the Trainer with descend's optimizers),
  the grid, :func:`compute_landscape`; :mod:`~descend.landscape.result`: the
  :class:`Landscape` and :class:`Path` it returns.

>>> land = compute_landscape("local-minimum", "optimizers", resolution=21)
>>> [(run.label, run.minimum.kind) for run in land.paths[:2]]
[('SGD lr=1.85', 'local'), ('momentum 0.9 lr=0.371', 'global')]
>>> print(land.paths[0].outcome)
local minimum at (0.5445, 0.6283), cost 0.1232
"""

from descend.landscape.compute import COMPARISONS, compute_landscape, trace
from descend.landscape.minima import Minimum, find_minima
from descend.landscape.problems import Problem
from descend.landscape.registry import PROBLEMS, make_data, make_problem
from descend.landscape.result import Landscape, Path

__all__ = [
    "COMPARISONS",
    "PROBLEMS",
    "Landscape",
    "Minimum",
    "Problem",
    "Path",
    "compute_landscape",
    "find_minima",
    "make_data",
    "make_problem",
    "trace",
]
