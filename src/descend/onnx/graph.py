"""Building the ONNX graph: value names, nodes, initializers and the dynamic batch axis.

``Graph`` hands out unique names, keeps the nodes in the order they are added and
turns the tensors a traced step reads into graph values: the model's input, the
output of an earlier step, a parameter or buffer (an initializer under its
``state_dict`` name), or a constant.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from descend.onnx.trace import ExportError, Step, Trace, where
from descend.tensor.tensor import Tensor


def elem_type(dtype) -> int:
    """The ONNX element type of a NumPy dtype."""
    try:
        return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    except (KeyError, TypeError):
        raise ExportError(f"dtype {dtype} has no ONNX element type") from None


class Graph:
    """The nodes and initializers of one exported model, built step by step.

    Parameters
    ----------
    trace : Trace
        The recorded computation; its input becomes the graph input ``input`` with a
        dynamic first axis ``batch``.
    opset : int
        The ONNX operator set the nodes follow.
    """

    def __init__(self, trace: Trace, opset: int):
        self.trace = trace
        self.opset = opset
        self.nodes: list = []
        self.initializers: dict[str, np.ndarray] = {}
        self.values: dict[Tensor, str] = {trace.input: "input"}
        self.constants: dict[int, str] = {}
        # Values whose first axis is the batch: Reshape keeps it dynamic for them.
        self.batched = {"input"}
        self.taken = {"input"}
        self.scope = ""
        self.batch = trace.input.shape[0]

    # -- names ------------------------------------------------------------------------
    def fresh(self, stem: str) -> str:
        """A name not used yet: ``stem``, else ``stem_1``, ``stem_2``..."""
        name, k = stem, 0
        while name in self.taken:
            k += 1
            name = f"{stem}_{k}"
        self.taken.add(name)
        return name

    def node(self, op_type: str, inputs: list, **attrs) -> str:
        """Add a node named after the module it comes from; returns its output's name.

        The output carries the batch axis first when an input does.
        """
        stem = f"{self.scope}/{op_type}" if self.scope else op_type
        out = self.fresh(stem)
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        if any(name in self.batched for name in inputs):
            self.batched.add(out)
        return out

    # -- values -----------------------------------------------------------------------
    def initializer(self, array: np.ndarray, stem: str) -> str:
        name = self.fresh(stem)
        self.initializers[name] = np.asarray(array)
        return name

    def constant(self, value, dtype) -> str:
        """A small constant (a scalar, a shape, axes) in ``dtype``, as an initializer."""
        return self.initializer(np.asarray(value, dtype=dtype), "const")

    def array(self, array: np.ndarray) -> str:
        """An ndarray the op read directly (a buffer such as a running mean)."""
        key = id(array)
        if key not in self.constants:
            name = self.trace.arrays.get(key)
            self.constants[key] = self.initializer(array, name or "const")
        return self.constants[key]

    def value(self, tensor: Tensor, step: Step | None) -> str:
        """The name of a tensor a step reads (``step`` None: a tensor the model returns)."""
        name = self.values.get(tensor)
        if name is not None:
            return name
        param = self.trace.parameters.get(tensor)
        if param is not None:
            name = self.initializer(tensor.data, param)
        elif id(tensor.data) in self.trace.arrays:
            name = self.array(tensor.data)
        else:
            check_constant(tensor.data, self.batch, step)
            name = self.initializer(tensor.data, "const")
        self.values[tensor] = name
        return name

    def bind(self, tensor: Tensor, name: str) -> None:
        self.values[tensor] = name

    # -- the model --------------------------------------------------------------------
    def model(self, outputs: list, metadata: dict | None) -> onnx.ModelProto:
        """The ModelProto: input, nodes, initializers, named outputs, shapes inferred."""
        x = self.trace.input
        graph_input = helper.make_tensor_value_info(
            "input", elem_type(x.dtype), ["batch", *x.shape[1:]]
        )
        single = len(outputs) == 1
        names = ["output" if single else f"output_{i}" for i in range(len(outputs))]
        for name, value in zip(names, outputs):
            self.nodes.append(helper.make_node("Identity", [value], [name], name=name))
        graph = helper.make_graph(
            self.nodes,
            "descend",
            [graph_input],
            [
                helper.make_tensor_value_info(name, elem_type(out.dtype), None)
                for name, out in zip(names, self.trace.outputs)
            ],
            [numpy_helper.from_array(array, name) for name, array in self.initializers.items()],
        )
        opsets = [helper.make_opsetid("", self.opset)]
        model = helper.make_model(
            graph,
            opset_imports=opsets,
            producer_name="descend",
            ir_version=helper.find_min_ir_version_for(opsets),
        )
        for key, text in (metadata or {}).items():
            model.metadata_props.add(key=str(key), value=str(text))
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
        for declared, found in zip(model.graph.output, inferred.graph.output):
            declared.type.CopyFrom(found.type)
        onnx.checker.check_model(model, full_check=True)
        return model


def check_constant(data: np.ndarray, batch: int, step: Step | None) -> None:
    """Refuse a constant as long as the batch: it was computed from the input outside the
    traced ops (a comparison, an integer cast), and ONNX would freeze it to this example."""
    if batch > 1 and data.ndim and data.shape[0] == batch and data.size > 1:
        user = "the model's output" if step is None else f"{step.op} in {where(step)}"
        raise ExportError(
            f"{user} reads a constant of shape {data.shape}, as long as "
            f"the example batch: a value computed outside the graph (a comparison, an "
            f"integer cast, .data) cannot follow other inputs; compute it with tensor ops"
        )


def int64(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)
