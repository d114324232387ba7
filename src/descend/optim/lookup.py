"""Optimizers and learning-rate schedules by name, as Keras's ``optimizers.get``.

>>> import descend as ds
>>> model = ds.nn.Linear(3, 1)
>>> opt = ds.optim.get("momentum", model.parameters())
>>> type(opt).__name__, opt.defaults["lr"], opt.defaults["momentum"]
('SGD', 0.05, 0.9)
>>> scheduler = ds.optim.get_scheduler("cosine", opt, epochs=20)
>>> type(scheduler).__name__
'CosineAnnealingLR'
"""

from __future__ import annotations

from descend.names import closest
from descend.optim import lr_scheduler
from descend.optim.adagrad import Adagrad
from descend.optim.adam import Adam, AdamW
from descend.optim.optimizer import Optimizer
from descend.optim.rmsprop import RMSprop
from descend.optim.sgd import SGD

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
SCHEDULERS = ("none", "step", "exponential", "cosine", "linear", "onecycle", "plateau")

# A learning rate that trains the built-in sets well with each rule: plain SGD takes
# larger steps than momentum (which adds up ~10 past steps), adaptive rules smaller ones.
DEFAULT_LR = {
    "sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.05,
    "rmsprop": 0.001, "adam": 0.001, "adamw": 0.001,
}  # fmt: skip


def default_lr(name: str) -> float:
    """The learning rate :func:`get` uses for the optimizer ``name`` when none is given."""
    return DEFAULT_LR[closest("optimizer", name, OPTIMIZERS)]


def get(name: str, params, lr: float | None = None, **kwargs) -> Optimizer:
    """The optimizer called ``name`` over ``params``.

    Parameters
    ----------
    name : str
        One of ``sgd``, ``momentum`` (SGD with momentum 0.9), ``nesterov`` (the same
        with Nesterov's look-ahead), ``adagrad``, ``rmsprop``, ``adam``, ``adamw``.
    params : iterable of Tensor or of dict
        What the optimizer updates, as for its class.
    lr : float, optional
        The learning rate; ``DEFAULT_LR[name]`` when None.
    **kwargs
        Further hyperparameters of the optimizer's class (``weight_decay=1e-4``...).

    Raises
    ------
    ValueError
        For an unknown name, suggesting the nearest known one.
    """
    name = closest("optimizer", name, OPTIMIZERS)
    lr = DEFAULT_LR[name] if lr is None else lr
    if name in ("sgd", "momentum", "nesterov"):
        kwargs.setdefault("momentum", 0.0 if name == "sgd" else 0.9)
        kwargs.setdefault("nesterov", name == "nesterov")
        return SGD(params, lr=lr, **kwargs)
    kinds = {"adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}
    return kinds[name](params, lr=lr, **kwargs)


def longest_warmup(epochs: int) -> int:
    """The most epochs a ``linear`` warm-up may last in a run of ``epochs``: one fewer, so
    that at least the last epoch trains at the learning rate the run asks for.

    >>> longest_warmup(6), longest_warmup(1)
    (5, 0)
    """
    return epochs - 1


def get_scheduler(
    name: str, optimizer: Optimizer, *, epochs: int, updates_per_epoch: int = 1, **kwargs
):
    """The learning-rate schedule called ``name`` for a run of ``epochs`` epochs.

    ========== ================================================================
    none       None: the learning rate stays as set
    step       StepLR: times 0.1 after every third of the epochs
    exponential ExponentialLR: times 0.95 every epoch
    cosine     CosineAnnealingLR: down to 0 along a half cosine over the epochs
    linear     LinearLR: warm-up from a tenth of the lr over the first 5 epochs, at
               most half the run (so that a short run reaches the lr it asks for); a
               ``total_iters`` that would not end before the last epoch is a ValueError
    onecycle   OneCycleLR: up to the optimizer's lr and down, per update
    plateau    ReduceLROnPlateau: halved after 3 epochs without a lower loss
    ========== ================================================================

    ``**kwargs`` override those choices (``gamma=0.5``, ``patience=10``...).
    """
    name = closest("scheduler", name, SCHEDULERS)
    if name == "none":
        return None
    if name == "step":
        settings = {"step_size": max(1, epochs // 3), "gamma": 0.1}
        return lr_scheduler.StepLR(optimizer, **{**settings, **kwargs})
    if name == "exponential":
        return lr_scheduler.ExponentialLR(optimizer, **{"gamma": 0.95, **kwargs})
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, **{"T_max": epochs, **kwargs})
    if name == "linear":
        settings = {"start_factor": 0.1, "total_iters": max(1, min(5, epochs // 2)), **kwargs}
        if "total_iters" in kwargs and kwargs["total_iters"] > longest_warmup(epochs):
            raise ValueError(
                f"a linear warm-up of {kwargs['total_iters']} epochs would not end before the "
                f"last epoch of a {epochs}-epoch run: at most {longest_warmup(epochs)}"
            )
        return lr_scheduler.LinearLR(optimizer, **settings)
    if name == "onecycle":
        settings = {
            "max_lr": optimizer.param_groups[0]["lr"],
            "total_steps": epochs * updates_per_epoch,
        }
        return lr_scheduler.OneCycleLR(optimizer, **{**settings, **kwargs})
    settings = {"mode": "min", "factor": 0.5, "patience": 3}
    return lr_scheduler.ReduceLROnPlateau(optimizer, **{**settings, **kwargs})
