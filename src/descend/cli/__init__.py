"""The ``descend`` command: train, evaluate, predict and inspect models from a terminal.

Bad input ends with one line on stderr naming what was expected and what came, and
exit status 2; set ``DESCEND_DEBUG=1`` to see the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys

from descend.cli import compare, evaluate, explain, export, info, landscape, lr_find, predict, train
from descend.cli.common import HelpFormatter, UsageError, add_command
from descend.io import ModelFileError

COMMANDS = (train, evaluate, predict, export, info, landscape, compare, lr_find, explain)

EXAMPLES = """\
examples:
  descend train                              train an MLP on the built-in digits set
  descend train --data iris --model softmax  another data set, another model
  descend evaluate runs/digits-mlp           metrics and confusion matrix on the test split
  descend predict runs/digits-mlp new.csv    predictions for new rows
  descend export runs/digits-mlp m.onnx      the run as an ONNX model, scaler included
  descend info runs/digits-mlp               layers, parameters, settings, final metrics
  descend landscape --compare optimizers     paths of 6 optimizers on a two-weight bowl
  descend compare --optimizer sgd,momentum,adam
  descend lr-find                            learning-rate range test
  descend explain --steps 20                 one step of gradient descent, every number
  descend COMMAND --help                     the options of one command
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="descend",
        description="Gradient descent you can watch: train models on NumPy and see every step.",
        epilog=EXAMPLES,
        formatter_class=HelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        add_command(subparsers, command)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except BrokenPipeError:
        # The reader went away (`descend info RUN | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (UsageError, ModelFileError, ValueError, TypeError, OSError) as error:
        if os.environ.get("DESCEND_DEBUG"):
            raise
        message = str(error) or type(error).__name__
        print(f"descend {args.command}: error: {message}", file=sys.stderr)
        return 2
