"""A strict stand-in for a GPU, so that CI (which has none) exercises the device paths.

``StrictArray`` holds a NumPy array and behaves the way CuPy's arrays do where descend
could go wrong on a GPU:

- it never turns into a NumPy array on its own: ``np.asarray(a)``, ``np.exp(a)``,
  ``np.concatenate([a])`` and ``host_array + a`` raise TypeError (CuPy's implicit-
  conversion guard), so a stray ``np.`` call on device data fails here;
- its module (``xp``) refuses NumPy arrays as operands, 0-d ones included: host data
  must be uploaded first, and numbers stay Python numbers;
- reductions give 0-d device arrays, never NumPy scalars;
- it has no ``flags.writeable`` (only the contiguity flags), and its module has no
  ``errstate``;
- ``.item()``, ``.tolist()``, ``float()``, ``bool()`` and ``.get()`` count as waits for
  the device in ``SYNCS``, so a test can assert that a step waits no more than it must;
- it compiles fused kernels as CuPy does, from the same source: the statements of an
  ``ElementwiseKernel`` body (``T g = sign * grad;``) run as NumPy on whole arrays, so
  the arguments, their order and the arithmetic of every optimizer's kernel are checked
  in CI, where CUDA cannot compile them.

``register()`` makes it the device ``'strict'`` (index 0) of ``descend.backend``.
"""

from __future__ import annotations

import functools
import operator
import re
from types import SimpleNamespace

import numpy as np

from descend import backend

SYNCS = {"count": 0}


def _sync() -> None:
    SYNCS["count"] += 1


def _unwrap(value, upload: bool = False):
    """The NumPy array inside ``value`` (recursively); host arrays are refused."""
    if isinstance(value, StrictArray):
        return value.a
    if isinstance(value, np.ndarray) and not upload:
        raise TypeError(
            f"a NumPy array (shape {value.shape}) as an operand of the strict device: upload "
            f"it first (CuPy refuses host arrays, 0-d ones included)"
        )
    if isinstance(value, list | tuple):
        return type(value)(_unwrap(v, upload) for v in value)
    return value


def _wrap(value):
    if isinstance(value, np.ndarray | np.generic) and not isinstance(value, np.dtype):
        return StrictArray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _call(fn, args, kwargs, upload: bool = False):
    args = _unwrap(args, upload)
    kwargs = {k: _unwrap(v, upload) for k, v in kwargs.items()}
    return _wrap(fn(*args, **kwargs))


class StrictArray:
    """A device array that refuses to become a NumPy array implicitly (see the module)."""

    __slots__ = ("a", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, array: np.ndarray):
        self.a = array

    # -- the guards ----------------------------------------------------------------------
    def __array__(self, *args, **kwargs):
        raise TypeError(
            "implicit conversion of a strict device array to a NumPy array; use .get() "
            "(or descend.backend.to_host) for an explicit copy"
        )

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise TypeError(f"numpy.{ufunc.__name__} called on a strict device array: use xp")

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"numpy.{func.__name__} called on a strict device array: use xp")

    # -- waits for the device ------------------------------------------------------------
    def get(self) -> np.ndarray:
        _sync()
        return self.a.copy()

    def item(self):
        _sync()
        return self.a.item()

    def tolist(self):
        _sync()
        return self.a.tolist()

    def __float__(self):
        _sync()
        return float(self.a)

    def __int__(self):
        _sync()
        return int(self.a)

    def __index__(self):
        _sync()
        return operator.index(self.a)

    def __bool__(self):
        _sync()
        return bool(self.a)

    # -- attributes ----------------------------------------------------------------------
    shape = property(lambda self: self.a.shape)
    dtype = property(lambda self: self.a.dtype)
    ndim = property(lambda self: self.a.ndim)
    size = property(lambda self: self.a.size)
    nbytes = property(lambda self: self.a.nbytes)
    itemsize = property(lambda self: self.a.itemsize)
    strides = property(lambda self: self.a.strides)
    T = property(lambda self: StrictArray(self.a.T))
    base = property(lambda self: None if self.a.base is None else StrictArray(self.a.base))
    device = property(lambda self: SimpleNamespace(id=0))

    @property
    def flags(self):  # CuPy's flags: contiguity and ownership, no writeable
        f = self.a.flags
        return SimpleNamespace(
            c_contiguous=f.c_contiguous, f_contiguous=f.f_contiguous, owndata=f.owndata
        )

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        method = getattr(self.a, name)
        return lambda *args, **kwargs: _call(method, args, kwargs)

    def __len__(self):
        return len(self.a)

    def __iter__(self):
        return (_wrap(row) for row in self.a)

    def __repr__(self):
        return f"StrictArray({self.a!r})"

    def __getitem__(self, key):
        return _wrap(self.a[_unwrap(key)])

    def __setitem__(self, key, value):
        self.a[_unwrap(key)] = _unwrap(value)

    __hash__ = None


def _binary(op, reflected: bool = False):
    if reflected:
        return lambda self, other: _wrap(op(_unwrap(other), self.a))
    return lambda self, other: _wrap(op(self.a, _unwrap(other)))


def _inplace(op):
    def method(self, other):
        op(self.a, _unwrap(other))  # numpy's in-place operator writes self.a itself
        return self

    return method


for _name, _op, _iop in [
    ("add", operator.add, operator.iadd),
    ("sub", operator.sub, operator.isub),
    ("mul", operator.mul, operator.imul),
    ("truediv", operator.truediv, operator.itruediv),
    ("floordiv", operator.floordiv, operator.ifloordiv),
    ("mod", operator.mod, operator.imod),
    ("pow", operator.pow, operator.ipow),
    ("matmul", operator.matmul, operator.imatmul),
    ("and", operator.and_, operator.iand),
    ("or", operator.or_, operator.ior),
    ("xor", operator.xor, operator.ixor),
]:
    setattr(StrictArray, f"__{_name}__", _binary(_op))
    setattr(StrictArray, f"__r{_name}__", _binary(_op, reflected=True))
    setattr(StrictArray, f"__i{_name}__", _inplace(_iop))
for _name, _op in [
    ("lt", operator.lt),
    ("le", operator.le),
    ("gt", operator.gt),
    ("ge", operator.ge),
    ("eq", operator.eq),
    ("ne", operator.ne),
]:
    setattr(StrictArray, f"__{_name}__", _binary(_op))
for _name, _op in [
    ("neg", operator.neg),
    ("pos", operator.pos),
    ("abs", operator.abs),
    ("invert", operator.invert),
]:
    setattr(StrictArray, f"__{_name}__", lambda self, _op=_op: _wrap(_op(self.a)))


class _Ufunc:
    """A NumPy ufunc on strict arrays, with ``.at`` and ``.reduce``."""

    def __init__(self, ufunc):
        self._ufunc = ufunc

    def __call__(self, *args, **kwargs):
        return _call(self._ufunc, args, kwargs)

    def at(self, target, indices, values=None):
        args = (target, indices) if values is None else (target, indices, values)
        _call(self._ufunc.at, args, {})

    def reduce(self, *args, **kwargs):
        return _call(self._ufunc.reduce, args, kwargs)


# Functions that take host data by design: they upload it (cupy.asarray, cupy.array).
_UPLOADS = {"asarray", "array", "ascontiguousarray"}
# What CuPy lacks, so that code relying on it fails here too.
_MISSING = {"errstate", "seterr", "asfarray", "copyto_where"}


class _Module:
    """The strict device's array module: NumPy's names, on strict arrays only."""

    ndarray = StrictArray

    def __getattr__(self, name):
        if name in _MISSING:
            raise AttributeError(f"the strict device's module (as CuPy) has no {name!r}")
        attr = getattr(np, name)
        if isinstance(attr, np.ufunc):
            return _Ufunc(attr)
        if isinstance(attr, type) or not callable(attr):
            return attr  # dtypes, constants
        upload = name in _UPLOADS
        return lambda *args, **kwargs: _call(attr, args, kwargs, upload)

    random = SimpleNamespace()  # no device generator: randomness is drawn on the host
    linalg = SimpleNamespace(norm=lambda *args, **kwargs: _call(np.linalg.norm, args, kwargs))

    class lib:  # noqa: N801 - numpy's spelling
        class stride_tricks:  # noqa: N801
            @staticmethod
            def as_strided(x, shape=None, strides=None):  # CuPy: no writeable=
                return StrictArray(np.lib.stride_tricks.as_strided(x.a, shape, strides))


xp = _Module()


def _upload(host: np.ndarray, index) -> StrictArray:
    return StrictArray(np.array(host, copy=True))


def _download(array: StrictArray) -> np.ndarray:
    _sync()
    return array.a.copy()


@functools.cache
def _kernel(name: str, inputs: str, outputs: str, body: str):
    """An ``ElementwiseKernel`` emulated with NumPy: each statement runs on whole arrays."""
    in_names = [part.split()[-1] for part in inputs.split(",")]
    out_names = [part.split()[-1] for part in outputs.split(",")]
    statements = [re.sub(r"^T\s+", "", s.strip()) for s in body.split(";") if s.strip()]
    code = compile("\n".join(statements), f"<kernel {name}>", "exec")

    def run(*args):
        if len(args) != len(in_names) + len(out_names):
            raise TypeError(f"kernel {name} takes {len(in_names) + len(out_names)} arguments")
        arrays = dict(zip(in_names + out_names, args))
        names = {"sqrt": np.sqrt, "max": np.maximum}
        for key, value in arrays.items():
            names[key] = _unwrap(value)
        shape = _unwrap(args[len(in_names)]).shape
        for key in out_names:
            if not isinstance(arrays[key], StrictArray) or arrays[key].shape != shape:
                raise TypeError(f"kernel {name}: output {key} must be a device array of {shape}")
        exec(code, names)  # noqa: S102 - the kernel sources are descend's own
        for key in out_names:
            arrays[key].a[...] = names[key]

    return run


KIND = backend.Kind(
    "strict",
    xp,
    StrictArray,
    upload=_upload,
    download=_download,
    index_of=lambda a: 0,
    count=lambda: 1,
    kernels=_kernel,
)


def register() -> None:
    backend.register(KIND)
