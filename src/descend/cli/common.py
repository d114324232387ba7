"""What the commands share: one way to declare a subcommand, the run options (read from
RunConfig's fields), and the table of scores.

A command is a module with ``DESCRIPTION``, ``EXAMPLES``, ``add_arguments(parser)`` and
``run(args) -> exit status``, listed with its name and one line of help in
``descend.cli.COMMANDS``; ``add_command`` fills its subparser. A run option is a field of
:class:`descend.runs.RunConfig`: its name, default and help text come from there.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
import tempfile
import warnings
from pathlib import Path

from descend import backend, runs
from descend.cli.parser import HelpFormatter, Parser, UsageError  # noqa: F401 (the commands' import)
from descend.runs import RunConfig
from descend.runs.config import SETTING_KINDS, comma_separated


def add_command(parser: argparse.ArgumentParser, command) -> None:
    """Fill ``parser``, the subparser of ``command`` (a module, see above)."""
    parser.description = command.DESCRIPTION
    parser.epilog = command.EXAMPLES
    command.add_arguments(parser)
    parser.set_defaults(run=command.run)


# -- run options -------------------------------------------------------------------
def option_type(kind):
    """The argparse ``type`` of a run option of this kind (``runs.config.SETTING_KINDS``):
    its text read by ``kind.parse``, or one line saying what was expected."""

    def parse(text: str):
        try:
            return kind.parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {kind.typed or kind.what}, got {text!r}"
            ) from None

    return parse


def comma_list(parse):
    """A parser of comma-separated values, each read by ``parse``; no empty ones."""

    def parse_list(text: str) -> list:
        try:
            return [parse(part) for part in comma_separated(text)]
        except (ValueError, argparse.ArgumentTypeError):
            raise argparse.ArgumentTypeError(
                f"expected comma-separated values like sgd,adam or 0.001,0.01, got {text!r}"
            ) from None

    return parse_list


RUN_FIELDS = {f.name: f for f in dataclasses.fields(RunConfig)}


def _shown(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def add_run_options(parser, only=None, listed=(), config_file=True) -> None:
    """An option per RunConfig field (or per field in ``only``), all defaulting to None so
    that a config file can supply them and explicit options win. Options in ``listed``
    take comma-separated values (``compare --optimizer sgd,adam``)."""
    for name in only or RUN_FIELDS:
        field = RUN_FIELDS[name]
        parse = option_type(SETTING_KINDS[field.type])
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


# -- output paths: checked before any work, in plain words ----------------------------
def check_output_file(path: Path, option: str) -> None:
    """A UsageError when the file ``path`` (given with ``option``) cannot be written:
    it is a folder, its folder does not exist (none is made), or it is not writable."""
    if path.is_dir():
        raise UsageError(f"{option} {path} is a folder; give a file name")
    folder = path.parent
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "does not exist"
        raise UsageError(f"{option} {path}: the folder {folder} {what}")
    _check_writable(folder, option, path)


def check_output_folder(path: Path, option: str) -> None:
    """A UsageError when the folder ``path`` cannot be made or written (made later, with
    its parents, once there is something to keep in it)."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "" if existing == path else f" ({existing} is a file)"
        raise UsageError(f"{option} {path} is a file, not a folder{where}")
    _check_writable(existing, option, path)


def _check_writable(folder: Path, option: str, path: Path) -> None:
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        reason = (error.strerror or type(error).__name__).lower()
        raise UsageError(f"{option} {path}: cannot write in {folder} ({reason})") from None


def numbered(path: Path) -> Path:
    """``path``, or ``name-2.png``, ``name-3.png``... when it exists already."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def picture_path(out: Path | None, default: str, force: bool) -> Path:
    """Where a command writes its PNG: ``--out`` (refused when it exists, unless
    ``--force``), or ``default``, numbered so that no earlier picture is replaced."""
    if out is None:
        path = numbered(Path(default))
    elif out.exists() and not out.is_dir() and not force:
        raise UsageError(f"--out {out} exists; pass --force to replace it, or choose another --out")
    else:
        path = out
    check_output_file(path, "--out")
    if path.suffix.lower() != ".png":
        raise UsageError(f"--out {path}: pictures are written as PNG; give a name ending in .png")
    return path


def add_picture_options(parser, default: str) -> None:
    """``--out`` and ``--force`` of a command that writes one PNG."""
    parser.add_argument(
        "--out",
        type=Path,
        help=f"PNG to write (default {default}, numbered -2, -3... when it exists)",
    )
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")


@contextlib.contextmanager
def warnings_as_lines():
    """The library's warnings in the block printed as ``warning: ...``, one line each."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)


def warn_if_diverged(saved) -> None:
    """A warning on stderr when the saved run diverged in training."""
    if saved.diverged:
        print(
            f"warning: {saved.folder} diverged in training ({saved.diverged})",
            file=sys.stderr,
        )


# -- output ------------------------------------------------------------------------
def format_table(scores: dict) -> str:
    """Rows train/val/test, columns loss and metrics, four decimals."""
    columns = list(next(iter(scores.values())))
    lines = [f"{'':8s}" + "".join(f"{c:>12s}" for c in columns)]
    for name, values in scores.items():
        lines.append(f"{name:8s}" + "".join(f"{values[c]:12.4f}" for c in columns))
    return "\n".join(lines)


# -- the device of a saved run --------------------------------------------------------
def add_device_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--device",
        default="cpu",
        help="where the model runs: cpu (default), cuda, cuda:N, or auto (a GPU if any)",
    )


def open_saved_run(args: argparse.Namespace):
    """``runs.load_run(RUN_DIR)`` on ``--device``; a device that is not there is a UsageError."""
    try:
        return runs.load_run(args.run_dir, device=args.device)
    except backend.DeviceError as error:
        raise UsageError(f"--device {args.device}: {error}") from None
