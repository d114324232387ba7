"""The kinds of model a run can train, by name: one entry each, as ``landscape/registry.py``
keeps its problems.

An entry says what the model learns (its tasks, each with its loss), whether it takes
images, how it is built, and the settings only it reads with their defaults. Every
other part of runs/ (checks, building, targets, reading a run back, the export) asks
the entry; adding a model is one entry here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from descend import models, nn


@dataclass(frozen=True)
class ModelKind:
    """One ``--model``.

    Parameters
    ----------
    name : str
        Its ``--model`` name.
    losses : dict
        The tasks it learns (``'classify'``, ``'regress'``), each with the loss class it
        trains with; a binary loss takes its targets as 0./1.
    build : callable
        ``build(config, input_shape, n_outputs) -> Module``; ``input_shape`` is one
        sample's (features, or channels x height x width).
    images : tuple of int, optional
        The image size (height, width) it takes; None for rows of features.
    classes : int, optional
        The one number of classes it can tell apart (logistic regression: 2).
    defaults : dict
        The settings of RunConfig that only this model reads, with their defaults.
    column_output : bool
        Whether it gives a regression as a column (N, 1) rather than (N,); the targets
        are shaped alike.
    """

    name: str
    losses: dict
    build: Callable
    images: tuple[int, int] | None = None
    classes: int | None = None
    defaults: dict = field(default_factory=dict)
    column_output: bool = False

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(self.losses)


def _mlp(config, input_shape: tuple, n_outputs: int) -> nn.Module:
    sizes = [_features(input_shape), *config.hidden, n_outputs]
    return models.MLP(sizes, config.activation or KINDS["mlp"].defaults["activation"])


def _features(input_shape: tuple) -> int:
    return math.prod(int(size) for size in input_shape)


KINDS: dict[str, ModelKind] = {
    kind.name: kind
    for kind in (
        ModelKind(
            "linear",
            {"regress": nn.MSELoss},
            lambda config, shape, outputs: models.LinearRegression(_features(shape)),
        ),
        ModelKind(
            "logistic",
            {"classify": nn.BCEWithLogitsLoss},
            lambda config, shape, outputs: models.LogisticRegression(_features(shape)),
            classes=2,
        ),
        ModelKind(
            "softmax",
            {"classify": nn.CrossEntropyLoss},
            lambda config, shape, outputs: models.SoftmaxRegression(_features(shape), outputs),
        ),
        ModelKind(
            "mlp",
            {"classify": nn.CrossEntropyLoss, "regress": nn.MSELoss},
            _mlp,
            defaults={"hidden": [128, 64], "activation": "relu"},
            column_output=True,
        ),
        ModelKind(
            "lenet",
            {"classify": nn.CrossEntropyLoss, "regress": nn.MSELoss},
            lambda config, shape, outputs: models.LeNet5(shape[0], outputs),
            images=(28, 28),
            column_output=True,
        ),
    )
}
MODELS = tuple(KINDS)
# The settings some model reads and others do not (written to config.toml only for those).
MODEL_SETTINGS = tuple(sorted({name for kind in KINDS.values() for name in kind.defaults}))
