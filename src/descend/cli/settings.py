"""A run's settings: the options of ``descend train``, a TOML file, and their checks."""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MODELS = ("linear", "logistic", "softmax", "mlp", "lenet")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
SCHEDULERS = ("none", "step", "exponential", "cosine", "linear", "onecycle", "plateau")
TASKS = ("classify", "regress")
DEFAULT_LR = {
    "sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.05,
    "rmsprop": 0.001, "adam": 0.001, "adamw": 0.001,
}  # fmt: skip


class UsageError(ValueError):
    """Bad input from the person at the keyboard: one line on stderr, exit status 2."""


def closest(kind: str, value: str, options) -> str:
    """``value`` if it is one of ``options``, else a UsageError suggesting the nearest."""
    if value in options:
        return value
    near = difflib.get_close_matches(value, list(options), n=1, cutoff=0.5)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise UsageError(f"unknown {kind} {value!r}{hint} (choose from {', '.join(options)})")


@dataclass
class RunConfig:
    """Everything that defines a training run; written to the run folder as config.toml."""

    data: str = "digits"
    target: str | None = None
    task: str | None = None
    model: str = "mlp"
    hidden: list[int] = field(default_factory=lambda: [128, 64])
    optimizer: str = "adam"
    lr: float | None = None
    batch_size: int | str = 32
    epochs: int = 30
    scheduler: str = "none"
    val_fraction: float = 0.2
    test_fraction: float = 0.2
    early_stopping: int = 0
    seed: int = 0

    def validate(self) -> RunConfig:
        closest("model", self.model, MODELS)
        closest("optimizer", self.optimizer, OPTIMIZERS)
        closest("scheduler", self.scheduler, SCHEDULERS)
        if self.task is not None:
            closest("task", self.task, TASKS)
        if self.lr is not None and not self.lr > 0:
            raise UsageError(f"--lr must be a positive number, got {self.lr}")
        if self.batch_size != "full" and (
            isinstance(self.batch_size, bool)
            or not isinstance(self.batch_size, int)
            or self.batch_size < 1
        ):
            raise UsageError(
                f"--batch-size must be a positive integer or 'full', got {self.batch_size!r}"
            )
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 1:
            raise UsageError(f"--epochs must be a positive integer, got {self.epochs!r}")
        for name in ("val_fraction", "test_fraction"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise UsageError(f"--{name.replace('_', '-')} must be in [0, 1), got {value}")
        if self.val_fraction + self.test_fraction >= 1:
            raise UsageError("--val-fraction and --test-fraction leave no training data")
        if self.early_stopping < 0:
            raise UsageError(f"--early-stopping must be >= 0, got {self.early_stopping}")
        if not self.hidden or any(n < 1 for n in self.hidden):
            raise UsageError(f"--hidden must list positive layer sizes, got {self.hidden}")
        return self

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps({k: v for k, v in dataclasses.asdict(self).items() if v is not None})

    @classmethod
    def from_toml(cls, path: Path) -> RunConfig:
        try:
            values = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UsageError(f"{path}: no such file") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise UsageError(f"{path}: not valid TOML ({error})") from None
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise UsageError(
                f"{path}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})"
            )
        return cls(**values)

    def updated(self, **changes) -> RunConfig:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


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


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options that define a run (data, model, optimizer, schedule); all default to None
    so that a config file can supply them and explicit options win."""
    parser.add_argument(
        "--data",
        help="built-in set (digits, breast_cancer, diabetes, iris, "
        "wine), a folder of MNIST IDX files, or a .csv file (default digits)",
    )
    parser.add_argument("--target", help="CSV target column (default: the last column)")
    parser.add_argument("--task", help="classify or regress (default: inferred from the target)")
    parser.add_argument("--model", help=f"{', '.join(MODELS)} (default mlp)")
    parser.add_argument("--hidden", type=int_list, help="MLP hidden sizes, e.g. 128,64")
    parser.add_argument("--optimizer", help=f"{', '.join(OPTIMIZERS)} (default adam)")
    parser.add_argument("--lr", type=float, help="learning rate (default depends on optimizer)")
    parser.add_argument(
        "--batch-size",
        type=positive_int_or_full,
        help="N for mini-batches, 1 for SGD, 'full' for batch GD (default 32)",
    )
    parser.add_argument("--epochs", type=int, help="epochs (default 30)")
    parser.add_argument("--scheduler", help=f"learning-rate schedule: {', '.join(SCHEDULERS)}")
    parser.add_argument("--val-fraction", type=float, help="validation share (default 0.2)")
    parser.add_argument("--test-fraction", type=float, help="test share (default 0.2)")
    parser.add_argument(
        "--early-stopping",
        type=int,
        metavar="PATIENCE",
        help="stop after PATIENCE epochs without val_loss improvement",
    )
    parser.add_argument("--seed", type=int, help="random seed (default 0)")
    parser.add_argument("--config", type=Path, help="a TOML file of these settings")


RUN_OPTIONS = [f.name for f in dataclasses.fields(RunConfig)]


def config_from_args(args: argparse.Namespace) -> RunConfig:
    config = RunConfig.from_toml(args.config) if getattr(args, "config", None) else RunConfig()
    return config.updated(**{k: getattr(args, k, None) for k in RUN_OPTIONS}).validate()
