"""``descend train``: train a model, watch it learn, and keep the run in a folder."""

from __future__ import annotations

import argparse
import signal
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import NamedTuple

from descend import backend, distributed, runs
from descend.cli.common import (
    UsageError,
    add_run_options,
    check_output_folder,
    config_from_args,
    format_table,
)
from descend.files import FolderInUse, locked_folder
from descend.train import Trainer

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
  descend train --live                             watch it in the browser (descend[live])
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
        help="continue a run from its checkpoint (--epochs: the new total; the epochs it "
        "has: write its files again, to complete a save cut short)",
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="watch the run in the browser while it trains (descend[live]); the plan line "
        "gives the address",
    )
    parser.add_argument("--quiet", action="store_true", help="print only errors")


class _Prepared(NamedTuple):
    run: runs.Run
    trainer: Trainer
    checkpoint: runs.RunCheckpoint
    folder: Path
    live: object = None  # the LiveView callback, when --live


def run(args: argparse.Namespace) -> int:
    if distributed.launched() > 1:  # started by mpiexec: train data-parallel
        _join_mpi_job()
    with ExitStack() as held:
        prepared = _prepare(args, held)
        run_, trainer, folder = prepared.run, prepared.trainer, prepared.folder
        quiet = args.quiet or not distributed.is_main()  # only process 0 prints and writes
        say = (lambda *a, **k: None) if quiet else print
        say(_plan(run_, folder, prepared.live))
        with _interruptible(trainer, say) as ctrl_c:
            if trainer.epoch < run_.config.epochs:
                run_.fit(trainer)
            else:  # resumed with the epochs it has: the save was cut short, or is asked again
                say(f"{folder} has trained its {trainer.epoch} epochs: writing its files")
            # Ctrl-C after the last epoch (as training ends) cut nothing short: save all.
            if trainer.interrupted and trainer.epoch < run_.config.epochs:
                return _report_interrupted(prepared, say)
            ctrl_c.saving = True
            # The checkpoint holds the finished state already: RunCheckpoint wrote it as
            # training ended, or a resume with the epochs it has restored it from there.
            scores = run_.save(folder, trainer, checkpoint=False) if distributed.is_main() else None
        status = _report(prepared, scores, quiet)
        return 130 if ctrl_c.pressed else status


def _prepare(args: argparse.Namespace, held: ExitStack) -> _Prepared:
    """Settings, the run folder (held by this process), the run and its Trainer, or a
    UsageError. Under MPI every process checks and loads the same; an error in any is
    raised by all."""
    with distributed.together():
        config = None if args.resume is not None else config_from_args(args)
        folder = args.resume or args.out or runs.new_run_folder(config)
        check_output_folder(folder, _folder_option(args))
    folder = _hold(folder, args, config, held)
    with distributed.together():
        if args.resume is not None:
            config = _resume_config(args)
        elif runs.holds_run(folder) and not args.force:
            raise UsageError(
                f"{folder} already holds a run; choose another --out, or pass --force to replace it"
            )
        _device(config)  # CUDA without CuPy or a GPU: one line, before any data is loaded
        run_ = runs.prepare_run(config)
        live = (
            _live(f"{config.model} on {config.data} ({folder})")
            if args.live and distributed.is_main()
            else None
        )
        extra = []
        if live is not None:  # the page keeps what it last showed: descend view shows more
            held.callback(live.stop)
            extra.append(live)
        # The checkpoint callback goes last: after the other callbacks' states change.
        # It makes the folder when the first epoch ends: a run that fails earlier leaves none.
        checkpoint = runs.RunCheckpoint(run_, folder, replace=args.force)
        verbose, parallel = 0 if args.quiet else 1, distributed.strategy()
        try:  # --tensorboard without its extra
            trainer = run_.trainer([*extra, checkpoint], verbose=verbose, parallel=parallel)
        except ImportError as missing:
            raise UsageError(str(missing)) from None
        if args.resume is not None:
            run_.restore(trainer, folder)
            if trainer.epoch > config.epochs:
                raise UsageError(
                    f"{folder} has already trained {trainer.epoch} epochs; pass --epochs "
                    f"greater than {trainer.epoch} to continue"
                )
    return _Prepared(run_, trainer, checkpoint, folder, live)


def _folder_option(args: argparse.Namespace) -> str:
    return "--resume" if args.resume is not None else "--out"


def _hold(folder: Path, args: argparse.Namespace, config, held: ExitStack) -> Path:
    """Lock ``folder`` against a second ``descend train`` for as long as this one runs
    (process 0 writes, and holds it); a default folder held by another run gives way to
    the next free name."""
    if not distributed.is_main():
        return folder
    while True:
        try:
            return held.enter_context(locked_folder(folder, leftovers=runs.RUN_FILES))
        except FolderInUse as busy:
            if args.out is None and args.resume is None:
                folder = runs.new_run_folder(config)  # the held folder is not empty
                continue
            option = _folder_option(args)
            raise UsageError(
                f"{option} {folder} is in use by another run ({busy.holder}); wait for it "
                f"to end, or choose another {option}"
            ) from None


def _plan(run_: runs.Run, folder: Path, live=None) -> str:
    config, found = run_.config, run_.dataset
    task = f"{found.n_classes} classes" if found.task == "classify" else "regression"
    samples = f"{found.X.shape[0]} samples" + (
        "" if found.test is None else f" + {len(found.test[0])} to test"
    )
    device = run_.model.device
    where = backend.describe(device)
    if config.device == "auto":
        where += " (auto: a GPU)" if device.type == "cuda" else " (auto: no GPU, so the CPU)"
    return (
        f"{config.model} on {found.name} ({task}, {samples}), "
        f"{config.optimizer} lr={config.learning_rate:g}, on {where}; run folder {folder}"
        + ("" if live is None else f"; live view {live.url}")
    )


def _report_interrupted(prepared: _Prepared, say) -> int:
    trainer, folder = prepared.trainer, prepared.folder
    if distributed.is_main():
        prepared.checkpoint.write()
    say(
        f"interrupted in epoch {trainer.epoch + 1} after update {trainer.step}; "
        f"checkpoint saved. Resume with:\n  descend train --resume {folder} "
        f"--epochs {prepared.run.config.epochs}"
    )
    return 130


def _report(prepared: _Prepared, scores: dict | None, quiet: bool) -> int:
    """The scores, gradient warnings, diagnosis and files of a saved run; the exit status
    (3 for a run that diverged)."""
    run_, trainer, folder = prepared.run, prepared.trainer, prepared.folder
    if not quiet:
        print(format_table(scores))
        for warning in trainer.history.gradients.warnings:
            print(f"GradientMonitor: {warning}")
        if "diagnosis" in trainer.history.events:
            print(trainer.history.events["diagnosis"])
        print(
            f"saved to {folder}/: {', '.join(n for n in runs.RUN_FILES if (folder / n).exists())}"
        )
    diverged = runs.divergence_advice(run_.config, trainer.history)
    if diverged is not None:
        # The last line: the run is kept for its history, but it did not train.
        sys.stdout.flush()
        if distributed.is_main():
            print(f"descend train: diverged: {diverged}", file=sys.stderr)
        return 3
    warning = runs.guessing_warning(
        run_.config, run_.dataset.task, run_.train_targets(), trainer.history
    )
    if warning is not None and not quiet:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _device(config) -> backend.Device:
    """The run's device, or a UsageError (exit 2) in one line: CUDA without CuPy or GPU."""
    try:
        return backend.choose(config.device, distributed.rank())
    except backend.DeviceError as error:
        raise UsageError(f"--device {config.device}: {error}") from None


def _live(name: str):
    from descend.train import LiveView

    try:
        return LiveView(announce=False, name=name)
    except ImportError as missing:
        raise UsageError(str(missing)) from None


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
        if k not in ("epochs", "tensorboard", "device", "threads")
        and getattr(args, k, None) is not None
    ]
    if changed or args.out is not None or args.config is not None or args.force:
        given = changed or [
            "--out" if args.out is not None else "--config" if args.config else "--force"
        ]
        raise UsageError(
            f"--resume continues a run with its own settings; only --epochs, --device, "
            f"--threads and --tensorboard can change, got {given[0]}"
        )
    if not (args.resume / "checkpoint.safetensors").is_file():
        raise UsageError(f"{args.resume}: no checkpoint.safetensors to resume from")
    # How it runs may change (the machine may not be the same), not what it computes.
    machine = {
        k: getattr(args, k) for k in ("device", "threads") if getattr(args, k, None) is not None
    }
    return config.updated(epochs=args.epochs, tensorboard=args.tensorboard, **machine).validate()


class _CtrlC:
    """The SIGINT handler while a run trains and saves. Ctrl-C while training: finish the
    batch, then stop and save a checkpoint. While the run's files are written: finish
    writing them. Twice: stop at once."""

    def __init__(self, trainer: Trainer, say):
        self.trainer, self.say = trainer, say
        self.pressed = self.saving = False

    def __call__(self, signum, frame):
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True
        if self.saving:
            self.say("\nwriting the run's files first (Ctrl-C again to abort)", file=sys.stderr)
        else:
            self.trainer.interrupt()
            self.say("\nstopping after this batch (Ctrl-C again to abort)", file=sys.stderr)


@contextmanager
def _interruptible(trainer: Trainer, say):
    handler = _CtrlC(trainer, say)
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield handler
    finally:
        signal.signal(signal.SIGINT, previous)
