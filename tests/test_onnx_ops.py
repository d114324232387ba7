"""Every op with an ONNX mapping, traced inside a small Module and run in onnxruntime;
and the errors for what has none."""

import sys

import numpy as np
import pytest

import descend as ds
from descend import nn
from descend.extras import install_command
from descend.nn import functional as F
from tests.test_onnx_export import onnx, roundtrip, session

RNG = np.random.default_rng(5)


def batch(*shape) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


class Lambda(nn.Module):
    """A module whose forward is ``fn(self, x)``, with one (5, 5) weight to use."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn
        self.weight = nn.Parameter(RNG.standard_normal((5, 5)))

    def forward(self, x):
        return self.fn(self, x)


OPS = {
    "arithmetic": lambda m, x: (x * 2 - 1) / (x.abs() + 3) + 0.5 - (-x) * x,
    "pow": lambda m, x: (x * x + 1) ** 1.5 + x**2 + (x.abs() + 1) ** (x * 0.1),
    "matmul": lambda m, x: (x @ m.weight) @ m.weight.T,
    "matmul_1d": lambda m, x: x @ m.weight[0],
    "unary": lambda m, x: (x.abs() + 1).log() + x.exp().sqrt() + x.tanh() + x.sigmoid(),
    "clip": lambda m, x: x.clip(-0.5, 0.7) + x.clip(min=0) + x.clip(max=0.1),
    "activations": lambda m, x: F.relu(x) + F.leaky_relu(x, 0.2) + F.softmax(x, dim=0),
    "log_softmax": lambda m, x: F.log_softmax(x * 3) + F.softmax(x, dim=1),
    "sum": lambda m, x: x.sum(axis=1, keepdims=True) * x.sum(axis=(0, 1)) + x.sum(),
    "mean": lambda m, x: x.mean(axis=-1) + x.mean(),
    "max_min": lambda m, x: x.max(axis=1) - x.min(axis=1) + x.max() * x.min(axis=0).sum(),
    "var": lambda m, x: x.var(axis=1) + x.var(axis=0, keepdims=True).sum() + x.var(correction=0),
    "reshape": lambda m, x: x.reshape(x.shape[0], 5, 1).reshape(-1) + x.flatten().mean(),
    "transpose": lambda m, x: (x.T @ x).transpose() + x.transpose(1, 0)[:, :1].sum(),
    "getitem": lambda m, x: x[:, 1:4:2] * x[:, -1:] + x[..., [0, 2]] + x[:, None, 2].sum(),
    "getitem_more": lambda m, x: x[::-1, ::2] + x[:, [4, 0, 2]] + x[:, -1].reshape(-1, 1),
    "concat_stack": lambda m, x: ds.concat([x, x * 2], axis=1) + ds.stack([x, x], 1).sum(1).mean(),
    "where": lambda m, x: ds.where(np.array([True, False, True, False, True]), x, -x),
    "cast": lambda m, x: x.to(np.float64) * 2,
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op(tmp_path, name):
    model = Lambda(OPS[name])
    # (The unbiased variance over the batch axis needs two rows.)
    batches = (2, 7) if name == "var" else (1, 4, 7)
    assert roundtrip(model, batch(3, 5), tmp_path / "m.onnx", batches=batches) < 1e-5


class Signals(nn.Module):
    """The 1-D layers: Conv1d with stride and padding, both poolings, BatchNorm1d (N, C, L)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 3, stride=2, padding=1)
        self.norm = nn.BatchNorm1d(3, affine=False)
        self.pool = nn.MaxPool1d(2)
        self.avg = nn.AvgPool1d(3, stride=1, padding=1)

    def forward(self, x):
        return self.avg(self.pool(self.norm(self.conv(x))))


def test_one_dimensional_layers(tmp_path):
    model = Signals()
    model.norm.running_mean[:] = [0.5, -1.0, 2.0]
    model.norm.running_var[:] = [2.0, 0.5, 1.5]
    assert roundtrip(model, batch(5, 2, 12), tmp_path / "m.onnx") < 1e-5  # unlike 2, 3, 6, 12


def test_batch_norm_with_weight_and_without_bias(tmp_path):
    model = Lambda(lambda m, x: F.batch_norm(x, m.mean, m.var, m.weight[0], None, False))
    model.mean = np.linspace(-1, 1, 5, dtype=np.float32)
    model.var = np.linspace(0.5, 2, 5, dtype=np.float32)
    assert roundtrip(model, batch(3, 5), tmp_path / "m.onnx") < 1e-5


def test_unused_ops_are_left_out(tmp_path):
    # The loss is computed but not returned: it has no mapping, and is not needed.
    model = Lambda(lambda m, x: (F.mse_loss(x, x * 0), x + 1)[1])
    path = ds.onnx.export(model, batch(3, 5), tmp_path / "m.onnx")
    assert [n.op_type for n in onnx.load(str(path)).graph.node] == ["Add", "Identity"]


def test_tuple_outputs(tmp_path):
    model = Lambda(lambda m, x: (x + 1, x.sum(axis=1)))
    path = ds.onnx.export(model, batch(3, 5), tmp_path / "m.onnx")
    x = batch(4, 5)
    first, second = session(path).run(["output_0", "output_1"], {"input": x})
    np.testing.assert_allclose(first, x + 1)
    np.testing.assert_allclose(second, x.sum(axis=1), rtol=1e-6)


# -- what cannot be exported ----------------------------------------------------------
class WithLoss(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(5, 5)
        self.criterion = nn.MSELoss()

    def forward(self, x):
        return self.criterion(self.body(x), x)


def test_an_op_without_mapping_names_the_op_and_module(tmp_path):
    with pytest.raises(ds.onnx.ExportError) as error:
        ds.onnx.export(WithLoss(), batch(3, 5), tmp_path / "m.onnx")
    assert str(error.value) == (
        "cannot export op 'mse_loss' in module 'criterion' (MSELoss()): it has no ONNX mapping"
    )
    assert not (tmp_path / "m.onnx").exists()


def test_errors_for_training_only_and_frozen_values(tmp_path):
    cases = {
        "dropout in training mode": lambda m, x: F.dropout(x, 0.5, training=True),
        "batch statistics": lambda m, x: nn.BatchNorm1d(5, track_running_stats=False)(x),
        "moves the batch axis": lambda m, x: x.reshape(5, -1),
        # A comparison leaves the graph: its result would be frozen to the example.
        "as long as the example batch": lambda m, x: x * (x > 0),
    }
    for message, fn in cases.items():
        with pytest.raises(ds.onnx.ExportError, match=message):
            ds.onnx.export(Lambda(fn), batch(3, 5), tmp_path / "m.onnx")
    with pytest.raises(ds.onnx.ExportError, match="the forward of Lambda"):
        ds.onnx.export(Lambda(cases["dropout in training mode"]), batch(3, 5), tmp_path / "m")


@pytest.mark.filterwarnings("ignore::descend.onnx.TracerWarning")  # the masks come from x
def test_boolean_masks_that_set_the_output_length_are_refused_in_one_line(tmp_path):
    masked = {(3, 5): lambda m, x: x[x > 0], (3,): lambda m, x: x[x.data[:, 0] > 0]}
    for shape, fn in masked.items():
        with pytest.raises(ds.onnx.ExportError) as error:
            ds.onnx.export(Lambda(fn), batch(3, 5), tmp_path / "m.onnx")
        assert str(error.value) == (
            f"cannot export getitem with a boolean mask of shape {shape} in the forward of "
            f"Lambda(): boolean-mask indexing has no static-shape ONNX mapping (the output's "
            f"length depends on the mask's values)"
        )


def test_array_keys_and_a_constant_mask_over_features(tmp_path):
    keep = np.array([True, False, True, True, False])
    model = Lambda(lambda m, x: x[:, keep] + x[..., np.array([4, 0, 2])])
    assert roundtrip(model, batch(3, 5), tmp_path / "m.onnx") < 1e-5


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="expected a descend Module"):
        ds.onnx.export(lambda x: x, batch(2, 3), tmp_path / "m.onnx")
    with pytest.raises(TypeError, match="floating example input"):
        ds.onnx.export(nn.Linear(3, 2), np.ones((2, 3), dtype=np.int64), tmp_path / "m.onnx")
    with pytest.raises(TypeError, match="returned dict"):
        ds.onnx.export(Lambda(lambda m, x: {"y": x}), batch(2, 5), tmp_path / "m.onnx")


def test_without_onnx_one_line_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if not installed
    with pytest.raises(ImportError) as error:
        ds.onnx.export(nn.Linear(3, 2), batch(2, 3), tmp_path / "m.onnx")
    assert str(error.value) == f"ONNX export needs the onnx package: {install_command('onnx')}"
