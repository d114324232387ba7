"""What a finished run's numbers say beyond its scores: that it diverged and what to change,
or that its loss ended no lower, or barely lower, than guessing would give."""

from __future__ import annotations

import math

import numpy as np

from descend.runs.config import RunConfig

# From this share of the loss of guessing up, the training loss is "barely below" it.
AT_GUESSING = 0.97


def divergence_advice(config: RunConfig, history) -> str | None:
    """None, or what the DivergenceGuard said with the options to change.

    >>> divergence_advice(RunConfig(lr=10), history)  # doctest: +SKIP
    'loss became inf at step 37 (epoch 4) with lr=10; try lr=1 or lower. Weights ...
    Train again with a smaller --lr (now 10).'
    """
    message = history.events.get("diverged")
    if message is None:
        return None
    advice = f"Train again with a smaller --lr (now {config.learning_rate:g})"
    if config.batch_size != "full" and config.batch_size < 8:
        advice += f", or a larger --batch-size (now {config.batch_size}), whose steps are noisier"
    return f"{message} {advice}."


def guessing_loss(task: str, y_train: np.ndarray) -> float:
    """The training loss of the best constant guess, for targets in the units the loss
    sees: the entropy of the class frequencies for cross-entropy; for the squared error,
    the targets' variance (1 for targets standardised with their own statistics)."""
    if task != "classify":
        return float(np.var(y_train))
    _, counts = np.unique(np.asarray(y_train).ravel(), return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def training_targets(run) -> np.ndarray:
    """The training part's targets as the loss saw them: class labels, or values
    standardised by the run's target scaler."""
    if run.splits.y_train is not None:  # in memory, already scaled
        return run.splits.y_train
    y = run.loader.dataset.targets()  # on disk: stored in the target's own units
    scaler = run.splits.target_scaler
    return y if scaler is None else scaler.transform(y.reshape(-1, 1).astype(np.float64))[:, 0]


def guessing_warning(run, history) -> str | None:
    """A warning when the training loss of ``run`` ended no lower, or barely lower, than
    guessing would give: within ``AT_GUESSING`` of it, in the same units.

    Rising back to that level after being lower means steps too large to settle (the lr);
    never getting below it, steps too small or too few.
    """
    losses = [v for v in history.records.get("loss", []) if math.isfinite(v)]
    if not losses or "diverged" in history.events:
        return None
    task, y = run.dataset.task, training_targets(run)
    guess, final = guessing_loss(task, y), losses[-1]
    if final < AT_GUESSING * guess:
        return None
    what = "guessing from the class frequencies" if task == "classify" else "predicting the mean"
    if final >= guess:
        said = (
            f"the training loss ended at {final:.4g}, no lower than {what} gives "
            f"({guess:.4g}): the model has learned nothing"
        )
    else:
        said = (
            f"the training loss ended at {final:.4g}, barely below the {guess:.4g} that {what} "
            f"gives ({final / guess:.1%} of it){_accuracy(history, y)}: the model has learned "
            f"little"
        )
    lowest = min(losses)
    lr = run.config.learning_rate
    if lowest < AT_GUESSING * final:
        epoch = history.epochs[history.records["loss"].index(lowest)]
        return (
            f"{said}. It was down to {lowest:.4g} in epoch {epoch} and rose back: the steps "
            f"are too large to settle; try a smaller --lr (now {lr:g})"
        )
    return f"{said}. Try a larger --lr (now {lr:g}) or more --epochs"


def _accuracy(history, y: np.ndarray) -> str:
    """``'; training accuracy 0.32, where always guessing the commonest class gets 0.10'``."""
    if "accuracy" not in history.records:
        return ""
    _, counts = np.unique(np.asarray(y).ravel(), return_counts=True)
    chance = counts.max() / counts.sum()
    return (
        f"; training accuracy {history['accuracy'][-1]:.2f}, where always guessing the "
        f"commonest class gets {chance:.2f}"
    )
