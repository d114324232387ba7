"""Recording what a model computes: run it and keep every op the engine made.

While a ``Tracer`` is installed (``autograd.tracing``), every op hands it its name,
its settings, its inputs and its output (``tensor.make``), and every Module call
tells it which module is running. The result is the model's computation as a list of
steps in the order they ran, each knowing the module it came from. Nothing here
knows ONNX; ``descend.onnx.graph`` turns the steps into nodes. Tracing again on
another input (``warn_input_constants``) shows which constants the input decided.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from descend.nn.module import Module
from descend.tensor.autograd import no_grad, tracing
from descend.tensor.tensor import Tensor


class ExportError(ValueError):
    """A model that cannot be written as ONNX: an op without a mapping, a training-only op."""


class TracerWarning(UserWarning):
    """The exported graph may not follow other inputs: a value traced from the example
    input was frozen into it (as PyTorch's ``torch.jit.TracerWarning``)."""


@dataclass
class Step:
    """One op the engine ran: ``output = op(*inputs, **attrs)`` inside ``module``."""

    op: str
    attrs: tuple
    inputs: tuple
    output: Tensor
    module: str  # dotted name of the innermost module running ('' for the model itself)
    label: str  # that module as error messages show it, e.g. ``Conv2d(1, 6, 5)``


@dataclass
class Trace:
    """A model's computation on one example: its input, its steps, its outputs."""

    input: Tensor
    outputs: list
    steps: list
    parameters: dict  # Tensor -> state_dict name
    arrays: dict  # id(ndarray) -> state_dict name, for buffers (running statistics)

    def needed(self) -> list:
        """The steps the outputs depend on, in the order they ran."""
        made_by = {step.output: step for step in self.steps}
        keep, stack = set(), list(self.outputs)
        while stack:
            step = made_by.get(stack.pop())
            if step is not None and id(step) not in keep:
                keep.add(id(step))
                stack.extend(step.inputs)
        return [step for step in self.steps if id(step) in keep]


class Tracer:
    """Collects the steps of one forward pass (see ``autograd.tracing``)."""

    def __init__(self, model: Module):
        self.names = {id(module): name for name, module in model.named_modules()}
        self.scope = [("", model.label())]
        self.steps: list[Step] = []

    def record(self, op: str, attrs: tuple, parents: tuple, out: Tensor) -> None:
        module, label = self.scope[-1]
        self.steps.append(Step(op, attrs, parents, out, module, label))

    def call_module(self, module: Module, args: tuple, kwargs: dict):
        # A module outside the model's tree (made in forward) is named by its class.
        name = self.names.get(id(module), type(module).__name__)
        self.scope.append((name, module.label()))
        try:
            return module.forward(*args, **kwargs)
        finally:
            self.scope.pop()


def trace(model: Module, example) -> Trace:
    """Run ``model`` in eval mode on ``example`` and record every op it runs.

    The model's training flags are restored afterwards; no gradients are recorded.
    """
    if not isinstance(model, Module):
        raise TypeError(f"expected a descend Module to export, got {type(model).__name__}")
    x = example if isinstance(example, Tensor) else Tensor(example)
    if x.dtype.kind != "f":
        raise TypeError(f"expected a floating example input, got dtype {x.dtype}")
    if x.ndim == 0:
        raise ValueError("expected an example input with a batch axis, got a scalar")
    x = Tensor._wrap(x.data)  # a fresh tensor: the input, whatever else holds its data
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    tracer = Tracer(model)
    try:
        with no_grad(), tracing(tracer):
            result = model(x)
    finally:
        for module, mode in modes:
            object.__setattr__(module, "training", mode)
    outputs = list(result) if isinstance(result, tuple | list) else [result]
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(
                f"{model.label()} returned {type(out).__name__} as output {i}; "
                f"export needs the forward pass to return a Tensor or a tuple of them"
            )
    parameters = {param: name for name, param in model.named_parameters()}
    named = {id(array): name for name, array in model.named_buffers()}
    return Trace(x, outputs, tracer.steps, parameters, named)


def warn_input_constants(model: Module, first: Trace) -> None:
    """Warn (``TracerWarning``) for each constant the example input decided.

    What is detected: the model is traced a second time on a perturbed copy of the
    example (same shape and dtype; each value scaled by a random factor in [0.5, 1.5]
    and shifted by a little noise, from a fixed seed). A step the graph needs whose
    constant operand (a tensor no traced op made that is neither a parameter nor a
    buffer) or setting (a clip bound, an index, a ``where`` condition) differs between
    the two traces was computed from the input outside the traced ops, e.g.
    ``x * ds.tensor(x.data.mean(0))``: ONNX would freeze it to this example's value.
    If the two traces run different ops, the forward branched on the input's values.

    What is not: a constant that happens to be equal on both inputs (e.g. computed
    from the input's shape, or a statistic the perturbation leaves unchanged), and a
    constant drawn at random in the forward, which is warned about as if it came
    from the input. If the model fails on the perturbed copy, nothing is checked.
    """
    data = first.input.data
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(data.shape) * 0.1 * max(float(np.abs(data).max()), 1.0)
    other = (data * rng.uniform(0.5, 1.5, data.shape) + noise).astype(data.dtype)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            second = trace(model, other)
    except Exception:  # a courtesy check: the first trace is the one exported
        return
    if [step.op for step in first.steps] != [step.op for step in second.steps]:
        message = (
            f"{model.label()} ran other ops on a perturbed copy of the example input: its "
            f"forward branches on the input's values, and ONNX keeps this example's branch"
        )
        warnings.warn(message, TracerWarning, stacklevel=_outside_descend())
        return
    needed = {id(step) for step in first.needed()}
    pairs = zip(first.steps, _constants(first), _constants(second))
    for step, read, read_again in pairs:
        if id(step) in needed and not _same(read, read_again):
            message = (
                f"{step.op} in {where(step)} reads a constant computed from the example "
                f"input (it changes when the input does): ONNX freezes it to this "
                f"example's value; compute it with tensor ops"
            )
            warnings.warn(message, TracerWarning, stacklevel=_outside_descend())


def _outside_descend() -> int:
    """The ``stacklevel`` of the first caller outside descend: the warning names the
    user's line, whether they called ``export``, ``to_model`` or a run's export."""
    package = str(Path(__file__).parent.parent)
    frame, level = sys._getframe(2), 2  # 1 is the function that warns
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _constants(recorded: Trace) -> list:
    """For each step: its settings and the data of the constant tensors it reads."""
    made = {recorded.input}
    found = []
    for step in recorded.steps:
        constant = [
            t.data
            for t in step.inputs
            if t not in made and t not in recorded.parameters and id(t.data) not in recorded.arrays
        ]
        found.append((step.attrs, constant))
        made.add(step.output)
    return found


def _same(a, b) -> bool:
    """Equal settings or constants, arrays compared by value (NaN equal to NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True  # both NaN
    return type(a) is type(b) and bool(a == b)


def where(step: Step) -> str:
    """``module 'features.0' (Conv2d(1, 6, 5))``, or the model's own forward."""
    if not step.module:
        return f"the forward of {step.label}"
    return f"module '{step.module}' ({step.label})"
