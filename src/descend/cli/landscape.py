"""``descend landscape``: the cost of a two-weight model with the paths of several runs."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from descend.cli.common import UsageError
from descend.names import closest

NAME = "landscape"
HELP = "loss landscape of a two-weight model with training paths"
DESCRIPTION = (
    "Draw the cost of a two-weight model over both weights as a filled contour, and the "
    "paths of several real training runs from the same start: batch strategies, optimizers "
    "or learning rates. A second panel shows the cost against one weight with the tangent "
    "at the start, whose slope is the derivative. Prints each run's updates, final cost and "
    "distance to the minimum."
)
EXAMPLES = """\
examples:
  descend landscape                                  batch GD, mini-batch and SGD on y = w0 + w1*x
  descend landscape --compare optimizers             SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam
  descend landscape --compare lr                     too small, good and too large learning rates
  descend landscape --compare lr --model logistic    logistic regression on two features
  descend landscape --compare lr --lrs 0.01,0.1,0.4 --epochs 60 --out lr.png
  descend landscape --start=-4,5 --batch-size 4          (write = before a negative number)
"""
COMPARISONS = ("strategies", "optimizers", "lr")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--compare", default="strategies", help="strategies, optimizers or lr (default strategies)"
    )
    parser.add_argument(
        "--model",
        default="linear",
        help="linear (y = w0 + w1*x) or logistic (two features, two weights)",
    )
    parser.add_argument("--epochs", type=int, help="epochs per run (default 30/60/40)")
    parser.add_argument(
        "--lr", type=float, help="learning rate of the SGD runs of strategies/optimizers"
    )
    parser.add_argument(
        "--lrs",
        type=_floats(3),
        metavar="SMALL,GOOD,LARGE",
        help="the three learning rates of --compare lr",
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
        metavar="W0,W1",
        help="the common starting weights, e.g. --start=-4,5",
    )
    parser.add_argument("--samples", type=int, default=40, help="generated samples (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="data and shuffling seed (default 0)")
    parser.add_argument(
        "--out", type=Path, help="PNG to write (default landscape-<model>-<compare>.png)"
    )


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

    compare = closest("comparison", args.compare, COMPARISONS)
    model = closest("model", args.model, ("linear", "logistic"))
    if args.lrs is not None and compare != "lr":
        raise UsageError("--lrs sets the three learning rates of --compare lr")
    if args.epochs is not None and args.epochs < 1:
        raise UsageError(f"--epochs must be a positive integer, got {args.epochs}")
    if args.samples < 2:
        raise UsageError(f"--samples must be at least 2, got {args.samples}")
    if not 1 <= args.batch_size <= args.samples:
        raise UsageError(
            f"--batch-size must be between 1 and --samples ({args.samples}), got {args.batch_size}"
        )
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
    path = args.out or Path(f"landscape-{model}-{compare}.png")
    plot.loss_landscape(landscape, path)
    print(describe(landscape))
    print(f"wrote {path}")
    return 0


def describe(landscape) -> str:
    """A table of the runs: updates, final cost, distance from the minimum."""
    minimum, start = landscape.minimum, landscape.start
    lines = [
        f"{landscape.model} regression, {len(landscape.X)} samples: minimum at "
        f"({minimum[0]:.4f}, {minimum[1]:.4f}), cost {landscape.cost_at(minimum)[0]:.4f}; "
        f"start ({start[0]:g}, {start[1]:g}), cost {landscape.start_cost:.4f}",
        f"{'run':34s}{'updates':>9s}{'final cost':>14s}{'distance to minimum':>22s}",
    ]
    for run_ in landscape.runs:
        distance = float(np.linalg.norm(run_.weights[-1] - minimum))
        end = "  diverged" if run_.diverged else ""
        lines.append(
            f"{run_.label:34s}{run_.updates:>9d}{run_.costs[-1]:>14.4g}{distance:>22.4g}{end}"
        )
    return "\n".join(lines)
