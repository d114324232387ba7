"""``descend landscape``: the cost of a two-weight model, its minima, and the paths of runs."""

from __future__ import annotations

import argparse
import math

from descend.checks import positive_int
from descend.cli.common import UsageError, add_picture_options, picture_path
from descend.landscape import COMPARISONS, PROBLEMS
from descend.names import closest

DESCRIPTION = (
    "Draw the cost of a two-weight model over both weights as a filled contour, its minima "
    "(found by least squares or Newton's method), and the paths of several real training "
    "runs: batch strategies, optimizers or learning rates, from one start or several. A "
    "second panel shows the cost against one weight with the tangent at the start, whose "
    "slope is the derivative. Convex bowls (linear, logistic) and non-convex costs: a "
    "Gaussian unit with a local minimum beside the global one, Rosenbrock's curved valley, "
    "Himmelblau's four minima. Prints each run's updates and final cost, and the minimum it "
    "settled in (global or local) or that it did not settle."
)
EXAMPLES = """\
examples:
  descend landscape                                  batch GD, mini-batch and SGD on y = w0 + w1*x
  descend landscape --compare optimizers             SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam
  descend landscape --compare lr                     three learning rates, each judged by its run
  descend landscape --compare lr --model logistic    logistic regression on two features
  descend landscape --compare lr --lrs 0.01,0.1,0.4 --epochs 60 --out lr.png
  descend landscape --start=-4,5 --batch-size 4          (write = before a negative number)
  descend landscape --model local-minimum            SGD stops in the local minimum, momentum not
  descend landscape --model local-minimum --compare strategies    batch 1's noise shakes SGD out
  descend landscape --model rosenbrock               plain SGD crawls along the curved valley
  descend landscape --model himmelblau               four starts, four minima
  descend landscape --model himmelblau --compare lr --start=-1,1 --start=1,-1   (once per start)
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--compare",
        help="strategies, optimizers or lr (default: strategies for linear and logistic, "
        "optimizers for the others)",
    )
    parser.add_argument(
        "--model",
        default="linear",
        help="linear (y = w0 + w1*x), logistic (two features, two weights), local-minimum "
        "(y = w1*exp(-(x - w0)^2)), rosenbrock or himmelblau (default linear)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        help="epochs per run (default 30/60/40 for strategies/optimizers/lr; more for "
        "local-minimum; rosenbrock and himmelblau make one update per epoch)",
    )
    parser.add_argument(
        "--lr", type=float, help="learning rate of the SGD runs of strategies/optimizers"
    )
    parser.add_argument(
        "--lrs",
        type=_floats(3),
        metavar="SMALL,GOOD,LARGE",
        help="the three learning rates of --compare lr (each is then called too small, good "
        "or too large by how its run ended: settled, still going down, or overshooting)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=8,
        help="the mini-batch size of --compare strategies (default 8)",
    )
    parser.add_argument(
        "--start",
        type=_floats(2),
        action="append",
        metavar="W0,W1",
        help="where the runs start, e.g. --start=-4,5; give it once per start for several "
        "(--start=-1,1 --start=1,-1): every run is made from every start (default: the "
        "model's own start, four for himmelblau)",
    )
    parser.add_argument(
        "--samples",
        type=int,
        default=40,
        help="generated samples (default 40; rosenbrock and himmelblau have none)",
    )
    parser.add_argument("--seed", type=int, default=0, help="data and shuffling seed (default 0)")
    add_picture_options(parser, "landscape-<model>-<compare>.png")


def _floats(count: int):
    def parse(text: str) -> list[float]:
        try:
            values = [float(part) for part in text.split(",")]
        except ValueError:
            values = []
        if len(values) != count:
            raise argparse.ArgumentTypeError(
                f"expected {count} comma-separated numbers, got {text!r}"
            )
        return values

    return parse


def run(args: argparse.Namespace) -> int:
    from descend import plot

    model = closest("model", args.model, tuple(PROBLEMS))
    compare = closest("comparison", args.compare or PROBLEMS[model].default_compare, COMPARISONS)
    if args.lrs is not None and compare != "lr":
        raise UsageError("--lrs sets the three learning rates of --compare lr")
    for option, value in [("--lr", args.lr)] + [("--lrs", lr) for lr in args.lrs or []]:
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise UsageError(f"{option} takes positive, finite learning rates, got {value}")
    if args.epochs is not None:
        positive_int(args.epochs, "--epochs")
    if args.samples < 2:
        raise UsageError(f"--samples must be at least 2, got {args.samples}")
    if not 1 <= args.batch_size <= args.samples:
        raise UsageError(
            f"--batch-size must be between 1 and --samples ({args.samples}), got {args.batch_size}"
        )
    path = picture_path(args.out, f"landscape-{model}-{compare}.png", args.force)
    landscape = plot.compute_landscape(
        model,
        compare,
        start=args.start,
        epochs=args.epochs,
        lr=args.lr,
        lrs=args.lrs,
        batch_size=args.batch_size,
        n_samples=args.samples,
        seed=args.seed,
    )
    plot.loss_landscape(landscape, path)
    print(landscape.summary())
    print(f"wrote {path}")
    return 0
