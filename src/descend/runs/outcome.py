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


def guessing_warning(config: RunConfig, task: str, y_train: np.ndarray, history) -> str | None:
    """A warning when the training loss ended no lower, or barely lower, than guessing
    would give: within ``AT_GUESSING`` of it. ``y_train``: the training targets in the
    units the loss sees (``Run.train_targets()``).

    Rising back to that level after being lower means steps too large to settle (the lr);
    never getting below it, steps too small or too few.
    """
    losses = [v for v in history.records.get("loss", []) if math.isfinite(v)]
    if not losses or "diverged" in history.events:
        return None
    guess, final = guessing_loss(task, y_train), losses[-1]
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
            f"gives ({final / guess:.1%} of it): the model has learned little"
        )
    lowest = min(losses)
    lr = config.learning_rate
    if lowest < AT_GUESSING * final:
        epoch = history.epochs[history.records["loss"].index(lowest)]
        return (
            f"{said}. It was down to {lowest:.4g} in epoch {epoch} and rose back: the steps "
            f"are too large to settle; try a smaller --lr (now {lr:g})"
        )
    return f"{said}. Try a larger --lr (now {lr:g}) or more --epochs"
