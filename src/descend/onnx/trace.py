"""Recording what a model computes: run it once and keep every op the engine made.

While a ``Tracer`` is installed (``autograd.tracing``), every op hands it its name,
its settings, its inputs and its output (``tensor.make``), and every Module call
tells it which module is running. The result is the model's computation as a list of
steps in the order they ran, each knowing the module it came from. Nothing here
knows ONNX; ``descend.onnx.graph`` turns the steps into nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

from descend.nn.module import Module
from descend.tensor.autograd import no_grad, tracing
from descend.tensor.tensor import Tensor


class ExportError(ValueError):
    """A model that cannot be written as ONNX: an op without a mapping, a training-only op."""


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
