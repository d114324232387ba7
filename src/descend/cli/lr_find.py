"""``descend lr-find``: the learning-rate range test, with a suggested learning rate."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from descend import runs
from descend.cli.common import (
    RUN_FIELDS,
    UsageError,
    add_picture_options,
    add_run_options,
    config_from_args,
    picture_path,
)

DESCRIPTION = (
    "Train for a short while, multiplying the learning rate at every update (from "
    "--start-lr to --end-lr, or until the loss explodes), and plot the smoothed loss against "
    "the learning rate on a log axis. Suggests the learning rate where the loss falls "
    "fastest. The model is not kept: the test only looks."
)
EXAMPLES = """\
examples:
  descend lr-find                                     an MLP with Adam on the digits set
  descend lr-find --optimizer sgd --batch-size 64
  descend lr-find --data breast_cancer --model logistic --optimizer momentum
  descend lr-find --start-lr 1e-5 --end-lr 1 --steps 200 --out lr.png
"""
# Run options the test has no use for: it sets the lr itself, update by update, for
# --steps updates. A config file may hold them (for train); they are not used.
IGNORED = ("lr", "epochs", "scheduler", "early_stopping", "tensorboard")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_options(parser, only=[name for name in RUN_FIELDS if name not in IGNORED])
    parser.add_argument("--start-lr", type=float, default=1e-7, help="first lr (default 1e-7)")
    parser.add_argument("--end-lr", type=float, default=10.0, help="last lr (default 10)")
    parser.add_argument("--steps", type=int, default=100, help="updates (default 100)")
    add_picture_options(parser, "lr-find-<data>-<model>.png")


def run(args: argparse.Namespace) -> int:
    from descend import plot
    from descend.lr_finder import lr_find

    if not 0 < args.start_lr < args.end_lr < math.inf:
        raise UsageError(f"need 0 < --start-lr < --end-lr, got {args.start_lr} and {args.end_lr}")
    if args.steps < 2:
        raise UsageError(f"--steps must be at least 2, got {args.steps}")
    config = config_from_args(args)
    default = f"lr-find-{Path(config.data).stem}-{config.model}.png"
    path = picture_path(args.out, default, args.force)
    run_ = runs.prepare_run(config)
    found = run_.dataset
    print(
        f"{config.model} on {found.name}, {config.optimizer}, batch {config.batch_size}: "
        f"lr from {args.start_lr:g} to {args.end_lr:g} over {args.steps} updates"
    )
    result = lr_find(
        run_.model,
        run_.loss,
        run_.optimizer,
        run_.loader,
        start_lr=args.start_lr,
        end_lr=args.end_lr,
        num_steps=args.steps,
    )
    print(decades(result))
    print(result)
    plot.lr_find(result, path)
    if result.suggestion is not None:
        print(
            f"try: descend train --data {config.data} --model {config.model} "
            f"--optimizer {config.optimizer} --batch-size {config.batch_size} "
            f"--lr {result.suggestion:.2g}"
        )
    print(f"wrote {path}")
    return 0


def decades(result) -> str:
    """The smoothed loss at each power of ten the test passed: the curve in a few numbers."""
    lines = [f"{'lr':>10s}{'smoothed loss':>16s}"]
    low, high = math.ceil(math.log10(result.lrs[0])), math.floor(math.log10(result.lrs[-1]))
    for exponent in range(low, high + 1):
        i = int(np.argmin(np.abs(np.log10(result.lrs) - exponent)))
        lines.append(f"{result.lrs[i]:>10.1e}{result.losses[i]:>16.4f}")
    return "\n".join(lines)
