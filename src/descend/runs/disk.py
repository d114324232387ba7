"""A run whose data stays on disk: a folder of ``.npy`` files, memory-mapped.

Its rows are split by index (stratified for classes, as ``holdout`` splits arrays), the
features are standardised with statistics from one streaming pass over the training
rows (shared out among the processes of an MPI job), and each batch is read,
standardised and shaped only when the loader asks for it. Nothing holds the features
of the whole set in memory; the targets (one number per sample) are read whole.
"""

from __future__ import annotations

import numpy as np

from descend import data
from descend.data.sets import LoadedData, Splits
from descend.data.split import train_test_split
from descend.runs.build import (
    build_training,
    check_model_fits,
    prepare_inputs,
    prepare_targets,
    score,
)
from descend.runs.config import RunConfig
from descend.runs.parallel import fit_scaler
from descend.runs.run import Run
from descend.tensor import get_default_dtype


class DiskRun(Run):
    """A :class:`Run` whose ``loader``, ``val`` and ``test`` read batches from the files."""

    def train_targets(self):
        """The training targets as the loss sees them (class codes, standardised values)."""
        part = self.loader.dataset
        return part.target_transform(part.targets())

    def scores(self, trainer) -> dict:
        """Loss and metrics on the train, val and test parts (regression in target units)."""
        train = data.DataLoader(self.loader.dataset, batch_size=1024)
        parts = {"train": train, "val": self.val, "test": self.test}
        scaler = self.splits.target_scaler
        return {  # the targets are stored in their own units
            name: score(trainer, part, scaler, part.dataset.targets() if scaler else None)
            for name, part in parts.items()
            if part
        }


def prepare_disk_run(config: RunConfig, found: LoadedData) -> DiskRun:
    """:func:`descend.runs.prepare_run` for ``found.disk``: a split of row numbers, a
    streaming scaler, and loaders that read, scale and shape each batch."""
    check_model_fits(config, found)
    train_rows, val_rows, test_rows = _split_rows(found, config)
    train = found.disk.subset(train_rows)
    scaler = fit_scaler(train)
    target_scaler = None
    if found.task == "regress":
        target_scaler = data.StandardScaler().fit(found.y[train_rows].reshape(-1, 1))
    val = None if val_rows is None else found.disk.subset(val_rows)
    test = None if test_rows is None else found.disk.subset(test_rows)
    if found.disk_test is not None:  # a copy: the loaded set stays as it was
        test = found.disk_test.subset(np.arange(len(found.disk_test)))
    for part in (train, val, test):
        if part is not None:
            part.transform = _inputs(config, found, scaler)
            part.target_transform = _targets(config, found, part.target_transform, target_scaler)
    loader = data.DataLoader(train, batch_size=config.batch_size, shuffle=True, seed=config.seed)
    val, test = (None if p is None else data.DataLoader(p, batch_size=1024) for p in (val, test))
    model, loss, optimizer, scheduler = build_training(config, found, len(loader))
    splits = Splits(None, None, None, None, None, None, scaler, target_scaler)
    return DiskRun(config, found, splits, model, loss, optimizer, loader, scheduler, val, test)


def _split_rows(found: LoadedData, config: RunConfig):
    """Row numbers of the train, validation and test parts, each sorted (disk order)."""
    stratify = found.y if found.task == "classify" else None
    rows, test_rows, val_rows = np.arange(len(found.y)), None, None
    test_fraction = 0.0 if found.disk_test is not None else config.test_fraction
    if test_fraction:
        rows, test_rows = train_test_split(
            rows, test_size=test_fraction, stratify=stratify, random_state=config.seed
        )
    if config.val_fraction:
        share = config.val_fraction / (1 - test_fraction)
        rows, val_rows = train_test_split(
            rows,
            test_size=share,
            stratify=None if stratify is None else stratify[rows],
            random_state=config.seed + 1,
            name="validation",
        )
    return tuple(None if r is None else np.sort(r) for r in (rows, val_rows, test_rows))


def _inputs(config: RunConfig, found: LoadedData, scaler):
    def transform(X):
        return prepare_inputs(config.model, found.image_shape, scaler.transform(X))

    return transform


def _targets(config: RunConfig, found: LoadedData, labels, target_scaler):
    """Stored targets to what the loss wants: class codes, standardised values, shapes."""

    def transform(y):
        if labels is not None:
            y = labels(y)
        if target_scaler is not None:
            # (integer or boolean targets of a regression become the float dtype first)
            y = target_scaler.transform(y.reshape(-1, 1).astype(get_default_dtype()))[:, 0]
        return prepare_targets(found.task, config.model, y)

    return transform
