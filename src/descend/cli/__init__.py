"""The ``descend`` command: train, evaluate, predict and inspect models from a terminal.

Bad input ends with one line on stderr naming what was expected and what came, and
exit status 2; set ``DESCEND_DEBUG=1`` to see the traceback instead. Ctrl-C ends a
command quietly with exit status 130 (``train`` first saves a checkpoint), leaving no
half-written file. A run that diverged ends with exit status 3.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import os
import sys
from pathlib import Path

from descend import __version__
from descend.cli.parser import HelpFormatter, Parser

# At exit the interpreter searches every object still alive for reference cycles: with
# matplotlib loaded, 0.1 s of a command's time. By then the command's files are closed
# and its callbacks have ended, so the search is skipped (frozen objects are left out of
# it); what is left is the operating system's to reclaim with the process.
atexit.register(gc.freeze)

# A command's name and its line in ``descend --help``; its module, descend.cli.<name> (with
# _ for -), is imported only when the command is run or asked for its --help.
COMMANDS = {
    "train": "train a model and save the run",
    "evaluate": "metrics of a trained run on a data set",
    "predict": "predictions of a trained run for new rows",
    "export": "write a trained run as an ONNX model (scaler included)",
    "info": "layers, parameter counts, settings and final metrics of a run",
    "view": "see a run in the browser, live while it trains (descend[live])",
    "landscape": "loss landscape of a two-weight model with training paths",
    "playground": "steer gradient descent on a loss landscape in the browser (descend[live])",
    "compare": "train one model with several settings and overlay the curves",
    "lr-find": "learning-rate range test: loss against learning rate",
    "explain": "one training step of a tiny model, with its real numbers",
}

EXAMPLES = """\
examples:
  descend train                              train an MLP on the built-in digits set
  descend train --data iris --model softmax  another data set, another model
  descend evaluate runs/digits-mlp           metrics and confusion matrix on the test split
  descend predict runs/digits-mlp new.csv    predictions for new rows
  descend export runs/digits-mlp m.onnx      the run as an ONNX model, scaler included
  descend info runs/digits-mlp               layers, parameters, settings, final metrics
  descend view runs/digits-mlp               the run in the browser, live while it trains
  descend landscape --compare optimizers     paths of 6 optimizers on a two-weight bowl
  descend playground                         steer the descent on a landscape in the browser
  descend compare --optimizer sgd,momentum,adam
  descend lr-find                            learning-rate range test
  descend explain --steps 20                 one step of gradient descent, every number
  descend COMMAND --help                     the options of one command
"""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of ``descend``: every command's name and help, and the options of
    ``command`` alone (its module is imported; the others are not)."""
    parser = Parser(
        prog="descend",
        description="Gradient descent you can watch: train models on NumPy and see every step.",
        epilog=EXAMPLES,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"descend {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    parser.commands = {
        name: subparsers.add_parser(name, help=help, formatter_class=HelpFormatter)
        for name, help in COMMANDS.items()
    }
    if command in COMMANDS:
        from descend.cli.common import add_command

        module = importlib.import_module(f"descend.cli.{command.replace('-', '_')}")
        add_command(parser.commands[command], module)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # The top level has no option that takes a value: the first other word is the command.
    parser = build_parser(next((word for word in argv if not word.startswith("-")), None))
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said by the command's parser, which names the command and its --help
        parser.commands.get(args.command, parser).error(
            f"unrecognized arguments: {' '.join(unknown)}"
        )
    if args.command is None:
        parser.print_help()
        return 2
    from descend import distributed
    from descend.cli.common import UsageError
    from descend.io import ModelFileError

    try:
        return args.run(args)
    except KeyboardInterrupt:
        # Ctrl-C: files are written atomically, so nothing half-written is left behind.
        if distributed.world_size() > 1:  # the partners may wait for this process: end all
            distributed.abort("" if distributed.is_main() else None, 130)
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`descend info RUN | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (UsageError, ModelFileError, ValueError, TypeError, OSError) as error:
        if os.environ.get("DESCEND_DEBUG"):
            raise
        message = _os_message(error) if isinstance(error, OSError) else str(error)
        line = f"descend {args.command}: error: {message or type(error).__name__}"
        if getattr(error, "shared", False):  # every process of an MPI job raised it
            if distributed.is_main():
                print(line, file=sys.stderr)
            return 2
        if distributed.world_size() > 1:  # this process alone: the others would wait
            distributed.abort(line, 2)
        print(line, file=sys.stderr)
        return 2


def _os_message(error: OSError) -> str:
    """``path: permission denied``, naming the file meant, not a temporary one beside it."""
    if error.strerror is None or error.filename is None:
        return str(error) or type(error).__name__
    path = Path(error.filename)
    if path.name.startswith(".") and path.name.endswith(".tmp"):  # files.atomic_write's
        path = path.parent
    return f"{path}: {error.strerror[:1].lower()}{error.strerror[1:]}"
