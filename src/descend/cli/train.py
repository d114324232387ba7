"""``descend train``: train a model, watch it learn, and keep the run in a folder."""

from __future__ import annotations

import argparse
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from descend import backend, distributed, runs
from descend.cli.common import (
    UsageError,
    add_run_options,
    check_output_folder,
    config_from_args,
    format_table,
)
from descend.train import TensorBoard, Trainer

NAME = "train"
HELP = "train a model and save the run"
DESCRIPTION = (
    "Train a model on a data set with gradient descent. Prints the plan, a progress bar, "
    "a table of train/validation/test metrics, gradient warnings and a diagnosis of the "
    "learning curves, and writes the run folder (weights, config, history, metrics, "
    "learning curves, gradients, checkpoint)."
)
EXAMPLES = """\
examples:
  descend train                                    an MLP on the built-in digits set
  descend train --data breast_cancer --model logistic --optimizer sgd --lr 0.1
  descend train --data iris --model softmax --batch-size full --epochs 200
  descend train --data houses.csv --target price --task regress --hidden 64,32
  descend train --data path/to/mnist --model lenet --epochs 5
  descend train --device cuda                      on the GPU (descend[cuda12] or [cuda13])
  descend train --hidden 32,32,32,32,32,32 --activation sigmoid    vanishing gradients
  descend train --tensorboard runs/tb              also for TensorBoard (descend[tensorboard])
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
    parser.add_argument(
        "--tensorboard",
        type=Path,
        metavar="DIR",
        help="also write loss, metrics, lr and gradient norms for TensorBoard into DIR",
    )
    parser.add_argument("--quiet", action="store_true", help="print only errors")


def run(args: argparse.Namespace) -> int:
    if distributed.launched() > 1:  # started by mpiexec: train data-parallel
        _join_mpi_job()
    # Under MPI every process checks and loads the same; an error in any is raised by all.
    with distributed.together():
        if args.resume is not None:
            config, folder = _resume_config(args), args.resume
        else:
            config = config_from_args(args)
            folder = args.out if args.out is not None else runs.new_run_folder(config)
            if runs.holds_run(folder) and not args.force:
                raise UsageError(
                    f"{folder} already holds a run; choose another --out, or pass --force "
                    "to replace it"
                )
        check_output_folder(folder, "--resume" if args.resume is not None else "--out")
        device = _device(config)
        run_ = runs.prepare_run(config)
        extra = [] if args.tensorboard is None else [_tensorboard(args.tensorboard)]
        # The checkpoint callback goes last: after the other callbacks' states change.
        # It makes the folder when the first epoch ends: a run that fails earlier leaves none.
        checkpoint = runs.RunCheckpoint(run_, folder, replace=args.force)
        trainer = run_.trainer([*extra, checkpoint], verbose=0 if args.quiet else 1)
        if args.resume is not None:
            run_.restore(trainer, folder)
            if trainer.epoch >= config.epochs:
                raise UsageError(
                    f"{folder} has already trained {trainer.epoch} epochs; pass --epochs "
                    f"greater than {trainer.epoch} to continue"
                )
    quiet = args.quiet or not distributed.is_main()  # only process 0 prints and writes
    say = (lambda *a, **k: None) if quiet else print
    found = run_.dataset
    task = f"{found.n_classes} classes" if found.task == "classify" else "regression"
    samples = f"{found.X.shape[0]} samples" + (
        "" if found.test is None else f" + {len(found.test[0])} to test"
    )
    where = backend.describe(device)
    if config.device == "auto":
        where += " (auto: a GPU)" if device.type == "cuda" else " (auto: no GPU, so the CPU)"
    say(
        f"{config.model} on {found.name} ({task}, {samples}), "
        f"{config.optimizer} lr={config.learning_rate:g}, on {where}; run folder {folder}"
    )

    with _interruptible(trainer, say):
        run_.fit(trainer)
    if trainer.interrupted:
        if distributed.is_main():
            checkpoint.write()
        say(
            f"interrupted in epoch {trainer.epoch + 1} after update {trainer.step}; "
            f"checkpoint saved. Resume with:\n  descend train --resume {folder} "
            f"--epochs {config.epochs}"
        )
        return 130

    if distributed.is_main():
        scores = run_.save(folder, trainer)
    if not quiet:
        print(format_table(scores))
        for warning in trainer.history.gradients.get("warnings", []):
            print(f"GradientMonitor: {warning}")
        if "diagnosis" in trainer.history.events:
            print(trainer.history.events["diagnosis"])
        print(
            f"saved to {folder}/: {', '.join(n for n in runs.RUN_FILES if (folder / n).exists())}"
        )
    diverged = runs.divergence_advice(config, trainer.history)
    if diverged is not None:
        # The last line: the run is kept for its history, but it did not train.
        sys.stdout.flush()
        if distributed.is_main():
            print(f"descend train: diverged: {diverged}", file=sys.stderr)
        return 3
    y_train = found.y if found.disk is not None else run_.loader.dataset.y  # codes, in memory
    warning = runs.guessing_warning(config, found.task, y_train, trainer.history)
    if warning is not None and not quiet:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _tensorboard(logdir: Path) -> TensorBoard:
    try:
        return TensorBoard(logdir)
    except ImportError as missing:
        raise UsageError(str(missing)) from None


def _device(config) -> backend.Device:
    """The run's device, or a UsageError (exit 2) in one line: CUDA without CuPy or GPU."""
    try:
        return backend.choose(config.device, distributed.rank())
    except backend.DeviceError as error:
        raise UsageError(f"--device {config.device}: {error}") from None


def _join_mpi_job() -> None:
    try:
        distributed.init()
    except ImportError as missing:
        error = UsageError(str(missing))
        error.shared = True  # every process finds it: process 0 says it
        raise error from None


def _resume_config(args) -> runs.RunConfig:
    config = runs.open_run(args.resume)
    changed = [
        f"--{k.replace('_', '-')}"
        for k in runs.RUN_OPTIONS
        if k not in ("epochs", "device") and getattr(args, k, None) is not None
    ]
    if changed or args.out is not None or args.config is not None or args.force:
        given = changed or [
            "--out" if args.out is not None else "--config" if args.config else "--force"
        ]
        raise UsageError(
            f"--resume continues a run with its own settings; only --epochs and --device "
            f"can change, got {given[0]}"
        )
    if not (args.resume / "checkpoint.safetensors").is_file():
        raise UsageError(f"{args.resume}: no checkpoint.safetensors to resume from")
    device = {} if getattr(args, "device", None) is None else {"device": args.device}
    return config.updated(epochs=args.epochs, **device).validate()


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
