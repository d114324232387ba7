"""Each op of the engine as ONNX nodes (operator sets 13 and later).

``emit(graph, step, inputs)`` writes the nodes of one traced step and returns the name
of its result. Every function below takes the graph, the step (its settings and the
shapes it saw) and the names of the step's inputs, in the engine's order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from descend.onnx.graph import ExportError, Graph, check_constant, elem_type, int64, where
from descend.onnx.trace import Step

_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min

# Ops that are one ONNX node with the same inputs and no settings.
_SAME = {
    "add": "Add",
    "sub": "Sub",
    "mul": "Mul",
    "div": "Div",
    "neg": "Neg",
    "exp": "Exp",
    "log": "Log",
    "sqrt": "Sqrt",
    "abs": "Abs",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "relu": "Relu",
}

# Ops that exist only for training; the message says what to do instead.
_TRAINING_ONLY = {
    "dropout": "dropout in training mode: call it with training=False (Dropout layers "
    "are the identity in eval mode, which export sets)",
}


def emit(g: Graph, step: Step, inputs: list) -> str:
    """The nodes of ``step``; returns the name of its output."""
    if step.op == "matmul":
        return _matmul(g, step, *inputs)
    if step.op in _SAME:
        return g.node(_SAME[step.op], inputs)
    function = _EMITTERS.get(step.op)
    if function is None:
        name = f"op '{step.op}'" if step.op else "an op that does not name itself"
        reason = _TRAINING_ONLY.get(step.op, "it has no ONNX mapping")
        raise ExportError(f"cannot export {name} in {where(step)}: {reason}")
    return function(g, step, *inputs)


def _matmul(g: Graph, step: Step, a, b) -> str:
    out = g.node("MatMul", [a, b])
    # The rows come from the first operand (unless the second brings batch axes).
    if a not in g.batched and step.inputs[1].ndim <= 2:
        g.batched.discard(out)
    return out


def _pow(g: Graph, step: Step, x, exponent=None) -> str:
    if exponent is None:  # a Python number as exponent
        exponent = g.constant(step.attrs[0], step.inputs[0].dtype)
    return g.node("Pow", [x, exponent])


def _clip(g: Graph, step: Step, x) -> str:
    dtype = step.inputs[0].dtype
    bounds = [g.constant(b, dtype) if b is not None else "" for b in step.attrs]
    return g.node("Clip", [x, *bounds])


def _to(g: Graph, step: Step, x) -> str:
    return g.node("Cast", [x], to=elem_type(step.output.dtype))


def _leaky_relu(g: Graph, step: Step, x) -> str:
    return g.node("LeakyRelu", [x], alpha=float(step.attrs[0]))


def _softmax(g: Graph, step: Step, x) -> str:
    return g.node("Softmax", [x], axis=int(step.attrs[0]))


def _log_softmax(g: Graph, step: Step, x) -> str:
    return g.node("LogSoftmax", [x], axis=int(step.attrs[0]))


# -- shapes ---------------------------------------------------------------------------
def _reshape(g: Graph, step: Step, x) -> str:
    """The target shape, with the batch axis left dynamic: copied (0) when it stays the
    first axis, -1 when it is merged into the first axis."""
    source, target = step.inputs[0].shape, list(step.output.shape)
    if x in g.batched and source:
        batch = source[0]
        if target and target[0] == batch:
            target[0] = 0
        elif target and target[0] % batch == 0:
            target[0] = -1
        else:
            raise ExportError(
                f"cannot export reshape {source} -> {tuple(target)} in {where(step)}: it "
                f"moves the batch axis, which must stay first (or merge into the first axis)"
            )
    return g.node("Reshape", [x, g.initializer(int64(target), "shape")])


def _transpose(g: Graph, step: Step, x) -> str:
    ndim = step.inputs[0].ndim
    perm = [int(a) % ndim for a in step.attrs[0]]
    out = g.node("Transpose", [x], perm=perm)
    if perm[:1] != [0]:
        g.batched.discard(out)
    return out


def _concat(g: Graph, step: Step, *xs) -> str:
    return g.node("Concat", list(xs), axis=int(step.attrs[0]))


def _stack(g: Graph, step: Step, *xs) -> str:
    axis = int(step.attrs[0]) % step.output.ndim
    axes = g.initializer(int64([axis]), "axes")
    return g.node("Concat", [g.node("Unsqueeze", [x, axes]) for x in xs], axis=axis)


def _where(g: Graph, step: Step, a, b) -> str:
    cond = np.asarray(step.attrs[0], dtype=bool)
    check_constant(cond, g.batch, step)
    return g.node("Where", [g.initializer(cond, "condition"), a, b])


def _getitem(g: Graph, step: Step, x) -> str:
    """Basic indexing (ints, slices, None, ...) as Slice, Squeeze and Unsqueeze; one
    integer array as Gather."""
    parts = _index_parts(step, on_batch=x in g.batched)
    return _index_nodes(g, x, _index_plan(parts, step))


@dataclass
class _IndexPlan:
    """What a key does, in node order: one Slice over ``axes``, Squeeze, Gather, Unsqueeze."""

    starts: list = field(default_factory=list)
    ends: list = field(default_factory=list)
    axes: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    squeeze: list = field(default_factory=list)  # input axes an integer removes
    unsqueeze: list = field(default_factory=list)  # output axes None inserts
    gather: tuple | None = None  # (axis, integer indices)


def _index_parts(step: Step, on_batch: bool) -> list:
    """The key as a list of None, ints, slices and integer arrays: the ellipsis expanded
    into full slices, a boolean mask into the indices it selects."""
    key = step.attrs[0]
    parts = list(key) if isinstance(key, tuple) else [key]
    ellipses = [i for i, p in enumerate(parts) if p is Ellipsis]  # `is`: arrays compare
    if len(ellipses) > 1:
        raise ExportError(f"cannot export getitem {_show(key)} in {where(step)}: two ellipses")
    if ellipses:
        at = ellipses[0]
        used = sum(p is not None for p in parts) - 1
        parts[at : at + 1] = [slice(None)] * (step.inputs[0].ndim - used)
    axis = 0
    for i, part in enumerate(parts):
        if part is None:
            continue
        if not isinstance(part, int | np.integer | slice) and np.asarray(part).dtype == bool:
            _check_mask(np.asarray(part), axis == 0 and on_batch, step)
            parts[i] = np.flatnonzero(part)
        axis += 1
    return parts


def _index_plan(parts: list, step: Step) -> _IndexPlan:
    """The Slice settings and the axes to squeeze, gather and unsqueeze for ``parts``."""
    key = step.attrs[0]
    plan = _IndexPlan()
    axis = out_axis = 0
    for part in parts:
        if part is None:
            plan.unsqueeze.append(out_axis)
            out_axis += 1
            continue
        if isinstance(part, int | np.integer):
            stop = int(part) + 1 if int(part) != -1 else _INT64_MAX
            plan.starts.append(int(part))
            plan.ends.append(stop)
            plan.axes.append(axis)
            plan.steps.append(1)
            plan.squeeze.append(axis)
        elif isinstance(part, slice):
            if part != slice(None):
                step_ = 1 if part.step is None else int(part.step)
                default = (0, _INT64_MAX) if step_ > 0 else (_INT64_MAX, _INT64_MIN)
                plan.starts.append(default[0] if part.start is None else int(part.start))
                plan.ends.append(default[1] if part.stop is None else int(part.stop))
                plan.axes.append(axis)
                plan.steps.append(step_)
            out_axis += 1
        else:
            indices = np.asarray(part)
            if plan.gather is not None or indices.dtype.kind not in "iu":
                raise ExportError(
                    f"cannot export getitem {_show(key)} in {where(step)}: only one integer "
                    f"array (or 1-d boolean mask) among slices is supported"
                )
            plan.gather = (axis, indices)
            out_axis += indices.ndim
        axis += 1
    if plan.gather is not None and (plan.squeeze or plan.unsqueeze):
        raise ExportError(
            f"cannot export getitem {_show(key)} in {where(step)}: an index array together with "
            f"integers or None"
        )
    return plan


def _index_nodes(g: Graph, x: str, plan: _IndexPlan) -> str:
    """The nodes of ``plan`` applied to ``x`` (an Identity when it keeps everything)."""
    out = x
    if plan.axes:
        settings = (plan.starts, plan.ends, plan.axes, plan.steps)
        arrays = [g.initializer(int64(v), n) for v, n in zip(settings, _SLICE)]
        out = g.node("Slice", [out, *arrays])
    if plan.squeeze:
        out = g.node("Squeeze", [out, g.initializer(int64(plan.squeeze), "axes")])
    if plan.gather is not None:
        axis, indices = plan.gather
        out = g.node("Gather", [out, g.initializer(int64(indices), "indices")], axis=axis)
    if plan.unsqueeze:
        out = g.node("Unsqueeze", [out, g.initializer(int64(plan.unsqueeze), "axes")])
    if out == x:
        out = g.node("Identity", [x])
    if (
        0 in plan.squeeze
        or (plan.gather is not None and plan.gather[0] == 0)
        or 0 in plan.unsqueeze
    ):
        g.batched.discard(out)
    return out


_SLICE = ("starts", "ends", "axes", "steps")


def _check_mask(mask: np.ndarray, on_batch: bool, step: Step) -> None:
    """A boolean mask is exported as the constant indices it selects: refuse one whose
    output length depends on the values it masks (more than one axis, or the batch)."""
    if mask.ndim != 1 or on_batch:
        raise ExportError(
            f"cannot export getitem with a boolean mask of shape {mask.shape} in "
            f"{where(step)}: boolean-mask indexing has no static-shape ONNX mapping "
            f"(the output's length depends on the mask's values)"
        )


def _show(key) -> str:
    """An index key on one line, arrays by dtype and shape."""
    parts = key if isinstance(key, tuple) else (key,)
    shown = [
        f"<{np.asarray(p).dtype} array of shape {np.shape(p)}>"
        if isinstance(p, np.ndarray)
        else repr(p)
        for p in parts
    ]
    return f"[{', '.join(shown)}]"


# -- reductions -----------------------------------------------------------------------
def _axes(step: Step) -> list | None:
    axis = step.attrs[0]
    if axis is None:
        return None
    return [int(a) for a in (axis if isinstance(axis, tuple | list) else (axis,))]


def _reduce(g: Graph, op_type: str, x: str, axes: list | None, keepdims: bool) -> str:
    """A Reduce* node; its axes are an input from opset 18 (13 for ReduceSum)."""
    keep = int(bool(keepdims))
    if axes is None:
        return g.node(op_type, [x], keepdims=keep)
    if op_type == "ReduceSum" or g.opset >= 18:
        return g.node(op_type, [x, g.initializer(int64(axes), "axes")], keepdims=keep)
    return g.node(op_type, [x], axes=axes, keepdims=keep)


def _reduction(op_type: str):
    def emit_reduction(g: Graph, step: Step, x) -> str:
        out = _reduce(g, op_type, x, _axes(step), step.attrs[1])
        if _axes(step) is None or 0 in [a % step.inputs[0].ndim for a in _axes(step)]:
            g.batched.discard(out)
        return out

    return emit_reduction


def _var(g: Graph, step: Step, x) -> str:
    """Mean squared deviation, times n / (n - correction) with n counted at run time."""
    axes, keepdims, correction = _axes(step), step.attrs[1], step.attrs[2]
    dtype = step.inputs[0].dtype
    centred = g.node("Sub", [x, _reduce(g, "ReduceMean", x, axes, True)])
    out = _reduce(g, "ReduceMean", g.node("Mul", [centred, centred]), axes, keepdims)
    if correction:
        to = elem_type(dtype)
        sizes = [g.node("Cast", [g.node("Size", [v])], to=to) for v in (x, out)]
        count = g.node("Div", sizes)
        less = g.node("Sub", [count, g.constant(correction, dtype)])
        out = g.node("Mul", [out, g.node("Div", [count, less])])
    if axes is None or 0 in [a % step.inputs[0].ndim for a in axes]:
        g.batched.discard(out)
    return out


# -- layers ---------------------------------------------------------------------------
def _linear(g: Graph, step: Step, x, weight, bias=None) -> str:
    if step.inputs[0].ndim == 2:
        return g.node("Gemm", [x, weight] + ([bias] if bias else []), transB=1)
    out = g.node("MatMul", [x, g.node("Transpose", [weight], perm=[1, 0])])
    return g.node("Add", [out, bias]) if bias else out


def _conv(g: Graph, step: Step, x, weight, bias=None) -> str:
    stride, padding = step.attrs
    return g.node(
        "Conv",
        [x, weight] + ([bias] if bias else []),
        kernel_shape=list(step.inputs[1].shape[2:]),
        strides=list(stride),
        pads=list(padding) * 2,
    )


def _window(step: Step) -> dict:
    """Kernel, strides and pads of a pooling step over its own spatial axes."""
    d = step.inputs[0].ndim - 2
    kernel, stride, padding = (list(v[-d:]) for v in step.attrs)
    return {"kernel_shape": kernel, "strides": stride, "pads": padding * 2}


def _max_pool(g: Graph, step: Step, x) -> str:
    return g.node("MaxPool", [x], **_window(step))


def _avg_pool(g: Graph, step: Step, x) -> str:
    # Zero padding counts in the mean, as in descend and PyTorch.
    return g.node("AveragePool", [x], count_include_pad=1, **_window(step))


def _batch_norm(g: Graph, step: Step, x, *params) -> str:
    running_mean, running_var, eps, batch_stats, has_weight = step.attrs
    if batch_stats:
        raise ExportError(
            f"cannot export batch_norm in {where(step)} with batch statistics: ONNX needs "
            f"running statistics (track_running_stats=True and eval mode)"
        )
    dtype, channels = step.inputs[0].dtype, step.inputs[0].shape[1]
    params = list(params)
    weight = params.pop(0) if has_weight else g.constant(np.ones(channels), dtype)
    bias = params.pop(0) if params else g.constant(np.zeros(channels), dtype)
    stats = [
        g.array(s) if s.dtype == dtype else g.constant(s, dtype)
        for s in (running_mean, running_var)
    ]
    return g.node("BatchNormalization", [x, weight, bias, *stats], epsilon=float(eps))


_EMITTERS = {
    "pow": _pow,
    "clip": _clip,
    "to": _to,
    "leaky_relu": _leaky_relu,
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "reshape": _reshape,
    "transpose": _transpose,
    "concat": _concat,
    "stack": _stack,
    "where": _where,
    "getitem": _getitem,
    "sum": _reduction("ReduceSum"),
    "mean": _reduction("ReduceMean"),
    "max": _reduction("ReduceMax"),
    "min": _reduction("ReduceMin"),
    "var": _var,
    "linear": _linear,
    "conv1d": _conv,
    "conv2d": _conv,
    "max_pool1d": _max_pool,
    "max_pool2d": _max_pool,
    "avg_pool1d": _avg_pool,
    "avg_pool2d": _avg_pool,
    "batch_norm": _batch_norm,
}
