"""The training loop, its record, and the callbacks that watch it."""

from descend.train.callback import Callback, Monitor
from descend.train.diagnosis import Diagnosis, diagnose
from descend.train.divergence import DivergenceGuard
from descend.train.history import History
from descend.train.live import LiveView
from descend.train.loggers import CSVLogger, ModelCheckpoint
from descend.train.monitor import GradientMonitor
from descend.train.progress import ProgressBar, describe_plan
from descend.train.stopping import Convergence, EarlyStopping
from descend.train.tensorboard import TensorBoard
from descend.train.trainer import Trainer

__all__ = [
    "CSVLogger",
    "Callback",
    "Convergence",
    "Diagnosis",
    "DivergenceGuard",
    "EarlyStopping",
    "GradientMonitor",
    "History",
    "LiveView",
    "ModelCheckpoint",
    "Monitor",
    "ProgressBar",
    "TensorBoard",
    "Trainer",
    "describe_plan",
    "diagnose",
]
