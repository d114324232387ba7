"""``descend train``: train a model, watch it learn, and keep the run in a folder."""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from descend import io
from descend.cli import runs, settings
from descend.cli.settings import UsageError
from descend.files import write_text
from descend.tensor import generator
from descend.train import Callback, DivergenceGuard, EarlyStopping, Trainer

EXAMPLES = """\
examples:
  descend train                                    an MLP on the built-in digits set
  descend train --data breast_cancer --model logistic --optimizer sgd --lr 0.1
  descend train --data iris --model softmax --batch-size full --epochs 200
  descend train --data houses.csv --target price --task regress --hidden 64,32
  descend train --data path/to/mnist --model lenet --epochs 5
  descend train --config run.toml --out runs/mine --force
  descend train --resume runs/digits-mlp --epochs 60
"""

RUN_FILES = (
    "model.safetensors", "scaler.safetensors", "target_scaler.safetensors", "config.toml",
    "history.csv", "history.json", "metrics.json", "learning_curves.png",
    "checkpoint.safetensors",
)  # fmt: skip


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model and save the run",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a model on a data set with gradient descent. Prints the plan, "
        "a progress bar and a table of train/validation/test metrics, and writes the run "
        "folder (weights, config, history, metrics, learning curves, checkpoint).",
    )
    settings.add_run_options(parser)
    parser.add_argument("--out", type=Path, help="run folder (default runs/<data>-<model>)")
    parser.add_argument("--force", action="store_true", help="replace a run already in --out")
    parser.add_argument(
        "--resume",
        type=Path,
        metavar="RUN_DIR",
        help="continue a run from its checkpoint (--epochs: the new total)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only errors")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.resume is not None:
        config, folder = _resume_config(args), args.resume
    else:
        config = settings.config_from_args(args)
        folder = args.out if args.out is not None else runs.new_run_folder(config)
        if runs.holds_run(folder) and not args.force:
            raise UsageError(
                f"{folder} already holds a run; choose another --out, or pass --force to replace it"
            )
    run_ = runs.prepare_run(config)
    trainer = _trainer(run_, folder, args.quiet)
    epochs = config.epochs
    if args.resume is not None:
        _restore(trainer, run_, folder)
        epochs = config.epochs - trainer.epoch
    elif args.force:
        for name in RUN_FILES:
            (folder / name).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / "config.toml", config.to_toml())
    say = (lambda *a, **k: None) if args.quiet else print
    found = run_.dataset
    task = f"{found.n_classes} classes" if found.task == "classify" else "regression"
    say(
        f"{config.model} on {found.name} ({task}, {found.X.shape[0]} samples), "
        f"{config.optimizer} lr={runs.learning_rate(config):g}; run folder {folder}"
    )

    with _interruptible(trainer, say):
        trainer.fit(run_.loader, epochs, val=run_.val)
    if trainer.interrupted:
        _save_checkpoint(trainer, run_, folder)
        say(
            f"interrupted in epoch {trainer.epoch + 1} after update {trainer.step}; "
            f"checkpoint saved. Resume with:\n  descend train --resume {folder} "
            f"--epochs {config.epochs}"
        )
        return 130

    scores = _scores(trainer, run_)
    _save_outputs(trainer, run_, folder, scores)
    if not args.quiet:
        print(format_table(scores))
        print(f"saved to {folder}/: {', '.join(n for n in RUN_FILES if (folder / n).exists())}")
    return 0


def _resume_config(args) -> settings.RunConfig:
    config = runs.open_run(args.resume)
    changed = [
        f"--{k.replace('_', '-')}"
        for k in settings.RUN_OPTIONS
        if k != "epochs" and getattr(args, k, None) is not None
    ]
    if changed or args.out is not None or args.config is not None:
        given = changed or ["--out" if args.out is not None else "--config"]
        raise UsageError(
            f"--resume continues a run with its own settings; only --epochs can "
            f"change, got {given[0]}"
        )
    if not (args.resume / "checkpoint.safetensors").is_file():
        raise UsageError(f"{args.resume}: no checkpoint.safetensors to resume from")
    return config.updated(epochs=args.epochs).validate()


def _trainer(run_: runs.Run, folder: Path, quiet: bool) -> Trainer:
    callbacks = [DivergenceGuard()]
    if run_.config.early_stopping:
        if run_.val is None:
            raise UsageError("--early-stopping needs validation data: set --val-fraction > 0")
        callbacks.append(EarlyStopping(patience=run_.config.early_stopping))
    callbacks.append(_EpochCheckpoint(run_, folder))  # last: after the others' states change
    metrics = runs.metric_names(run_.dataset.task)
    return Trainer(
        run_.model,
        run_.loss,
        run_.optimizer,
        run_.scheduler,
        metrics=metrics,
        callbacks=callbacks,
        verbose=0 if quiet else 1,
    )


class _EpochCheckpoint(Callback):
    """Write the checkpoint after every epoch, so a run can always be resumed."""

    def __init__(self, run_, folder):
        super().__init__()
        self.run, self.folder = run_, folder

    def on_epoch_end(self, epoch, logs):
        _save_checkpoint(self.trainer, self.run, self.folder)


def _save_checkpoint(trainer: Trainer, run_: runs.Run, folder: Path) -> None:
    state = {
        "model": trainer.model.state_dict(),
        "trainer": trainer.state_dict(),
        "loader": run_.loader.state_dict(),
        "rng": generator().bit_generator.state,
    }
    io.save(state, folder / "checkpoint.safetensors")


def _restore(trainer: Trainer, run_: runs.Run, folder: Path) -> None:
    state = io.load(folder / "checkpoint.safetensors")
    trainer.model.load_state_dict(state["model"])
    trainer.load_state_dict(state["trainer"])
    run_.loader.load_state_dict(state["loader"])
    generator().bit_generator.state = state["rng"]
    if trainer.epoch >= run_.config.epochs:
        raise UsageError(
            f"{folder} has already trained {trainer.epoch} epochs; pass --epochs "
            f"greater than {trainer.epoch} to continue"
        )


@contextmanager
def _interruptible(trainer: Trainer, say):
    """Ctrl-C once: finish the batch, then stop and save. Twice: stop at once."""

    def handler(signum, frame):
        if trainer.interrupted:
            raise KeyboardInterrupt
        trainer.interrupt()
        say("\nstopping after this batch (Ctrl-C again to abort)", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _scores(trainer: Trainer, run_: runs.Run) -> dict:
    parts = {
        "train": (run_.loader.dataset.X, run_.loader.dataset.y),
        "val": run_.val,
        "test": run_.test,
    }
    target_scaler = run_.splits.target_scaler
    return {
        name: runs.score(trainer, *part, target_scaler)
        for name, part in parts.items()
        if part is not None
    }


def format_table(scores: dict) -> str:
    """Rows train/val/test, columns loss and metrics, four decimals."""
    columns = list(next(iter(scores.values())))
    lines = [f"{'':8s}" + "".join(f"{c:>12s}" for c in columns)]
    for name, values in scores.items():
        lines.append(f"{name:8s}" + "".join(f"{values[c]:12.4f}" for c in columns))
    return "\n".join(lines)


def _save_outputs(trainer: Trainer, run_: runs.Run, folder: Path, scores: dict) -> None:
    from descend import plot

    found = run_.dataset
    metadata = {
        "config": dataclasses.asdict(run_.config),
        "task": found.task,
        "feature_names": found.feature_names,
        "class_names": found.class_names,
        "input_shape": list(found.X.shape[1:]),
    }
    io.save(trainer.model, folder / "model.safetensors", metadata=metadata)
    for name in ("scaler", "target_scaler"):
        scaler = getattr(run_.splits, name)
        if scaler is not None:
            io.save(scaler.state_dict(), folder / f"{name}.safetensors")
    trainer.history.write_csv(folder / "history.csv")
    trainer.history.write_json(folder / "history.json")
    write_text(folder / "metrics.json", json.dumps(scores, indent=2) + "\n")
    plot.learning_curves(
        trainer.history,
        folder / "learning_curves.png",
        title=f"{run_.config.model} on {found.name}",
    )
