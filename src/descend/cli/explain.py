"""``descend explain``: one iteration of gradient descent on a tiny model, every number shown."""

from __future__ import annotations

import argparse
import math

from descend.checks import positive_int
from descend.cli.common import UsageError
from descend.names import closest

DESCRIPTION = (
    "Print one iteration of gradient descent on a model of 4 samples and 2 features: 1 the "
    "initial weights, 2 the forward pass, 3 the loss of each sample, 4 the cost, 5 each "
    "partial derivative by the chain rule and by autodiff, 6 the simultaneous update, 7 the "
    "new cost. With --steps, more iterations, one line each, until the model converges. "
    "The last line says what the costs show: converged, still falling, or growing because "
    "the learning rate is above the limit 2/L set by the cost's curvature L (and what to try)."
)
EXAMPLES = """\
examples:
  descend explain                         one step of linear regression, 4 samples, 2 features
  descend explain --model logistic        the same for logistic regression
  descend explain --steps 50              50 steps (fewer if it converges first)
  descend explain --lr 0.1                a learning rate too large: the cost goes up
  descend explain --lr 0.1 --steps 30     ... and up, until it diverges
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="linear", help="linear or logistic (default linear)")
    parser.add_argument("--steps", type=int, default=1, help="iterations to run (default 1)")
    parser.add_argument("--lr", type=float, help="learning rate (default 0.02, logistic 0.1)")
    parser.add_argument(
        "--tol",
        type=float,
        default=1e-6,
        help="converged when the cost changes by less than this (default 1e-6)",
    )


def run(args: argparse.Namespace) -> int:
    from descend.explain import explain

    model = closest("model", args.model, ("linear", "logistic"))
    positive_int(args.steps, "--steps")
    if args.lr is not None and not (args.lr > 0 and math.isfinite(args.lr)):
        raise UsageError(f"--lr must be a positive, finite number, got {args.lr}")
    if not args.tol >= 0:
        raise UsageError(f"--tol must be >= 0, got {args.tol}")
    print(explain(model, steps=args.steps, lr=args.lr, tol=args.tol).text)
    return 0
