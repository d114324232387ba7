"""The Tensor: an ndarray, its gradient, and the op that made it."""

from __future__ import annotations

import numpy as np

from descend import backend
from descend.tensor import autograd

_default_dtype = np.dtype(np.float32)


def set_default_dtype(dtype) -> None:
    """Set the floating dtype of new tensors made from Python numbers (float32 at start)."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"default dtype must be float32 or float64, got {dtype}")
    _default_dtype = dtype


def get_default_dtype() -> np.dtype:
    """The floating dtype of new tensors made from Python numbers."""
    return _default_dtype


def as_array(data, dtype=None, copy: bool | None = True, device=None) -> np.ndarray:
    """A numeric array from ``data``, or a TypeError that says what came instead.

    Python numbers and lists of floats take the default dtype; arrays keep theirs, and a
    device array stays on its device unless ``device`` names another.
    ``copy=None`` returns an array of the right dtype as it is, instead of a copy.
    """
    if isinstance(data, Tensor):
        data = data.data
    if type(data) is not np.ndarray and not backend.is_host(data):
        array = data if dtype is None else data.astype(dtype, copy=False)
        array = array.copy() if copy and array is data else array
        return array if device is None else backend.to_device(array, device)
    try:
        array = np.array(data, dtype=dtype, copy=copy)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"expected numbers or a rectangular nested list of numbers, got "
            f"{type(data).__name__} ({error})"
        ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"expected numbers, got {type(data).__name__} holding dtype {array.dtype}"
            + (f": {data!r}" if isinstance(data, str) else "")
        )
    if dtype is None and array.dtype.kind == "f" and not isinstance(data, np.ndarray | np.generic):
        array = array.astype(_default_dtype, copy=False)
    if device is not None:
        return backend.to_device(array, device)
    return array


class Tensor:
    """An n-dimensional array that remembers how it was computed.

    Parameters
    ----------
    data : array_like
        Numbers; a Python float or list of floats takes the default dtype
        (float32 unless changed by ``set_default_dtype``), an ndarray keeps its own.
    requires_grad : bool
        Record operations on this tensor so ``backward()`` can fill ``.grad``.
    dtype : numpy dtype, optional
    device : str, optional
        ``'cpu'`` (default for host data), ``'cuda'``, ``'cuda:1'``: where the values
        live and every op on them runs. Device arrays (CuPy) stay where they are.

    Examples
    --------
    >>> w = ds.tensor([1.0, 2.0], requires_grad=True)
    >>> (w * w).sum().backward()
    >>> w.grad
    array([2., 4.], dtype=float32)
    """

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward", "__weakref__")
    # Let ``ndarray <op> Tensor`` fall through to the Tensor's reflected operator.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad: bool = False, dtype=None, device=None):
        self.data = as_array(data, dtype, device=device)
        self.grad = None
        self.requires_grad = False
        self._parents = ()
        self._backward = None
        if requires_grad:
            self.requires_grad_()

    # -- properties ---------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def device(self) -> backend.Device:
        """Where the values live: ``device('cpu')``, ``device('cuda:0')``, ..."""
        return backend.device_of(self.data)

    @property
    def T(self) -> Tensor:
        return shape_ops.transpose(self)

    @property
    def is_leaf(self) -> bool:
        return self._backward is None

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(backend.to_host(self.data), separator=", ", prefix="tensor(")
        extra = "" if self.dtype == _default_dtype else f", dtype={self.dtype}"
        if type(self.data) is not np.ndarray and not backend.is_host(self.data):
            extra += f", device='{self.device}'"
        if self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __array__(self, dtype=None, copy=None):
        data = self.numpy()
        return data if dtype is None else data.astype(dtype)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    __hash__ = object.__hash__

    # -- autograd -----------------------------------------------------------
    def backward(self, grad=None, retain_graph: bool = False) -> None:
        """Fill ``.grad`` of every leaf this tensor depends on (accumulating, as PyTorch).

        A non-scalar tensor needs ``grad``, the gradient of some scalar with respect
        to it. The graph is freed afterwards unless ``retain_graph`` is True.
        """
        autograd.backward(self, grad, retain_graph)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only floating tensors can require grad, this one is {self.dtype}")
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, outside the graph."""
        return Tensor._wrap(self.data)

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (the same memory); a device tensor needs ``.cpu()``."""
        if type(self.data) is not np.ndarray and not backend.is_host(self.data):
            raise TypeError(
                f"can't convert a {self.device} tensor to NumPy: call .cpu() first to copy "
                f"it to host memory"
            )
        return self.data

    def item(self) -> float | int:
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    @staticmethod
    def _wrap(data: np.ndarray) -> Tensor:
        """A constant tensor around ``data`` (no checks, no copy)."""
        out = Tensor.__new__(Tensor)
        out.data = data
        out.grad = None
        out.requires_grad = False
        out._parents = ()
        out._backward = None
        return out

    # -- operators: each one line, calling its op ---------------------------
    def __add__(self, other):
        return arithmetic.add(self, other)

    def __radd__(self, other):
        return arithmetic.add(other, self)

    def __sub__(self, other):
        return arithmetic.sub(self, other)

    def __rsub__(self, other):
        return arithmetic.sub(other, self)

    def __mul__(self, other):
        return arithmetic.mul(self, other)

    def __rmul__(self, other):
        return arithmetic.mul(other, self)

    def __truediv__(self, other):
        return arithmetic.div(self, other)

    def __rtruediv__(self, other):
        return arithmetic.div(other, self)

    def __pow__(self, other):
        return arithmetic.pow(self, other)

    def __rpow__(self, other):
        return arithmetic.pow(other, self)

    def __matmul__(self, other):
        return arithmetic.matmul(self, other)

    def __rmatmul__(self, other):
        return arithmetic.matmul(other, self)

    def __neg__(self):
        return arithmetic.neg(self)

    # In-place operators change ``.data`` itself, as PyTorch's do (see ``inplace.apply``).
    def __iadd__(self, other):
        return inplace.apply(self, other, "add", "+=")

    def __isub__(self, other):
        return inplace.apply(self, other, "subtract", "-=")

    def __imul__(self, other):
        return inplace.apply(self, other, "multiply", "*=")

    def __itruediv__(self, other):
        return inplace.apply(self, other, "true_divide", "/=")

    def __ipow__(self, other):
        return inplace.apply(self, other, "power", "**=")

    def __getitem__(self, key):
        return shape_ops.getitem(self, key)

    # Comparisons give boolean tensors outside the graph (masks, counts).
    def __lt__(self, other):
        return Tensor._wrap(self.data < _raw(other))

    def __le__(self, other):
        return Tensor._wrap(self.data <= _raw(other))

    def __gt__(self, other):
        return Tensor._wrap(self.data > _raw(other))

    def __ge__(self, other):
        return Tensor._wrap(self.data >= _raw(other))

    def __eq__(self, other):
        return Tensor._wrap(self.data == _raw(other))

    def __ne__(self, other):
        return Tensor._wrap(self.data != _raw(other))

    # -- methods ------------------------------------------------------------
    def exp(self):
        return elementwise.exp(self)

    def log(self):
        return elementwise.log(self)

    def sqrt(self):
        return elementwise.sqrt(self)

    def abs(self):
        return elementwise.abs(self)

    def tanh(self):
        return elementwise.tanh(self)

    def sigmoid(self):
        return elementwise.sigmoid(self)

    def relu(self):
        return elementwise.relu(self)

    def clip(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        return elementwise.clip(self, min, max)

    def to(self, *args, dtype=None, device=None):
        """The tensor in another dtype and/or on another device, as PyTorch's ``.to``:
        ``.to(np.float64)``, ``.to('cuda')``, ``.to('cpu', np.float32)``. The gradient
        flows back to the original."""
        return elementwise.to(self, *args, dtype=dtype, device=device)

    def cpu(self) -> Tensor:
        """The tensor in host memory (itself when it is there)."""
        return elementwise.to(self, device="cpu")

    def cuda(self, device: int | str | None = None) -> Tensor:
        """The tensor on a GPU: the current one, or ``device`` (an index or 'cuda:N')."""
        where = "cuda" if device is None else device
        return elementwise.to(self, device=f"cuda:{where}" if isinstance(where, int) else where)

    # Reductions take NumPy's ``axis``/``keepdims`` or PyTorch's ``dim``/``keepdim``.
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        if dim is None and keepdim is None:  # the hot path passes no keywords
            return reductions.sum(self, axis, keepdims)
        return reductions.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        if dim is None and keepdim is None:
            return reductions.mean(self, axis, keepdims)
        return reductions.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Largest values; with ``dim``, ``(values, indices)`` as ``torch.max(x, dim)``."""
        return reductions.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Smallest values; with ``dim``, ``(values, indices)`` as ``torch.min(x, dim)``."""
        return reductions.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def var(self, axis=None, keepdims=False, correction=1, *, dim=None, keepdim=None):
        return reductions.var(self, axis, keepdims, correction, dim=dim, keepdim=keepdim)

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return reductions.argmax(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return reductions.argmin(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def softmax(self, dim=-1, *, axis=None):
        return softmax.softmax(self, dim, axis=axis)

    def log_softmax(self, dim=-1, *, axis=None):
        return softmax.log_softmax(self, dim, axis=axis)

    def reshape(self, *shape):
        return shape_ops.reshape(self, *shape)

    def view(self, *shape):
        """``reshape`` under PyTorch's name (a view of the same memory when NumPy can)."""
        return shape_ops.reshape(self, *shape)

    def transpose(self, *axes):
        return shape_ops.transpose(self, *axes)

    def flatten(self, start_dim=0, end_dim=-1):
        return shape_ops.flatten(self, start_dim, end_dim)


def _raw(value):
    return value.data if isinstance(value, Tensor) else value


def make(data: np.ndarray, parents: tuple, backward, op: str = "", attrs: tuple = ()) -> Tensor:
    """The output tensor of an op; it joins the graph if any parent requires grad.

    ``backward(g)`` must return one gradient (or None) per parent, in order. ``op``
    names the op and ``attrs`` holds its settings (axis, stride, ...): they are read
    only while a tracer records the ops a model runs (``autograd.tracing``).
    """
    out = Tensor.__new__(Tensor)
    out.data = data
    out.grad = None
    out._parents = ()
    out._backward = None
    out.requires_grad = False
    if autograd._grad_enabled:
        for parent in parents:
            if parent.requires_grad:
                out.requires_grad = True
                out._parents = parents
                out._backward = backward
                break
    if autograd.tracer is not None:
        autograd.tracer.record(op, attrs, parents, out)
    return out


# The ops import Tensor from this module, so they are imported after it exists.
from descend.tensor import (  # noqa: E402
    arithmetic,
    elementwise,
    inplace,
    reductions,
    shape_ops,
    softmax,
)
