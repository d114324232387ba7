"""ONNX export by tracing: run a model once, write the ops it ran as an ONNX graph.

    >>> model = ds.models.MLP([4, 16, 3])                  # any Module of supported ops
    >>> ds.onnx.export(model, np.zeros((2, 4), np.float32), "mlp.onnx")
    PosixPath('mlp.onnx')
    >>> ds.load_run("runs/iris-softmax").export("iris.onnx")  # doctest: +SKIP

Export runs the model in eval mode on an example input while the engine hands every
op to a tracer (``descend.tensor.autograd.tracing``). Each op becomes one ONNX node
or a few (``descend.onnx.ops``); parameters and buffers become initializers under
their ``state_dict`` names; the first axis of the input and output is the batch,
of any size. The file passes ``onnx.checker`` and runs in onnxruntime. A second trace
on a perturbed copy of the example finds the constants computed from the input outside
the traced ops, which the file would freeze: each gets a ``TracerWarning``.

Needs the ``onnx`` package (the extra ``descend[onnx]``). Importing this module
does not import it; exporting does.
"""

from __future__ import annotations

import os
from pathlib import Path

from descend.files import atomic_write
from descend.nn.module import Module
from descend.onnx.trace import ExportError, TracerWarning, trace, warn_input_constants

DEFAULT_OPSET = 17
MIN_OPSET = 13

__all__ = ["DEFAULT_OPSET", "ExportError", "TracerWarning", "export", "to_model"]


def export(
    model: Module,
    example_input,
    path: str | os.PathLike,
    opset: int | None = None,
    metadata: dict | None = None,
) -> Path:
    """Write ``model`` as an ONNX file by tracing it on ``example_input``.

    Parameters
    ----------
    model : Module
        Built from ops with an ONNX mapping (every layer of ``descend.nn`` and the
        tensor ops; BatchNorm with running statistics; Dropout is dropped, as in eval).
    example_input : array_like or Tensor, shape (N, ...)
        A floating batch the model accepts. Its first axis is exported as the dynamic
        ``batch`` axis; pick N unlike the other sizes (not 1) so reshapes that keep the
        batch axis are recognised for certain.
    path : path
        Where to write the ``.onnx`` file (atomically).
    opset : int, optional
        ONNX operator set, 13 or later (default 17).
    metadata : dict, optional
        Strings stored in the model's ``metadata_props`` (e.g. class names).

    Returns
    -------
    Path
        ``path``. The graph has one input ``input`` and one output ``output``
        (``output_0``, ``output_1``... for a tuple).

    Raises
    ------
    ExportError (a ValueError)
        An op without an ONNX mapping, naming the op and the module it ran in.

    Warns
    -----
    TracerWarning
        A constant or op setting that changes when the example input does (traced
        again on a perturbed copy; see ``descend.onnx.trace.warn_input_constants``),
        e.g. ``x * ds.tensor(x.data.mean(0))``: the file holds this example's value.

    Examples
    --------
    >>> ds.onnx.export(ds.models.MLP([4, 16, 3]), np.zeros((2, 4), np.float32), "mlp.onnx")
    PosixPath('mlp.onnx')
    """
    return _write(to_model(model, example_input, opset, metadata), path)


def to_model(model: Module, example_input, opset=None, metadata=None):
    """The ``onnx.ModelProto`` that ``export`` writes (see there)."""
    _require_onnx()
    from onnx.defs import onnx_opset_version

    from descend.onnx.graph import Graph
    from descend.onnx.ops import emit

    opset = DEFAULT_OPSET if opset is None else opset
    newest = onnx_opset_version()
    if not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"opset must be an int from {MIN_OPSET} to {newest}, got {opset!r}")
    if getattr(model, "device", "cpu") != "cpu":  # a GPU model: traced as its host copy
        import copy

        model = copy.deepcopy(model).to("cpu")
    if hasattr(example_input, "cpu"):
        example_input = example_input.cpu()
    recorded = trace(model, example_input)
    warn_input_constants(model, recorded)
    graph = Graph(recorded, opset)
    for step in recorded.needed():
        graph.scope = step.module
        inputs = [graph.value(tensor, step) for tensor in step.inputs]
        graph.bind(step.output, emit(graph, step, inputs))
    graph.scope = ""
    outputs = [graph.value(out, None) for out in recorded.outputs]
    return graph.model(outputs, metadata)


def _write(proto, path) -> Path:
    path = Path(path)
    with atomic_write(path, "wb") as handle:
        handle.write(proto.SerializeToString())
    return path


def _require_onnx() -> None:
    try:
        import onnx  # noqa: F401
    except ImportError:
        from descend.extras import install_command

        message = f"ONNX export needs the onnx package: {install_command('onnx')}"
        raise ImportError(message) from None
