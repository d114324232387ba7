"""The callbacks of the training loop in one namespace, as ``ds.callbacks``: the names
of ``descend.train`` that are callbacks, so ``ds.callbacks.<TAB>`` lists them all.

>>> callbacks = [ds.callbacks.EarlyStopping(patience=5), ds.callbacks.GradientMonitor()]
>>> ds.callbacks.TensorBoard is ds.train.TensorBoard
True
"""

from descend.train import (
    Callback,
    Convergence,
    CSVLogger,
    DivergenceGuard,
    EarlyStopping,
    GradientMonitor,
    History,
    LiveView,
    ModelCheckpoint,
    ProgressBar,
    TensorBoard,
)

__all__ = [
    "CSVLogger",
    "Callback",
    "Convergence",
    "DivergenceGuard",
    "EarlyStopping",
    "GradientMonitor",
    "History",
    "LiveView",
    "ModelCheckpoint",
    "ProgressBar",
    "TensorBoard",
]
