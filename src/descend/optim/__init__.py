"""Optimizers (the update rule of step 6 of the training loop) and learning-rate schedules.

>>> model = ds.nn.Linear(3, 1)
>>> opt = ds.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
>>> scheduler = ds.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
>>> ds.optim.get("adam", model.parameters()).param_groups[0]["lr"]  # by name, default lr
0.001
"""

from descend.optim import lr_scheduler
from descend.optim.adagrad import Adagrad
from descend.optim.adam import Adam, AdamW
from descend.optim.lookup import OPTIMIZERS, SCHEDULERS, default_lr, get, get_scheduler
from descend.optim.optimizer import Optimizer
from descend.optim.rmsprop import RMSprop
from descend.optim.sgd import SGD

__all__ = [
    "OPTIMIZERS", "SCHEDULERS", "SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop",
    "default_lr", "get", "get_scheduler", "lr_scheduler",
]  # fmt: skip
