"""Devices: the one place that knows where arrays live and which module computes on them.

A device is named as in PyTorch: ``'cpu'``, ``'cuda'`` (the current GPU), ``'cuda:1'``.
Each kind of device has an array module, ``xp``: NumPy for the CPU, CuPy for CUDA. The
engine asks :func:`xp_of` for the module of its operands and stays NumPy code; no other
module imports CuPy. Files always hold host arrays: :func:`to_host` makes them.

A kind of device is a :class:`Kind`. The CPU's is built in, CUDA's is made the first
time a CUDA device is asked for (importing CuPy then), and the tests register a strict
NumPy-backed kind that, like CuPy, refuses to turn into a NumPy array on its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import numpy as np


class DeviceError(RuntimeError):
    """A device that cannot be used here: CUDA without CuPy or without a GPU, an index past
    the last GPU. Its message is one line that says what to install or choose."""


@dataclass(frozen=True)
class Kind:
    """A kind of device: its array module and how arrays reach it and come back.

    ``upload(host_array, index)`` copies a NumPy array to device ``index``;
    ``download(array)`` copies one back; ``index_of(array)`` says which device holds it.
    ``kernels`` makes a fused elementwise kernel from CUDA source (None: compose ufuncs);
    ``random(shape, dtype)`` draws uniform [0, 1) values on the device and ``seed(n)``
    seeds that generator (None: values are drawn on the host and uploaded).
    """

    name: str
    xp: ModuleType
    array_type: type
    upload: Callable
    download: Callable
    index_of: Callable
    count: Callable[[], int]
    select: Callable = lambda index: contextlib.nullcontext()
    synchronize: Callable[[], None] = lambda: None
    kernels: Callable | None = None
    random: Callable | None = None
    seed: Callable | None = None
    describe: Callable[[int], str] = lambda index: ""


def _host_index(array) -> None:
    return None


CPU = Kind("cpu", np, np.ndarray, lambda a, i: a, lambda a: a, _host_index, lambda: 1)
_kinds: dict[str, Kind] = {"cpu": CPU}
# The array module by array type: the hot path's one dict lookup.
# Python numbers and lists are host data too: looked up directly, they cost no search.
_HOST_TYPES = (np.ndarray, np.float32, np.float64, np.float16, np.int64, np.int32, np.bool_)
_HOST_TYPES += (float, int, bool, list, tuple)
_xp_by_type: dict[type, ModuleType] = dict.fromkeys(_HOST_TYPES, np)
_kind_by_type: dict[type, Kind] = dict.fromkeys(_HOST_TYPES, CPU)


def register(kind: Kind) -> None:
    """Make a kind of device known (the tests' strict device; CUDA registers itself)."""
    _kinds[kind.name] = kind
    _xp_by_type[kind.array_type] = kind.xp
    _kind_by_type[kind.array_type] = kind
    if _seed and kind.seed is not None:
        kind.seed(_seed[0])


def kinds() -> list[str]:
    """The names of the kinds of device: 'cpu', 'cuda' and any registered (without
    importing CuPy)."""
    return list(dict.fromkeys(["cpu", "cuda", *_kinds]))


def unregister(name: str) -> None:
    """Forget a kind of device registered with :func:`register`."""
    kind = _kinds.pop(name)
    _xp_by_type.pop(kind.array_type, None)
    _kind_by_type.pop(kind.array_type, None)


# -- device names ------------------------------------------------------------------------
@dataclass(frozen=True)
class Device:
    """Where a tensor lives: ``type`` ('cpu', 'cuda', ...) and ``index`` (None on the CPU).

    Compares equal to its name: ``t.device == 'cpu'``, ``t.device == 'cuda:0'``.
    """

    type: str
    index: int | None = None

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device({str(self)!r})"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            return str(self) == other or (other == self.type and self.index in (None, 0))
        if isinstance(other, Device):
            return (self.type, self.index) == (other.type, other.index)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    @property
    def kind(self) -> Kind:
        return _kinds[self.type]

    @property
    def xp(self) -> ModuleType:
        return _kinds[self.type].xp


CPU_DEVICE = Device("cpu")


def device(name) -> Device:
    """The :class:`Device` named ``name`` ('cpu', 'cuda', 'cuda:1', a Device, a torch.device).

    A CUDA device without CuPy or without a GPU is a DeviceError (a RuntimeError) that
    names the extra to install; an index past the last GPU is one that says how many
    there are.
    """
    if isinstance(name, Device):
        return name
    text = str(name)  # torch.device prints as 'cuda:0'
    kind_name, _, index = text.partition(":")
    if kind_name == "cpu" and not index:
        return CPU_DEVICE
    if kind_name == "cuda" and "cuda" not in _kinds:
        _load_cuda()
    kind = _kinds.get(kind_name)
    if kind is None or (index and not index.isdigit()):
        others = [repr(k) for k in _kinds if k not in ("cpu", "cuda")]
        known = ", ".join(["'cpu'", "'cuda'", "'cuda:N'", *others])
        raise ValueError(f"unknown device {text!r}; expected one of {known}")
    count = kind.count()
    number = int(index) if index else 0
    if number >= count:
        raise DeviceError(
            f"device {text!r}: there {'is' if count == 1 else 'are'} {count} {kind_name} "
            f"device{'' if count == 1 else 's'} (0 to {count - 1})"
        )
    return Device(kind_name, number)


# -- arrays ------------------------------------------------------------------------------
def xp_of(array) -> ModuleType:
    """The array module that computes on ``array``: NumPy, CuPy, or a registered one.

    Python numbers and NumPy scalars belong to NumPy.
    """
    xp = _xp_by_type.get(type(array))
    return xp if xp is not None else _kind_of(array).xp


def _kind_of(array) -> Kind:
    kind = _kind_by_type.get(type(array))
    if kind is not None:
        return kind
    for cls in type(array).__mro__:  # a subclass of a known array type
        if cls in _kind_by_type:
            return _kind_by_type[cls]
    if type(array).__module__.split(".")[0] == "cupy":  # made by the user, not by descend
        _load_cuda()
        return _kind_of(array)
    return CPU


def device_of(array) -> Device:
    """The device that holds ``array`` (the CPU for NumPy arrays and Python numbers)."""
    if type(array) is np.ndarray:
        return CPU_DEVICE
    kind = _kind_of(array)
    return CPU_DEVICE if kind is CPU else Device(kind.name, kind.index_of(array))


def is_array(value) -> bool:
    """True for a NumPy array or an array of a registered device (not for scalars)."""
    return isinstance(value, np.ndarray) or _kind_of(value) is not CPU


def is_host(array) -> bool:
    """True for a NumPy array (or scalar): data the CPU computes on."""
    return _kind_of(array) is CPU


def to_device(array, where) -> object:
    """``array`` on device ``where`` (the same array when it is there already)."""
    target = device(where)
    if device_of(array) == target:
        return array
    host = to_host(array)
    if target.type == "cpu":
        return host
    kind = target.kind
    with kind.select(target.index):
        return kind.upload(host, target.index)


def to_host(array) -> np.ndarray:
    """A NumPy array with ``array``'s values (itself when it is one): what files hold."""
    if type(array) is np.ndarray:
        return array
    return _kind_of(array).download(array)


def asarray(value, like, dtype=None):
    """``value`` (numbers, a NumPy array) as an array on the device of ``like``."""
    if type(like) is np.ndarray:
        return np.asarray(value, dtype=dtype)
    kind = _kind_of(like)
    if not is_host(value):
        return kind.xp.asarray(value, dtype=dtype)
    with kind.select(kind.index_of(like)):
        return kind.upload(np.asarray(value, dtype=dtype), kind.index_of(like))


def uniform(like, shape: tuple, dtype, generator: np.random.Generator) -> object:
    """Uniform [0, 1) values on the device of ``like``: from ``generator`` on the host, or
    from the device's own generator where it has one (dropout masks: no upload per step)."""
    kind = _kind_of(like)
    if kind is CPU or kind.random is None:
        return asarray(generator.random(shape, dtype=dtype), like)
    return kind.random(shape, dtype)


_seed: list = []  # the last seed, for a device kind registered after it was set


def seed(number: int) -> None:
    """Seed the generators of the devices that have their own (``ds.manual_seed``)."""
    _seed[:] = [number]
    for kind in _kinds.values():
        if kind.seed is not None:
            kind.seed(number)


def errstate(array, **settings):
    """``np.errstate(**settings)`` for host arrays; on a device, where it has no effect,
    nothing."""
    if is_host(array):
        return np.errstate(**settings)
    return contextlib.nullcontext()


def writeable(array) -> bool:
    """Whether ``array`` may be written in place (device arrays have no read-only flag)."""
    flags = getattr(array, "flags", None)
    return bool(getattr(flags, "writeable", True))


def synchronize(array) -> None:
    """Wait until the device that holds ``array`` has finished its queued work."""
    _kind_of(array).synchronize()


def kernel(array, name: str, params: str, outputs: str, body: str):
    """The fused elementwise kernel ``name`` on the device of ``array``, or None.

    None on the CPU and on devices without kernels: the caller composes ufuncs instead.
    Kernels are made once per source and kept (CuPy compiles on first use and caches).
    """
    kind = _kind_of(array)
    if kind.kernels is None:
        return None
    return kind.kernels(name, params, outputs, body)


# -- CUDA through CuPy ---------------------------------------------------------------------
def cuda_available() -> bool:
    """CuPy imports and sees at least one GPU."""
    return cuda_device_count() > 0


def cuda_device_count() -> int:
    """How many GPUs CuPy sees (0 without CuPy, without a driver, or without a GPU)."""
    try:
        return _load_cuda(quiet=True)
    except Exception:  # noqa: BLE001 - any failure to reach a GPU means none
        return 0


def _load_cuda(quiet: bool = False) -> int:
    """Import CuPy and register the CUDA kind; return the number of GPUs.

    Without CuPy, or without a GPU, a DeviceError that names the extra (``quiet``: 0).
    """
    if "cuda" in _kinds:
        return _kinds["cuda"].count()
    try:
        import cupy
    except ImportError:
        if quiet:
            return 0
        raise DeviceError(
            f"device 'cuda' needs CuPy, which is not installed: {_cuda_extras()}"
        ) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # noqa: BLE001 - CUDARuntimeError, a missing driver, ...
        count, reason = 0, f" ({str(error).splitlines()[0]})"
    else:
        reason = ""
    if count == 0:
        if quiet:
            return 0
        raise DeviceError(
            f"device 'cuda': CuPy found no GPU{reason}; it needs an NVIDIA GPU and CuPy for "
            f"its CUDA version: {_cuda_extras()}"
        )
    kernels: dict = {}

    def make_kernel(name, params, outputs, body):
        key = (name, params, outputs, body)
        if key not in kernels:
            kernels[key] = cupy.ElementwiseKernel(params, outputs, body, name)
        return kernels[key]

    register(
        Kind(
            "cuda",
            cupy,
            cupy.ndarray,
            upload=lambda a, i: cupy.asarray(a),
            download=cupy.asnumpy,
            index_of=lambda a: a.device.id,
            count=lambda: count,
            select=cupy.cuda.Device,
            synchronize=lambda: cupy.cuda.get_current_stream().synchronize(),
            kernels=make_kernel,
            random=lambda shape, dtype: cupy.random.random_sample(shape, dtype),
            seed=cupy.random.seed,
            describe=lambda i: _name(cupy.cuda.runtime.getDeviceProperties(i)["name"]),
        )
    )
    return count


def _name(raw) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def choose(name: str, rank: int = 0) -> Device:
    """The device a run asks for by name: 'cpu', 'cuda', 'cuda:N' or 'auto'.

    'auto' is the GPU where CuPy sees one, else the CPU. Under MPI 'cuda' is GPU
    ``rank % device_count()``: one GPU per process on each machine. The chosen GPU
    becomes CuPy's current device.
    """
    if name == "auto":
        name = "cuda" if cuda_available() else "cpu"
    if name == "cuda":
        name = f"cuda:{rank % max(_load_cuda(), 1)}"
    target = device(name)
    if target.type == "cuda":
        target.kind.select(target.index).use()
    return target


def describe(where) -> str:
    """``'cuda:0 (NVIDIA H200)'``, ``'cpu'``: a device and, for a GPU, its name."""
    target = device(where)
    name = target.kind.describe(target.index) if target.index is not None else ""
    return f"{target} ({name})" if name else str(target)


def _cuda_extras() -> str:
    from descend.extras import install_command

    return f"{install_command('cuda12')} (CUDA 12) or {install_command('cuda13')} (CUDA 13)"
