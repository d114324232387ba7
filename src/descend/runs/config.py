"""A run's settings: one dataclass, its checks, and its TOML file (``config.toml``).

Each field is one option of ``descend train`` (``batch_size`` is ``--batch-size``); its
``help`` metadata is the option's help text, and the field's default the default the
help shows. A new run option is one field here.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from descend import backend
from descend.checks import is_positive_int, positive_int
from descend.data.sets import BUILTIN_DATA, TASKS
from descend.names import closest
from descend.optim.lookup import DEFAULT_LR, OPTIMIZERS, SCHEDULERS, longest_warmup
from descend.runs.kinds import KINDS, MODEL_SETTINGS, MODELS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ACTIVATIONS = ("relu", "tanh", "sigmoid")
# What each schedule does with its one setting: --scheduler NAME or NAME:VALUE. VALUE is
# the keyword argument named here of optim.get_scheduler.
SCHEDULES = {
    "none": (None, "the lr stays as set"),
    "step": ("step_size", "step:N lr x0.1 every N epochs (default: a third of the run)"),
    "exponential": ("gamma", "exponential:G lr xG after every epoch (default 0.95)"),
    "cosine": ("T_max", "cosine:N lr down to 0 along a half cosine over N epochs (default: all)"),
    "linear": (
        "total_iters",
        "linear:N warm-up from lr/10 to lr over the first N epochs, fewer than --epochs "
        "(default 5, at most half the run)",
    ),
    "onecycle": (
        "pct_start",
        "onecycle:F lr up to the set lr over the first fraction F of the updates, then down "
        "to almost 0 (default 0.3)",
    ),
    "plateau": ("patience", "plateau:N lr halved after N epochs without a lower loss (default 3)"),
}


def comma_separated(text: str) -> list[str]:
    """The comma-separated parts of ``text``; a ValueError for an empty one (``64,,32``)."""
    parts = [part.strip() for part in text.split(",")]
    if not all(parts):
        raise ValueError(f"empty value in {text!r}")
    return parts


def _whole_or_full(text: str) -> int | str:
    return text if text == "full" else int(text)


@dataclass(frozen=True)
class SettingKind:
    """What one type of setting accepts: as a Python or TOML value (``types``, named
    ``what`` in a message), and as the text of a command-line option (read by ``parse``,
    which raises ValueError for text it cannot read, named ``typed`` in a message)."""

    types: tuple
    what: str
    parse: Callable[[str], object]
    typed: str = ""


# The kinds of setting by the type annotation of RunConfig's fields.
SETTING_KINDS = {
    "str": SettingKind((str,), "a name", str),
    "str | None": SettingKind((str, type(None)), "a name", str),
    "int": SettingKind((int,), "a whole number", int),
    "int | None": SettingKind((int, type(None)), "a whole number", int),
    "float": SettingKind((int, float), "a number", float),
    "float | None": SettingKind((int, float, type(None)), "a number", float),
    "int | str": SettingKind(
        (int, str), "a whole number or a name", _whole_or_full, "a positive integer or 'full'"
    ),
    "list[int]": SettingKind(
        (list,),
        "a list of whole numbers, like [128, 64]",
        lambda text: [int(part) for part in comma_separated(text)],
        "comma-separated integers like 128,64",
    ),
}


def option(default, help: str, **metadata):
    """A run setting with its default and the help text of its command-line option."""
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"help": help, **metadata})
    return field(default=default, metadata={"help": help, **metadata})


@dataclass
class RunConfig:
    """Everything that defines a training run; written to the run folder as config.toml.

    >>> config = RunConfig(data="iris", model="softmax", epochs=50).validate()
    >>> config.learning_rate  # adam's default
    0.001
    """

    data: str = option(
        "digits",
        f"built-in set ({', '.join(BUILTIN_DATA)}), a folder of MNIST IDX files, a folder "
        "of .npy files (X.npy and y.npy, or train_ and test_ pairs; read from disk), or a "
        ".csv file",
    )
    target: str | None = option(None, "CSV target column (default: the last column)")
    task: str | None = option(None, "classify or regress (default: inferred from the target)")
    model: str = option("mlp", ", ".join(MODELS))
    hidden: list[int] = option(KINDS["mlp"].defaults["hidden"], "MLP hidden sizes, e.g. 128,64")
    activation: str | None = option(None, "MLP activation: relu, tanh or sigmoid (default relu)")
    optimizer: str = option("adam", ", ".join(OPTIMIZERS))
    lr: float | None = option(None, "learning rate (default depends on optimizer)")
    batch_size: int | str = option(32, "N for mini-batches, 1 for SGD, 'full' for batch GD")
    epochs: int = option(30, "epochs")
    scheduler: str = option(
        "none",
        # "none" last: the help's "(default none)" follows it, not another schedule's default.
        "learning-rate schedule: "
        + "; ".join(what for _, what in list(SCHEDULES.values())[1:])
        + "; none: the lr stays as set",
        metavar="NAME[:VALUE]",
    )
    val_fraction: float = option(0.2, "validation share")
    test_fraction: float = option(0.2, "test share")
    early_stopping: int = option(
        0, "stop after PATIENCE epochs without val_loss improvement", metavar="PATIENCE"
    )
    seed: int = option(0, "random seed (a whole number >= 0)")
    threads: int | None = option(
        None, "threads per process for matrix products (default: fit the model and the cores)"
    )
    tensorboard: str | None = option(
        None,
        "also write loss, metrics, lr and gradient norms for TensorBoard into DIR "
        "(descend[tensorboard]); a resumed run goes on writing there",
        metavar="DIR",
    )
    device: str = option(
        "cpu", "where to train: cpu, cuda (cuda:N: GPU N), or auto (a GPU if there is one)"
    )

    @property
    def learning_rate(self) -> float:
        """``lr``, or the optimizer's default when it is None."""
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]

    def validate(self) -> RunConfig:
        """``self`` if every setting is usable, else a ValueError naming the bad one."""
        self._check_types()
        closest("model", self.model, MODELS)
        closest("optimizer", self.optimizer, OPTIMIZERS)
        self.schedule()
        if self.task is not None:
            closest("task", self.task, TASKS)
        if self.activation is not None:
            closest("activation", self.activation, ACTIVATIONS)
            if "activation" not in KINDS[self.model].defaults:
                takes = [k.name for k in KINDS.values() if "activation" in k.defaults]
                raise ValueError(
                    f"--activation is for --model {' or '.join(takes)}; --model {self.model} "
                    "has none to choose"
                )
        if self.lr is not None and not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"--lr must be a positive, finite number, got {self.lr}")
        if self.batch_size != "full" and not is_positive_int(self.batch_size):
            raise ValueError(
                f"--batch-size must be a positive integer or 'full', got {self.batch_size!r}"
            )
        positive_int(self.epochs, "--epochs")
        for name in ("val_fraction", "test_fraction"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be in [0, 1), got {value}")
        if self.val_fraction + self.test_fraction >= 1:
            raise ValueError("--val-fraction and --test-fraction leave no training data")
        if self.early_stopping < 0:
            raise ValueError(f"--early-stopping must be >= 0, got {self.early_stopping}")
        if not self.hidden or any(n < 1 for n in self.hidden):
            raise ValueError(f"--hidden must list positive layer sizes, got {self.hidden}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"--seed must be a whole number >= 0, got {self.seed!r}")
        if self.threads is not None:
            positive_int(self.threads, "--threads")
        kind, _, index = self.device.partition(":")
        if self.device not in ("cpu", "auto") and not (
            kind in backend.kinds() and kind != "cpu" and (index or "0").isdigit()
        ):
            raise ValueError(f"--device must be cpu, cuda, cuda:N or auto, got {self.device!r}")
        return self

    def _check_types(self) -> None:
        """A ValueError for a value of the wrong kind (from a TOML file: ``lr = "0.1"``)."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            kind = SETTING_KINDS[f.type]
            kinds, what = kind.types, kind.what
            if f.name == "target":  # a column by name or by position
                kinds, what = (str, int, type(None)), "a column name or number"
            good = isinstance(value, kinds) and not isinstance(value, bool)
            if good and f.type == "list[int]":
                good = all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            if not good:
                raise ValueError(f"--{f.name.replace('_', '-')} must be {what}, got {value!r}")

    def schedule(self) -> tuple[str, dict]:
        """The schedule's name and its setting as keyword arguments of
        ``optim.get_scheduler``: ``"step:10"`` gives ``("step", {"step_size": 10})``."""
        name, colon, text = str(self.scheduler).partition(":")
        name = closest("scheduler", name.strip(), SCHEDULERS)
        keyword, what = SCHEDULES[name]
        if not colon:
            return name, {}
        if keyword is None:
            raise ValueError(f"--scheduler none takes no value, got {self.scheduler!r}")
        placeholder = what.split()[0]  # "step:N"
        whole = placeholder.endswith(":N")
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            value = None
        lowest = 0 if name == "plateau" else 1
        if value is None or (whole and value < lowest) or (not whole and not 0 < value < 1):
            expected = f"a whole number >= {lowest}" if whole else "a number between 0 and 1"
            raise ValueError(
                f"--scheduler {placeholder}: {what.split(' ', 1)[1]}; expected {expected} "
                f"for {placeholder[-1]}, got {text!r}"
            )
        if name == "linear" and value > longest_warmup(self.epochs):
            longest = longest_warmup(self.epochs)
            fewer = f"give linear:{longest} or less, or " if longest else "give "
            raise ValueError(
                f"--scheduler linear:{value}: the warm-up must end before the last epoch "
                f"(--epochs {self.epochs}), so that the run trains at its lr; {fewer}more --epochs"
            )
        return name, {keyword: value}

    def to_toml(self) -> str:
        """The settings as TOML, without those left unset (None) and those that only
        other kinds of model read (an MLP's layer sizes)."""
        import tomli_w

        settings = dataclasses.asdict(self)
        for name in set(MODEL_SETTINGS) - set(KINDS[self.model].defaults):
            del settings[name]
        return tomli_w.dumps({k: v for k, v in settings.items() if v is not None})

    @classmethod
    def from_toml(cls, path: Path) -> RunConfig:
        """The settings of a TOML file; unknown keys are an error naming them."""
        try:
            values = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"{path}: no such file") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"{path}: not valid TOML ({error})") from None
        known = [f.name for f in dataclasses.fields(cls)]
        for name in sorted(set(values) - set(known)):
            try:
                closest("setting", name, sorted(known))
            except ValueError as error:
                raise ValueError(f"{path}: {error}") from None
        return cls(**values)

    def with_absolute_data(self) -> RunConfig:
        """A copy whose ``data``, when it is a path, and ``tensorboard`` are absolute, so
        that config.toml names the same files from any folder (evaluate and resume run
        from anywhere)."""
        config = self
        if self.tensorboard is not None:
            config = dataclasses.replace(config, tensorboard=str(Path(self.tensorboard).absolute()))
        if self.data in BUILTIN_DATA or not Path(self.data).exists():
            return config
        return dataclasses.replace(config, data=str(Path(self.data).absolute()))

    def updated(self, **changes) -> RunConfig:
        """A copy with the settings in ``changes`` that are not None."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


RUN_OPTIONS = tuple(f.name for f in dataclasses.fields(RunConfig))
