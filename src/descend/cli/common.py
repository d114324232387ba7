"""What the commands share: a run's configuration, its data, model, loss and optimizer."""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import descend as ds
from descend import data, models, nn, optim
from descend.optim import lr_scheduler

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BUILTIN_DATA = {
    "digits": data.load_digits,
    "breast_cancer": data.load_breast_cancer,
    "diabetes": data.load_diabetes,
    "iris": data.load_iris,
    "wine": data.load_wine,
}
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


# -- configuration -----------------------------------------------------------------
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


# -- data ------------------------------------------------------------------------------
@dataclass
class Dataset:
    """Features and targets of a whole data set, with what is known about them."""

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str
    feature_names: list[str]
    class_names: list[str] | None = None
    image_shape: tuple | None = None  # (channels, height, width) for images
    standardize: bool = True  # False for pixels already in [0, 1]

    @property
    def n_classes(self) -> int:
        return len(self.class_names) if self.class_names else 0


def load_dataset(spec: str, target=None, task: str | None = None) -> Dataset:
    """A built-in set by name, a folder of MNIST IDX files, or a CSV file."""
    path = Path(spec)
    if spec in BUILTIN_DATA:
        X, y, features, classes = BUILTIN_DATA[spec](return_names=True)
        image_shape = (1, 8, 8) if spec == "digits" else None
        found = Dataset(
            spec, X, y, "classify" if classes else "regress", features, classes, image_shape
        )
    elif path.is_dir():
        X, y = data.load_mnist(path, flatten=False)
        found = Dataset(
            path.name,
            X,
            y,
            "classify",
            [f"pixel{i}" for i in range(X[0].size)],
            [str(d) for d in range(10)],
            tuple(X.shape[1:]),
            standardize=False,
        )
    elif path.suffix.lower() == ".csv":
        if not path.is_file():
            raise UsageError(f"{spec}: no such file")
        X, y, features, classes = data.load_csv(path, target=_column(target), return_classes=True)
        found = Dataset(path.stem, X, y, _infer_task(y, classes), features, classes)
    elif path.exists():
        raise UsageError(f"{spec}: expected a .csv file or a folder of MNIST IDX files")
    else:
        if "/" in spec or "." in spec:
            raise UsageError(f"{spec}: no such file or folder")
        closest("data set", spec, list(BUILTIN_DATA))
    if task is not None:
        found = _as_task(found, closest("task", task, TASKS))
    elif found.task == "classify" and found.class_names is None:
        found = _as_task(found, "classify")
    return found


def _column(target):
    if target is None:
        return None
    return int(target) if str(target).lstrip("-").isdigit() else target


def _infer_task(y: np.ndarray, classes) -> str:
    """Text labels or few whole numbers (at most 20 distinct) mean classes."""
    if classes is not None:
        return "classify"
    if y.dtype.kind in "iu" and 2 <= len(np.unique(y)) <= 20:
        return "classify"
    return "regress"


def _as_task(found: Dataset, task: str) -> Dataset:
    if task == "regress":
        return dataclasses.replace(found, task=task, y=found.y.astype(np.float64), class_names=None)
    if found.class_names is not None and found.y.dtype.kind in "iu":
        return dataclasses.replace(found, task=task)
    values, codes = np.unique(found.y, return_inverse=True)
    if len(values) > 100:
        raise UsageError(
            f"--task classify: the target has {len(values)} distinct values; "
            "is it a regression target?"
        )
    names = [str(v.item() if hasattr(v, "item") else v) for v in values]
    names = [n[:-2] if n.endswith(".0") else n for n in names]
    return dataclasses.replace(found, task=task, y=codes.astype(np.int64), class_names=names)


@dataclass
class Splits:
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    scaler: data.StandardScaler | None


def split_data(found: Dataset, config: RunConfig) -> Splits:
    """Test and validation sets held out (stratified for classes), deterministic by seed."""
    stratify = found.task == "classify"
    X, y = found.X, found.y
    X_test = y_test = X_val = y_val = None
    if config.test_fraction:
        X, X_test, y, y_test = data.train_test_split(
            X,
            y,
            test_size=config.test_fraction,
            stratify=y if stratify else None,
            random_state=config.seed,
        )
    if config.val_fraction:
        share = config.val_fraction / (1 - config.test_fraction)
        X, X_val, y, y_val = data.train_test_split(
            X, y, test_size=share, stratify=y if stratify else None, random_state=config.seed + 1
        )
    return Splits(X, y, X_val, y_val, X_test, y_test, None)


def scale(splits: Splits, found: Dataset) -> Splits:
    """Features standardised with statistics of the training set alone (pixels in [0, 1]
    are left as they are)."""
    if not found.standardize:
        return splits
    scaler = data.StandardScaler().fit(splits.X_train)
    X_train, X_val, X_test = (
        None if part is None else scaler.transform(part)
        for part in (splits.X_train, splits.X_val, splits.X_test)
    )
    return dataclasses.replace(splits, X_train=X_train, X_val=X_val, X_test=X_test, scaler=scaler)


def prepare_inputs(found: Dataset, model_name: str, X: np.ndarray) -> np.ndarray:
    """Shape the features as the model wants them: images for LeNet, rows otherwise."""
    if model_name == "lenet":
        return X.reshape(len(X), *found.image_shape)
    return X.reshape(len(X), -1)


def prepare_targets(task: str, model_name: str, y: np.ndarray) -> np.ndarray:
    if model_name == "logistic":
        return y.astype(ds.get_default_dtype())  # BCEWithLogits takes 0./1. targets
    if model_name == "mlp" and task == "regress":
        return y.reshape(-1, 1)
    return y


# -- model, loss, optimizer, schedule ----------------------------------------------
def check_model_fits(config: RunConfig, found: Dataset) -> None:
    model, task, classes = config.model, found.task, found.n_classes
    if model == "linear" and task != "regress":
        raise UsageError(
            f"--model linear is for regression, but {found.name} is a "
            f"classification set; use --model softmax, logistic or mlp"
        )
    if model in ("logistic", "softmax") and task != "classify":
        raise UsageError(
            f"--model {model} is for classification, but {found.name} has a "
            f"regression target; use --model linear or mlp"
        )
    if model == "logistic" and classes != 2:
        raise UsageError(
            f"--model logistic needs 2 classes, {found.name} has {classes}; use --model softmax"
        )
    if model == "lenet" and (found.image_shape is None or found.image_shape[1:] != (28, 28)):
        shape = "x".join(map(str, found.image_shape[1:])) if found.image_shape else "no"
        raise UsageError(
            f"--model lenet needs 28x28 images (MNIST), {found.name} has {shape} "
            f"images; use --model mlp"
        )


def build_model(config: RunConfig, task: str, input_shape: tuple, n_classes: int) -> nn.Module:
    """The model named in ``config`` for inputs of ``input_shape``, seeded by ``config.seed``."""
    n_features = int(np.prod(input_shape))
    outputs = n_classes if task == "classify" else 1
    ds.manual_seed(config.seed)
    if config.model == "linear":
        return models.LinearRegression(n_features)
    if config.model == "logistic":
        return models.LogisticRegression(n_features)
    if config.model == "softmax":
        return models.SoftmaxRegression(n_features, outputs)
    if config.model == "lenet":
        return models.LeNet5(input_shape[0], outputs)
    return models.MLP([n_features, *config.hidden, outputs])


def build_loss(config: RunConfig, task: str) -> nn.Module:
    if task == "regress":
        return nn.MSELoss()
    return nn.BCEWithLogitsLoss() if config.model == "logistic" else nn.CrossEntropyLoss()


def learning_rate(config: RunConfig) -> float:
    return config.lr if config.lr is not None else DEFAULT_LR[config.optimizer]


def build_optimizer(config: RunConfig, parameters) -> optim.Optimizer:
    lr, name = learning_rate(config), config.optimizer
    if name in ("sgd", "momentum", "nesterov"):
        momentum = 0.0 if name == "sgd" else 0.9
        return optim.SGD(parameters, lr=lr, momentum=momentum, nesterov=name == "nesterov")
    kinds = {
        "adagrad": optim.Adagrad,
        "rmsprop": optim.RMSprop,
        "adam": optim.Adam,
        "adamw": optim.AdamW,
    }
    return kinds[name](parameters, lr=lr)


def build_scheduler(config: RunConfig, optimizer, updates_per_epoch: int):
    name, epochs = config.scheduler, config.epochs
    if name == "none":
        return None
    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    if name == "exponential":
        return lr_scheduler.ExponentialLR(optimizer, gamma=0.95)
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    if name == "linear":
        return lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=min(5, epochs))
    if name == "onecycle":
        return lr_scheduler.OneCycleLR(
            optimizer, max_lr=learning_rate(config), total_steps=epochs * updates_per_epoch
        )
    return lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=3)


def metric_names(task: str) -> list[str]:
    return ["accuracy", "f1"] if task == "classify" else ["r2", "mae"]


@dataclass
class Run:
    """A configured run: data split and scaled, model, loss, optimizer, loader, scheduler."""

    config: RunConfig
    dataset: Dataset
    splits: Splits
    model: nn.Module
    loss: nn.Module
    optimizer: optim.Optimizer
    loader: data.DataLoader
    scheduler: object
    val: tuple | None
    test: tuple | None


def prepare_run(config: RunConfig, found: Dataset | None = None) -> Run:
    """Build everything a run needs from its configuration, deterministically from its seed."""
    found = found or load_dataset(config.data, config.target, config.task)
    check_model_fits(config, found)
    splits = scale(split_data(found, config), found)

    def part(X, y):
        if X is None or len(X) == 0:
            return None
        return prepare_inputs(found, config.model, X), prepare_targets(found.task, config.model, y)

    train = part(splits.X_train, splits.y_train)
    model = build_model(config, found.task, found.X.shape[1:], found.n_classes)
    optimizer = build_optimizer(config, model.parameters())
    loader = data.DataLoader(
        data.TensorDataset(*train), batch_size=config.batch_size, shuffle=True, seed=config.seed
    )
    scheduler = build_scheduler(config, optimizer, len(loader))
    return Run(
        config,
        found,
        splits,
        model,
        build_loss(config, found.task),
        optimizer,
        loader,
        scheduler,
        part(splits.X_val, splits.y_val),
        part(splits.X_test, splits.y_test),
    )


# -- run folders -------------------------------------------------------------------
RUN_MARKERS = ("config.toml", "model.safetensors", "checkpoint.safetensors")


def holds_run(folder: Path) -> bool:
    return any((folder / name).exists() for name in RUN_MARKERS)


def new_run_folder(config: RunConfig, runs: Path = Path("runs")) -> Path:
    """``runs/<data>-<model>``, numbered ``-2``, ``-3``... when taken."""
    stem = f"{Path(config.data).stem}-{config.model}"
    folder, n = runs / stem, 1
    while folder.exists() and any(folder.iterdir()):
        n += 1
        folder = runs / f"{stem}-{n}"
    return folder


def open_run(folder: Path) -> RunConfig:
    """The configuration of the run saved in ``folder``."""
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such run folder")
    if not (folder / "config.toml").is_file():
        raise UsageError(f"{folder}: not a run folder (no config.toml)")
    return RunConfig.from_toml(folder / "config.toml").validate()


@dataclass
class SavedRun:
    """A finished run read back from its folder: the trained model and how to feed it."""

    folder: Path
    config: RunConfig
    model: nn.Module
    loss: nn.Module
    scaler: data.StandardScaler | None
    task: str
    class_names: list[str] | None
    feature_names: list[str]
    input_shape: tuple

    def trainer(self):
        from descend.train import Trainer

        return Trainer(self.model, self.loss, None, metrics=metric_names(self.task), verbose=0)

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """Raw features scaled as in training and shaped for the model."""
        n_features = int(np.prod(self.input_shape))
        if X.ndim == 2 and X.shape[1] != n_features:
            raise UsageError(f"expected {n_features} features, got {X.shape[1]}")
        X = X.reshape(len(X), *self.input_shape).astype(ds.get_default_dtype())
        if self.scaler is not None:
            X = self.scaler.transform(X.reshape(len(X), -1)).reshape(X.shape)
        return X.reshape(len(X), -1) if self.config.model != "lenet" else X

    def targets(self, y: np.ndarray) -> np.ndarray:
        return prepare_targets(self.task, self.config.model, y)


def load_run(folder: Path) -> SavedRun:
    """Rebuild the trained model of the run in ``folder`` (weights, scaler, metadata)."""
    from descend import io

    config = open_run(folder)
    path = folder / "model.safetensors"
    if not path.is_file():
        raise UsageError(
            f"{folder}: no model.safetensors; the run has not finished "
            f"(resume it with: descend train --resume {folder})"
        )
    state, meta = io.load(path), io.load_metadata(path)
    try:
        task, classes = meta["task"], meta["class_names"]
        features, shape = meta["feature_names"], tuple(meta["input_shape"])
    except KeyError as missing:
        raise UsageError(f"{path}: model metadata lacks {missing}") from None
    model = build_model(config, task, shape, len(classes or []))
    try:
        model.load_state_dict(state)
    except (KeyError, ValueError) as error:
        raise UsageError(
            f"{path} does not fit the {config.model} of its config.toml: {error}"
        ) from None
    model.eval()
    scaler = None
    if (folder / "scaler.safetensors").is_file():
        scaler = data.StandardScaler().load_state_dict(io.load(folder / "scaler.safetensors"))
    return SavedRun(
        folder, config, model, build_loss(config, task), scaler, task, classes, features, shape
    )
