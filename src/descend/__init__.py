"""descend: the whole gradient-descent training system on NumPy.

>>> import descend as ds
>>> w = ds.tensor([2.0], requires_grad=True)
>>> ((w * 3 - 1) ** 2).sum().backward()
>>> w.grad
array([30.], dtype=float32)
"""

# distributed imports mpi4py only when init() is called: plain imports stay MPI-free.
from descend import callbacks, cuda, data, distributed, io, metrics, models, nn, optim, train
from descend.explain import explain
from descend.gradcheck import gradcheck
from descend.io import load, save
from descend.lr_finder import lr_find
from descend.runs import RunConfig, load_run, prepare_run
from descend.tensor import (
    Tensor,
    arange,
    concat,
    get_default_dtype,
    is_grad_enabled,
    manual_seed,
    no_grad,
    ones,
    rand,
    randn,
    set_default_dtype,
    stack,
    tensor,
    where,
    zeros,
)
from descend.train import (
    Convergence,
    CSVLogger,
    DivergenceGuard,
    EarlyStopping,
    GradientMonitor,
    History,
    ModelCheckpoint,
    ProgressBar,
    Trainer,
)

__version__ = "0.1.0"

__all__ = [
    "CSVLogger", "Convergence", "DivergenceGuard", "EarlyStopping", "GradientMonitor", "History",
    "ModelCheckpoint", "ProgressBar", "RunConfig", "Tensor", "Trainer", "arange", "callbacks",
    "concat", "cuda", "data", "distributed", "explain", "get_default_dtype", "gradcheck", "io",
    "is_grad_enabled", "load", "load_run", "lr_find", "manual_seed", "metrics", "models", "nn",
    "no_grad", "ones", "optim", "plot", "prepare_run", "rand", "randn", "runs", "save",
    "set_default_dtype", "stack", "tensor", "train", "where", "zeros",
]  # fmt: skip


def __getattr__(name: str):
    # matplotlib takes a while to import: ds.plot is loaded when first used; ds.onnx too,
    # so that descend imports without the optional onnx package.
    if name in ("plot", "onnx"):
        import importlib

        return importlib.import_module(f"descend.{name}")
    raise AttributeError(f"module 'descend' has no attribute {name!r}")
