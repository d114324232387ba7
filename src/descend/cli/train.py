"""``descend train``: train a model, watch it learn, and keep the run in a folder."""

from __future__ import annotations

import argparse
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from descend import runs
from descend.cli.common import UsageError, add_run_options, config_from_args, format_table
from descend.files import write_text
from descend.train import Trainer

NAME = "train"
HELP = "train a model and save the run"
DESCRIPTION = (
    "Train a model on a data set with gradient descent. Prints the plan, a progress bar and "
    "a table of train/validation/test metrics, and writes the run folder (weights, config, "
    "history, metrics, learning curves, checkpoint)."
)
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_options(parser)
    parser.add_argument("--out", type=Path, help="run folder (default runs/<data>-<model>)")
    parser.add_argument("--force", action="store_true", help="replace a run already in --out")
    parser.add_argument(
        "--resume",
        type=Path,
        metavar="RUN_DIR",
        help="continue a run from its checkpoint (--epochs: the new total)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only errors")


def run(args: argparse.Namespace) -> int:
    if args.resume is not None:
        config, folder = _resume_config(args), args.resume
    else:
        config = config_from_args(args)
        folder = args.out if args.out is not None else runs.new_run_folder(config)
        if runs.holds_run(folder) and not args.force:
            raise UsageError(
                f"{folder} already holds a run; choose another --out, or pass --force to replace it"
            )
    run_ = runs.prepare_run(config)
    # The checkpoint callback goes last: after the other callbacks' states change.
    trainer = run_.trainer([runs.RunCheckpoint(run_, folder)], verbose=0 if args.quiet else 1)
    if args.resume is not None:
        run_.restore(trainer, folder)
        if trainer.epoch >= config.epochs:
            raise UsageError(
                f"{folder} has already trained {trainer.epoch} epochs; pass --epochs "
                f"greater than {trainer.epoch} to continue"
            )
    elif args.force:
        for name in runs.RUN_FILES:
            (folder / name).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / "config.toml", config.to_toml())
    say = (lambda *a, **k: None) if args.quiet else print
    found = run_.dataset
    task = f"{found.n_classes} classes" if found.task == "classify" else "regression"
    say(
        f"{config.model} on {found.name} ({task}, {found.X.shape[0]} samples), "
        f"{config.optimizer} lr={config.learning_rate:g}; run folder {folder}"
    )

    with _interruptible(trainer, say):
        run_.fit(trainer)
    if trainer.interrupted:
        run_.save_checkpoint(trainer, folder)
        say(
            f"interrupted in epoch {trainer.epoch + 1} after update {trainer.step}; "
            f"checkpoint saved. Resume with:\n  descend train --resume {folder} "
            f"--epochs {config.epochs}"
        )
        return 130

    scores = run_.save(folder, trainer)
    if not args.quiet:
        print(format_table(scores))
        print(
            f"saved to {folder}/: {', '.join(n for n in runs.RUN_FILES if (folder / n).exists())}"
        )
    return 0


def _resume_config(args) -> runs.RunConfig:
    config = runs.open_run(args.resume)
    changed = [
        f"--{k.replace('_', '-')}"
        for k in runs.RUN_OPTIONS
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
