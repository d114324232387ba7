"""Module, the base of every layer, loss and model; Parameter, a tensor a Module learns.

A Module keeps what it is made of in three ordered registries, filled by plain
attribute assignment: Parameters (``self.weight = Parameter(...)``), sub-Modules
(``self.fc1 = Linear(...)``) and buffers (``self.register_buffer("running_mean", a)``:
arrays that are state but not learned). Everything else (``parameters()``,
``state_dict()``, ``train()``, the repr) walks these registries, so a model is just
``__init__`` that builds parts and ``forward`` that uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np

from descend import backend
from descend.tensor import autograd
from descend.tensor.elementwise import dtype_and_device
from descend.tensor.tensor import Tensor, as_array, get_default_dtype


class Parameter(Tensor):
    """A Tensor that a Module learns: ``requires_grad=True``, in the default dtype.

    Assigning a Parameter to an attribute of a Module registers it, so it shows up
    in ``parameters()`` and ``state_dict()``.

    Examples
    --------
    >>> w = Parameter(np.zeros((3, 4)))
    >>> w.requires_grad, w.dtype
    (True, dtype('float32'))
    """

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(as_array(data, get_default_dtype()), requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped."""

    missing_keys: list
    unexpected_keys: list


class Module:
    """Base class of layers, losses and models.

    Subclasses call ``super().__init__()`` first, assign their parts as attributes
    and define ``forward``; calling the module calls ``forward``.

    Attributes
    ----------
    training : bool
        True (the default) in training mode; ``eval()`` sets it to False everywhere,
        which changes what Dropout and BatchNorm do.

    Examples
    --------
    >>> class TwoLayer(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1 = nn.Linear(4, 8)
    ...         self.fc2 = nn.Linear(8, 1)
    ...     def forward(self, x):
    ...         return self.fc2(self.fc1(x).relu())
    >>> [name for name, _ in TwoLayer().named_parameters()]
    ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_transient", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        if autograd.tracer is not None:  # exporting: the tracer notes which module runs
            return autograd.tracer.call_module(self, args, kwargs)
        return self.forward(*args, **kwargs)

    # -- registration ---------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        registries = self.__dict__.get("_parameters")
        if registries is None:
            if isinstance(value, Parameter | Module):
                raise AttributeError(
                    f"cannot assign {name!r} before Module.__init__() ran: call "
                    f"super().__init__() first in {type(self).__name__}.__init__"
                )
            object.__setattr__(self, name, value)
            return
        params, modules, buffers = self._parameters, self._modules, self._buffers
        if isinstance(value, Parameter):
            modules.pop(name, None)
            buffers.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            buffers.pop(name, None)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign a {type(value).__name__} to parameter {name!r} of "
                    f"{type(self).__name__}: expected a Parameter or None"
                )
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign a {type(value).__name__} to submodule {name!r} of "
                    f"{type(self).__name__}: expected a Module or None"
                )
            modules[name] = None
        elif name in buffers:
            value = buffers[name] = _buffer_value(value, name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a declared but absent parameter) under ``name``."""
        self._check_name(name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: expected a Parameter or None, got {param!r}")
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, array, persistent: bool = True) -> None:
        """Register state that is not learned (e.g. BatchNorm's running mean) as ``name``.

        Buffers are ndarrays; they appear in ``state_dict()`` unless ``persistent`` is
        False, and are never returned by ``parameters()``.
        """
        self._check_name(name)
        self._buffers[name] = _buffer_value(array, name)
        if persistent:
            self._transient.discard(name)
        else:
            self._transient.add(name)
        object.__setattr__(self, name, self._buffers[name])

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child under ``name`` (what attribute assignment does)."""
        self._check_name(name)
        if module is not None and not isinstance(module, Module):
            hint = ""
            if isinstance(module, type) and issubclass(module, Module):
                hint = f"; did you mean {module.__name__}()?"
            raise TypeError(f"{name!r} must be a Module, got {module!r}{hint}")
        self._modules[name] = module
        object.__setattr__(self, name, module)

    def _check_name(self, name: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"call super().__init__() first in {type(self).__name__}.__init__")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"a name must be a non-empty string without '.', got {name!r}")

    # -- walking the tree -----------------------------------------------------------
    def named_modules(self, prefix: str = "", _seen: set | None = None) -> Iterator:
        """(dotted name, module) for this module (name ``prefix``) and every descendant, once."""
        seen = set() if _seen is None else _seen
        if id(self) in seen:
            return
        seen.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(f"{prefix}.{name}" if prefix else name, seen)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator:
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator:
        """(dotted name, Parameter) pairs in registration order, each Parameter once.

        Names follow PyTorch's: ``fc1.weight``, ``0.bias``, ``features.3.weight``.
        """
        seen = set()
        owners = self.named_modules(prefix) if recurse else [(prefix, self)]
        for owner, module in owners:
            for name, param in module._parameters.items():
                if param is not None and id(param) not in seen:
                    seen.add(id(param))
                    yield (f"{owner}.{name}" if owner else name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every Parameter of this module and its descendants, each once, in order."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "") -> Iterator:
        for owner, module in self.named_modules(prefix):
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    yield (f"{owner}.{name}" if owner else name), buffer

    def buffers(self) -> Iterator[np.ndarray]:
        for _, buffer in self.named_buffers():
            yield buffer

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every descendant, then on this module (e.g. custom initialisation)."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- modes and gradients --------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode on this module and below."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode): mode must be a bool, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: Dropout passes inputs through, BatchNorm uses running statistics."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the accumulated gradients (set ``.grad`` to None, or to zeros)."""
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad = backend.xp_of(param.data).zeros_like(param.data)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def to(self, *args, dtype=None, device=None) -> Module:
        """Move every parameter, gradient and buffer to ``device`` and/or convert the
        floating ones to ``dtype`` (float32 or float64), in place, as PyTorch's ``to``.

        ``model.to('cuda')``, ``model.to('cpu', np.float64)``, ``model.to(np.float64)``.
        The Parameters stay the same objects, so an optimizer made before keeps them.
        """
        dtype, device = dtype_and_device(args, dtype, device, "Module.to")
        if dtype is not None:
            dtype = np.dtype(dtype)
            if dtype.kind != "f":
                raise TypeError(f"Module.to: expected a floating dtype, got {dtype}")

        def convert(array):
            if dtype is not None and array.dtype.kind == "f":
                array = array.astype(dtype, copy=False)
            return array if device is None else backend.to_device(array, device)

        for param in self.parameters():
            param.data = convert(param.data)
            if param.grad is not None:
                param.grad = convert(param.grad)
        for module in self.modules():
            for name, buffer in list(module._buffers.items()):
                if buffer is not None:
                    setattr(module, name, convert(buffer))
        return self

    @property
    def device(self) -> backend.Device:
        """The device of the first parameter (or buffer); the CPU for a module with neither."""
        for param in self.parameters():
            return backend.device_of(param.data)
        for buffer in self.buffers():
            return backend.device_of(buffer)
        return backend.CPU_DEVICE

    # -- state ------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and persistent buffer, by dotted name (PyTorch's keys).

        The copies are NumPy arrays on every device: what files hold.

        Examples
        --------
        >>> list(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).state_dict())
        ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var',
         '1.num_batches_tracked']
        """
        return {
            name: array.copy() if backend.is_host(array) else backend.to_host(array)
            for name, array in self._state_arrays().items()
        }

    def load_state_dict(self, state: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values from ``state`` into the existing parameters and buffers, in place.

        Values may be ndarrays, Tensors, or anything ``np.asarray`` takes (such as CPU
        PyTorch tensors). Nothing is changed unless every value fits: a shape mismatch,
        a value that cannot be cast, or (with ``strict``) a missing or unexpected key
        raises a ValueError that lists them all.

        Returns
        -------
        IncompatibleKeys
            ``(missing_keys, unexpected_keys)``, both empty after a strict load.
        """
        targets = self._state_arrays()
        missing = [key for key in targets if key not in state]
        unexpected = [key for key in state if key not in targets]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {', '.join(unexpected)}")
        values = {}
        for key, target in targets.items():
            if key not in state:
                continue
            value = state[key]
            value = value.data if isinstance(value, Tensor) else value
            value = value if backend.is_array(value) else np.asarray(value)
            if value.shape != target.shape:
                problems.append(f"{key}: expected shape {target.shape}, got {value.shape}")
            elif not np.can_cast(value.dtype, target.dtype, "same_kind"):
                problems.append(f"{key}: cannot load {value.dtype} into {target.dtype}")
            else:
                values[key] = value
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        for key, value in values.items():
            target = targets[key]  # on its own device: the values travel there
            value = backend.to_device(value, backend.device_of(target))
            backend.xp_of(target).copyto(target, value, casting="same_kind")
        return IncompatibleKeys(missing, unexpected)

    def _state_arrays(self) -> dict[str, np.ndarray]:
        """The live arrays behind ``state_dict()``: parameters then buffers, module by module."""
        arrays = {}
        for owner, module in self.named_modules():
            prefix = f"{owner}." if owner else ""
            for name, param in module._parameters.items():
                if param is not None:
                    arrays[prefix + name] = param.data
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._transient:
                    arrays[prefix + name] = buffer
        return arrays

    # -- repr -------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The arguments shown between the parentheses of the repr (override in layers)."""
        return ""

    def label(self) -> str:
        """``ClassName(arguments)``: how error messages name this module."""
        return f"{type(self).__name__}({self.extra_repr()})"

    def __repr__(self) -> str:
        count = sum(p.data.size for p in self.parameters())
        note = f"  # {count:,} parameter{'s' if count != 1 else ''}" if count else ""
        children = [
            f"  ({name}): " + repr(module).replace("\n", "\n  ")
            for name, module in self._modules.items()
            if module is not None
        ]
        if not children:
            return self.label() + note
        return f"{type(self).__name__}({self.extra_repr()}\n" + "\n".join(children) + "\n)" + note


def _buffer_value(value, name: str) -> np.ndarray | None:
    if value is None or backend.is_array(value):
        return value
    if isinstance(value, Tensor):
        return value.data
    raise TypeError(f"buffer {name!r} must be an ndarray or None, got {type(value).__name__}")
