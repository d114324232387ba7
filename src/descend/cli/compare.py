"""``descend compare``: the same model on the same data, trained with several settings."""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

from descend import data, runs
from descend.cli.common import (
    UsageError,
    add_picture_options,
    add_run_options,
    config_from_args,
    picture_path,
)
from descend.train import Convergence

DESCRIPTION = (
    "Train the same model (same initial weights) on the same data with every combination "
    "of the listed optimizers, learning rates and batch sizes. Overlays their learning "
    "curves in one PNG and prints a table of the final validation loss and metric, epochs "
    "to convergence, updates and wall time. An earlier PNG is never replaced unless --force "
    "is given: the default name is numbered (compare-iris-softmax-2.png)."
)
EXAMPLES = """\
examples:
  descend compare --optimizer sgd,momentum,adam          three optimizers, one picture
  descend compare --batch-size 1,32,full --optimizer sgd  SGD, mini-batch and batch GD
  descend compare --lr 0.001,0.01,0.1 --optimizer sgd     three learning rates
  descend compare --optimizer sgd,adam --lr 0.01,0.1      every pair: four runs
  descend compare --data diabetes --model linear --optimizer sgd,adam --epochs 100
"""
VARIED = ("optimizer", "lr", "batch_size")  # comma-separated lists: one run per combination
SHARED = ("data", "target", "task", "model", "hidden", "epochs", "val_fraction", "seed")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_options(parser, only=VARIED + SHARED, listed=VARIED, config_file=False)
    parser.add_argument(
        "--tol",
        type=float,
        default=1e-4,
        help="converged when the training loss changes by less than this "
        "fraction for 3 epochs (default 1e-4)",
    )
    add_picture_options(parser, "compare-<data>-<model>.png")


def run(args: argparse.Namespace) -> int:
    from descend import plot

    shared = argparse.Namespace(**{k: getattr(args, k) for k in SHARED})
    base = config_from_args(shared, base=runs.RunConfig(test_fraction=0.0))
    variants = _variants(args, base)
    default = f"compare-{Path(base.data).stem}-{base.model}.png"
    path = picture_path(args.out, default, args.force)
    found = data.load(base.data, base.target, base.task)
    print(
        f"{base.model} on {found.name} ({found.X.shape[0]} samples), {len(variants)} runs of "
        f"at most {base.epochs} epochs, same initial weights (seed {base.seed})"
    )
    histories, rows = {}, []
    for label, config in variants:
        history, row = _train(label, config, found, args.tol)
        histories[label] = history
        rows.append(row)
        print(f"  {label}: done in {row['time']:.2f}s")
    print(format_rows(rows))
    title = f"{base.model} on {found.name}: " + ", ".join(histories)
    plot.compare_curves(histories, path, title=title if len(title) < 110 else None)
    print(f"wrote {path}")
    return 0


def _variants(args, base: runs.RunConfig) -> list[tuple[str, runs.RunConfig]]:
    """Every combination of the listed values, each labelled by what varies."""
    if not args.tol >= 0:
        raise UsageError(f"--tol must be >= 0, got {args.tol}")
    optimizers = args.optimizer or [base.optimizer]
    lrs = args.lr or [None]
    batch_sizes = args.batch_size or [base.batch_size]
    combos = list(itertools.product(optimizers, lrs, batch_sizes))
    if len(combos) < 2:
        raise UsageError(
            "compare needs at least two settings: list several values, e.g. "
            "--optimizer sgd,adam or --lr 0.01,0.1"
        )
    variants = []
    for optimizer, lr, batch_size in combos:
        config = base.updated(optimizer=optimizer, lr=lr, batch_size=batch_size).validate()
        parts = []
        if len(optimizers) > 1 or len(lrs) == 1 and len(batch_sizes) == 1:
            parts.append(optimizer)
        if len(lrs) > 1 or len(optimizers) > 1:
            parts.append(f"lr={config.learning_rate:g}")
        if len(batch_sizes) > 1:
            parts.append("full batch" if batch_size == "full" else f"batch {batch_size}")
        variants.append((" ".join(parts), config))
    return variants


def _train(label: str, config: runs.RunConfig, found, tol: float):
    run_ = runs.prepare_run(config, found)
    trainer = run_.trainer([Convergence(tol=tol)], verbose=0)
    start = time.perf_counter()
    history = run_.fit(trainer).history
    elapsed = time.perf_counter() - start
    judged = run_.val if run_.val is not None else (run_.loader.dataset.X, run_.loader.dataset.y)
    scores = trainer.evaluate(judged)
    events = history.events
    return history, {
        "setting": label,
        "split": "val" if run_.val is not None else "train",
        "scores": scores,
        "epochs": len(history),
        "converged": events.get("converged_epoch"),
        "diverged": events.get("diverged_step"),
        "updates": trainer.step,
        "time": elapsed,
    }


def format_rows(rows: list[dict]) -> str:
    """One line per run: final loss and metrics, epochs, convergence, updates, time."""
    names = list(rows[0]["scores"])
    split = rows[0]["split"]
    width = max(12, *(len(r["setting"]) for r in rows)) + 2
    head = f"{'setting':{width}s}" + "".join(f"{f'{split} {n}':>14s}" for n in names)
    head += f"{'epochs':>8s}{'converged':>14s}{'updates':>9s}{'time':>9s}"
    lines = [head]
    for r in rows:
        converged = (
            f"epoch {r['converged']}"
            if r["converged"] is not None
            else f"DIVERGED@{r['diverged']}"
            if r["diverged"] is not None
            else "-"
        )
        lines.append(
            f"{r['setting']:{width}s}"
            + "".join(f"{r['scores'][n]:>14.4f}" for n in names)
            + f"{r['epochs']:>8d}{converged:>14s}{r['updates']:>9d}{r['time']:>8.2f}s"
        )
    return "\n".join(lines)
