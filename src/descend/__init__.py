"""descend: the whole gradient-descent training system on NumPy.

>>> import descend as ds
>>> w = ds.tensor([2.0], requires_grad=True)
>>> ((w * 3 - 1) ** 2).sum().backward()
>>> w.grad
array([30.], dtype=float32)

``import descend`` imports nothing but this file: each name below is imported when it is
first used (PEP 562), so ``descend --version`` answers at once and a script pays only for
what it uses; matplotlib, tqdm, scikit-learn, mpi4py, onnx and tensorboardX are imported
by the parts that need them.
"""

import importlib
import sys
import types

__version__ = "0.1.0"

# A public name and the module that defines it. Submodules are public names too.
_SUBMODULES = (
    "callbacks", "cuda", "data", "distributed", "io", "metrics", "models", "nn", "onnx", "optim",
    "plot", "runs", "threads", "train",
)  # fmt: skip
_FROM = {
    "descend.explain": ("explain",),
    "descend.gradcheck": ("gradcheck",),
    "descend.io": ("load", "save"),
    "descend.lr_finder": ("lr_find",),
    "descend.runs": ("RunConfig", "load_run", "prepare_run"),
    "descend.tensor": (
        "Tensor", "arange", "concat", "get_default_dtype", "is_grad_enabled", "manual_seed",
        "no_grad", "ones", "rand", "randn", "set_default_dtype", "stack", "tensor", "where",
        "zeros",
    ),
    "descend.threads": ("get_num_threads", "set_num_threads"),
    "descend.train": (
        "CSVLogger", "Convergence", "DivergenceGuard", "EarlyStopping", "GradientMonitor",
        "History", "ModelCheckpoint", "ProgressBar", "Trainer",
    ),
}  # fmt: skip
_HOME = {name: module for module, names in _FROM.items() for name in names}

__all__ = sorted([*_SUBMODULES, *_HOME])


def __getattr__(name: str):
    if name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
    elif name in _SUBMODULES or (
        # The other submodules (ds.backend, ds.allocator, ...) too, as when all were
        # imported at once.
        name.isidentifier() and not name.startswith("_") and _is_submodule(name)
    ):
        value = importlib.import_module(f"descend.{name}")
    else:
        raise AttributeError(f"module 'descend' has no attribute {name!r}")
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value) -> None:
        # The import system binds every submodule it imports to its name here. Three are
        # named like the function they hold (descend.tensor.tensor, descend.explain.explain,
        # descend.gradcheck.gradcheck): ds.tensor stays the function, as it was before
        # imports became lazy. (The Python docs' way to customise a module's attributes.)
        if not (name in _HOME and isinstance(value, types.ModuleType)):
            super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def _is_submodule(name: str) -> bool:
    from importlib.util import find_spec

    return find_spec(f"descend.{name}") is not None


def __dir__() -> list[str]:
    return __all__
