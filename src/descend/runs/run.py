"""A run: data split and scaled, model, loss, optimizer, schedule and loader built from a
RunConfig; trained by the Trainer; kept in a folder that can be resumed and read back."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from descend import backend, data, distributed, io, nn, optim
from descend.data.sets import LoadedData, Splits, holdout, scale
from descend.files import write_text
from descend.runs.build import (
    build_training,
    check_model_fits,
    metric_names,
    prepare_inputs,
    prepare_targets,
    score,
)
from descend.runs.config import RunConfig
from descend.runs.parallel import check_same_data
from descend.tensor import generator
from descend.train import Callback, EarlyStopping, GradientMonitor, TensorBoard, Trainer

RUN_FILES = (
    "model.safetensors", "scaler.safetensors", "target_scaler.safetensors", "config.toml",
    "history.csv", "history.json", "metrics.json", "learning_curves.png", "gradients.png",
    "checkpoint.safetensors",
)  # fmt: skip
RUN_MARKERS = ("config.toml", "model.safetensors", "checkpoint.safetensors")


@dataclass
class Run:
    """A configured run: data split and scaled, model, loss, optimizer, loader, scheduler.

    ``val`` and ``test`` are prepared ``(X, y)`` pairs, or None when their share is 0.
    """

    config: RunConfig
    dataset: LoadedData
    splits: Splits
    model: nn.Module
    loss: nn.Module
    optimizer: optim.Optimizer
    loader: data.DataLoader
    scheduler: object
    val: tuple | None
    test: tuple | None

    def trainer(self, callbacks=(), verbose: int = 1, parallel=None) -> Trainer:
        """A Trainer for this run: the Trainer's divergence guard, a GradientMonitor (its
        warnings kept, not printed), early stopping and TensorBoard logs when the config
        asks for them, then ``callbacks``; ``parallel`` as the Trainer's (one process by
        default). The model goes to the configured device (under MPI: one GPU per process,
        ``rank % GPUs``)."""
        self.model.to(backend.choose(self.config.device, distributed.rank()))
        own = [GradientMonitor(print_warnings=False)]
        if self.config.early_stopping:
            if self.val is None:
                raise ValueError("--early-stopping needs validation data: set --val-fraction > 0")
            own.append(EarlyStopping(patience=self.config.early_stopping))
        if self.config.tensorboard is not None:
            own.append(TensorBoard(self.config.tensorboard))
        return Trainer(
            self.model,
            self.loss,
            self.optimizer,
            self.scheduler,
            metrics=metric_names(self.dataset.task),
            callbacks=[*own, *callbacks],
            verbose=verbose,
            parallel=parallel,
            threads=self.config.threads,
        )

    def fit(self, trainer: Trainer | None = None) -> Trainer:
        """Train up to ``config.epochs`` epochs in all (a restored trainer continues)."""
        trainer = trainer or self.trainer()
        trainer.fit(self.loader, epochs=self.config.epochs - trainer.epoch, val=self.val)
        return trainer

    def train_targets(self):
        """The training targets as the loss sees them (class codes, standardised values)."""
        return self.loader.dataset.y

    def scores(self, trainer: Trainer) -> dict:
        """Loss and metrics on the train, val and test parts (regression in target units)."""
        parts = {
            "train": (self.loader.dataset.X, self.loader.dataset.y),
            "val": self.val,
            "test": self.test,
        }
        return {
            name: score(trainer, part, self.splits.target_scaler)
            for name, part in parts.items()
            if part is not None
        }

    def save(
        self, folder: Path, trainer: Trainer, scores: dict | None = None, checkpoint: bool = True
    ) -> dict:
        """Write the finished run into ``folder``: weights with what ``load_run`` needs,
        scalers, config, history, metrics (with the diagnosis, and the divergence message of
        a run that diverged), learning curves and gradients, and (with ``checkpoint``) the
        checkpoint that ``descend train --resume`` continues from; ``checkpoint=False``
        when a :class:`RunCheckpoint` wrote the finished state already. Returns the scores."""
        from descend.plot.curves import learning_curves
        from descend.plot.gradients import gradients

        folder = Path(folder)
        scores = self.scores(trainer) if scores is None else scores
        found = self.dataset
        folder.mkdir(parents=True, exist_ok=True)
        write_text(folder / "config.toml", self.config.to_toml())
        metadata = {
            "config": dataclasses.asdict(self.config),
            "task": found.task,
            "feature_names": found.feature_names,
            "class_names": found.class_names,
            "input_shape": list(found.X.shape[1:]),
            "scalers": [n for n in ("scaler", "target_scaler") if getattr(self.splits, n)],
        }
        io.save(trainer.model, folder / "model.safetensors", metadata=metadata)
        for name in ("scaler", "target_scaler"):
            scaler = getattr(self.splits, name)
            if scaler is not None:
                io.save(scaler.state_dict(), folder / f"{name}.safetensors")
        trainer.history.write_csv(folder / "history.csv")
        trainer.history.write_json(folder / "history.json")
        events = trainer.history.events
        kept = {**scores, **{k: events[k] for k in ("diagnosis", "diverged") if k in events}}
        write_text(folder / "metrics.json", json.dumps(kept, indent=2) + "\n")
        title = f"{self.config.model} on {found.name}"
        learning_curves(trainer.history, folder / "learning_curves.png", title=title)
        if trainer.history.gradients:
            gradients(trainer.history, folder / "gradients.png", title=f"Gradients: {title}")
        if checkpoint:
            self.save_checkpoint(trainer, folder)
        return scores

    def save_checkpoint(self, trainer: Trainer, folder: Path) -> None:
        """Everything a resumed run needs to continue bit for bit: weights, trainer and
        callback state, the loader's shuffling, the library's random generator."""
        state = {
            "model": trainer.model.state_dict(),
            "trainer": trainer.state_dict(),
            "loader": self.loader.state_dict(),
            "rng": generator().bit_generator.state,
        }
        io.save(state, Path(folder) / "checkpoint.safetensors")

    def restore(self, trainer: Trainer, folder: Path) -> None:
        """Load the checkpoint that :meth:`save_checkpoint` wrote into ``trainer``; a
        checkpoint of another run is a ValueError naming the file."""
        path = Path(folder) / "checkpoint.safetensors"
        state = io.load(path)
        if isinstance(state, dict) and "model" in state:
            io.check_weights(state["model"], dict(trainer.model.named_parameters()), path)
        try:
            trainer.model.load_state_dict(state["model"])
            trainer.load_state_dict(state["trainer"])
            self.loader.load_state_dict(state["loader"])
            generator().bit_generator.state = state["rng"]
        except (KeyError, ValueError, TypeError, IndexError, AttributeError) as error:
            reason = f"it lacks {error}" if isinstance(error, KeyError) else str(error)
            raise ValueError(f"{path} is not a checkpoint of this run: {reason}") from None


class RunCheckpoint(Callback):
    """Write the run's checkpoint and config.toml after every epoch and when training
    ends, so that it can always be resumed: once per epoch, the last epoch's when
    training ends (with what the other callbacks did then: the diagnosis, the best
    weights restored).

    Nothing is written before the first epoch ends (or :meth:`write` is called on an
    interruption): a run that fails earlier leaves no folder behind. Then the folder is
    made, and with ``replace`` the files of the run it held before are removed.
    """

    main_process_only = True  # in data-parallel training, process 0 writes

    def __init__(self, run: Run, folder: Path, replace: bool = False):
        super().__init__()
        self.run, self.folder, self.replace = run, Path(folder), replace
        self.written = False

    def write(self) -> None:
        first = not self.written
        if first:
            if self.replace:
                for name in RUN_FILES:
                    (self.folder / name).unlink(missing_ok=True)
            self.folder.mkdir(parents=True, exist_ok=True)
            write_text(self.folder / "config.toml", self.run.config.to_toml())
        try:
            self.run.save_checkpoint(self.trainer, self.folder)
        except BaseException:
            if first:  # (a full disk) no config.toml without the checkpoint it belongs to
                (self.folder / "config.toml").unlink(missing_ok=True)
            raise
        self.written = True

    def on_train_begin(self, logs):
        self.last_epoch = logs["last_epoch"]

    def on_epoch_end(self, epoch, logs):
        if epoch < self.last_epoch and not self.trainer.stop_training:
            self.write()  # else training ends now, and on_train_end writes

    def on_train_end(self, logs):
        # The finished state (diagnosis, best weights restored): a resume with the same
        # epochs writes the run's files from it when their save was cut short.
        if not logs["interrupted"]:
            self.write()


def prepare_run(config: RunConfig, found: LoadedData | None = None) -> Run:
    """Build everything a run needs from its configuration, deterministically from its seed.

    ``found``: the data set already loaded (``data.load(config.data, ...)``), to share it
    between runs.
    """
    config = config.validate().with_absolute_data()
    found = found or data.load(config.data, config.target, config.task)
    check_same_data(found)  # under MPI: every process read the same
    if found.disk is not None:  # .npy files: split, scaled and read without loading them
        from descend.runs.disk import prepare_disk_run

        return prepare_disk_run(config, found)
    check_model_fits(config, found)
    splits = holdout(found, config.val_fraction, config.test_fraction, config.seed)
    splits = scale(splits, found)

    def part(X, y):
        if X is None or len(X) == 0:
            return None
        X = prepare_inputs(config.model, found.image_shape, X)
        return X, prepare_targets(found.task, config.model, y)

    loader = data.DataLoader(
        data.TensorDataset(*part(splits.X_train, splits.y_train)),
        batch_size=config.batch_size,
        shuffle=True,
        seed=config.seed,
    )
    model, loss, optimizer, scheduler = build_training(config, found, len(loader))
    val, test = part(splits.X_val, splits.y_val), part(splits.X_test, splits.y_test)
    return Run(config, found, splits, model, loss, optimizer, loader, scheduler, val, test)


def holds_run(folder: Path) -> bool:
    """Whether ``folder`` holds (part of) a run that writing there would replace."""
    return any((Path(folder) / name).exists() for name in RUN_MARKERS)


def new_run_folder(config: RunConfig, runs: Path = Path("runs")) -> Path:
    """``runs/<data>-<model>``, numbered ``-2``, ``-3``... when taken."""
    stem = f"{Path(config.data).stem}-{config.model}"
    folder, n = runs / stem, 1
    while folder.exists() and any(folder.iterdir()):
        n += 1
        folder = runs / f"{stem}-{n}"
    return folder
