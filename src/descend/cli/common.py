"""What the commands share: one way to declare a subcommand, the run options (read from
RunConfig's fields), and the table of scores.

A command is a module with ``NAME``, ``HELP``, ``DESCRIPTION``, ``EXAMPLES``,
``add_arguments(parser)`` and ``run(args) -> exit status``; ``add_command`` turns it into a
subparser. A run option is a field of :class:`descend.runs.RunConfig`: its name, default
and help text come from there.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from descend.runs import RunConfig


class UsageError(ValueError):
    """Bad input from the person at the keyboard: one line on stderr, exit status 2."""


class HelpFormatter(argparse.HelpFormatter):
    """Descriptions wrap to the terminal; text of several lines (examples) stays as written."""

    def _fill_text(self, text, width, indent):
        if "\n" in text.strip("\n"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def add_command(subparsers, command) -> argparse.ArgumentParser:
    """The subparser of ``command`` (a module, see above), with its examples as epilog."""
    parser = subparsers.add_parser(
        command.NAME,
        help=command.HELP,
        description=command.DESCRIPTION,
        epilog=command.EXAMPLES,
        formatter_class=HelpFormatter,
    )
    command.add_arguments(parser)
    parser.set_defaults(run=command.run)
    return parser


# -- run options -------------------------------------------------------------------
def positive_int_or_full(text: str) -> int | str:
    if text == "full":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer or 'full', got {text!r}"
        ) from None


def int_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers like 128,64, got {text!r}"
        ) from None


def names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def comma_list(parse):
    """A parser of comma-separated values, each read by ``parse``."""

    def parse_list(text: str) -> list:
        try:
            return [parse(part) for part in names(text)]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated values like 0.001,0.01, got {text!r}"
            ) from None

    return parse_list


# How the text of an option becomes the value of its RunConfig field, by field type.
PARSERS = {
    "str": str,
    "str | None": str,
    "int": int,
    "float": float,
    "float | None": float,
    "int | str": positive_int_or_full,
    "list[int]": int_list,
}
RUN_FIELDS = {f.name: f for f in dataclasses.fields(RunConfig)}


def _shown(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def add_run_options(parser, only=None, listed=(), config_file=True) -> None:
    """An option per RunConfig field (or per field in ``only``), all defaulting to None so
    that a config file can supply them and explicit options win. Options in ``listed``
    take comma-separated values (``compare --optimizer sgd,adam``)."""
    for name in only or RUN_FIELDS:
        field = RUN_FIELDS[name]
        parse = PARSERS[field.type]
        default = field.default_factory() if callable(field.default_factory) else field.default
        help = field.metadata["help"]
        if name in listed:
            help = f"comma-separated: {help}"
        if default is not None:
            help = f"{help} (default {_shown(default)})"
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=comma_list(parse) if name in listed else parse,
            metavar=field.metadata.get("metavar"),
            help=help,
        )
    if config_file:
        parser.add_argument("--config", type=Path, help="a TOML file of these settings")


def given_run_options(args: argparse.Namespace) -> dict:
    """The run options set on the command line (those left out are None)."""
    return {k: getattr(args, k) for k in RUN_FIELDS if getattr(args, k, None) is not None}


def config_from_args(args: argparse.Namespace, base: RunConfig | None = None) -> RunConfig:
    """``base`` (or the file of ``--config``, or the defaults) updated by the options given."""
    if getattr(args, "config", None):
        base = RunConfig.from_toml(args.config)
    config = base if base is not None else RunConfig()
    return config.updated(**given_run_options(args)).validate()


# -- output ------------------------------------------------------------------------
def format_table(scores: dict) -> str:
    """Rows train/val/test, columns loss and metrics, four decimals."""
    columns = list(next(iter(scores.values())))
    lines = [f"{'':8s}" + "".join(f"{c:>12s}" for c in columns)]
    for name, values in scores.items():
        lines.append(f"{name:8s}" + "".join(f"{values[c]:12.4f}" for c in columns))
    return "\n".join(lines)
