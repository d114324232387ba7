"""ONNX export of the ready-made models and of custom ones, checked in onnxruntime."""

import warnings
from pathlib import Path

import numpy as np
import pytest

import descend as ds
from descend import models, nn
from descend.nn import functional as F

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

RNG = np.random.default_rng(13)


def session(path: Path) -> "ort.InferenceSession":
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def descend_output(model, x: np.ndarray) -> np.ndarray:
    model.eval()
    with ds.no_grad():
        return model(ds.tensor(x)).data


def roundtrip(model, example: np.ndarray, path: Path, batches=(1, 5)) -> float:
    """Export ``model`` traced on ``example``, check the file with onnx.checker, and run
    onnxruntime on the example and on random batches of other sizes.

    Asserts onnxruntime's output has descend's shape and equals it to 1e-5 relative;
    returns the largest relative difference seen, ``max |ort - descend| / max |descend|``.
    """
    ds.onnx.export(model, example, path)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    run = session(path)
    rng = np.random.default_rng(7)
    worst = 0.0
    for x in [example] + [
        rng.standard_normal((n, *example.shape[1:])).astype(example.dtype) for n in batches
    ]:
        expected = descend_output(model, x)
        (got,) = run.run(None, {"input": x})
        assert got.shape == expected.shape
        assert got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())
        worst = max(worst, float(np.abs(got - expected).max() / np.abs(expected).max()))
    return worst


def batch(*shape) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def trained(model, x, y, loss, steps=5):
    """A few Adam steps, so weights, biases and running statistics are not their defaults."""
    trainer = ds.Trainer(model, loss, ds.optim.Adam(model.parameters(), lr=0.05), verbose=0)
    trainer.fit((x, y), epochs=steps, batch_size=len(x))
    return model


class Residual(nn.Module):
    """x + f(x) with BatchNorm1d in the branch, then BatchNorm1d and a head."""

    def __init__(self, n=6, hidden=8):
        super().__init__()
        self.stem = nn.Linear(n, hidden)
        self.branch = nn.Sequential(
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(0.3)
        )
        self.norm = nn.BatchNorm1d(hidden)
        self.head = nn.Linear(hidden, 3)

    def forward(self, x):
        h = self.stem(x)
        h = h + self.branch(h)
        return self.head(F.relu(self.norm(h)))


class SmallCNN(nn.Module):
    """Convolutions with stride and padding, average and max pooling, BatchNorm2d."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(2, 4, 3, stride=2, padding=1),
            nn.BatchNorm2d(4),
            nn.Tanh(),
            nn.AvgPool2d(2),
            nn.Conv2d(4, 5, (3, 2), padding=(1, 0)),
            nn.LeakyReLU(0.1),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(5, 4), nn.LogSoftmax())

    def forward(self, x):
        return self.classifier(self.features(x))


def test_linear_regression(tmp_path):
    x = batch(8, 5)
    model = trained(models.LinearRegression(5), x, x @ np.arange(5, dtype=np.float32), nn.MSELoss())
    assert roundtrip(model, x[:3], tmp_path / "m.onnx") < 1e-5


def test_logistic_regression(tmp_path):
    x = batch(8, 5)
    y = (x[:, 0] > 0).astype(np.float32)
    model = trained(models.LogisticRegression(5), x, y, nn.BCEWithLogitsLoss())
    assert roundtrip(model, x[:3], tmp_path / "m.onnx") < 1e-5


def test_softmax_regression(tmp_path):
    x = batch(9, 4)
    model = trained(models.SoftmaxRegression(4, 3), x, np.arange(9) % 3, nn.CrossEntropyLoss())
    assert roundtrip(model, x[:7], tmp_path / "m.onnx") < 1e-5  # a batch unlike 4 and 3


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_mlp(tmp_path, activation):
    model = models.MLP([6, 16, 8, 3], activation=activation, dropout=0.2)
    assert roundtrip(model, batch(7, 6), tmp_path / "m.onnx") < 1e-5


def test_lenet5_with_images_and_flat_channel(tmp_path):
    model = models.LeNet5()
    assert roundtrip(model, batch(2, 1, 28, 28), tmp_path / "m.onnx", batches=(3,)) < 1e-5
    # (N, 28, 28): LeNet5 adds the channel axis itself, which is a traced reshape.
    assert roundtrip(model, batch(2, 28, 28), tmp_path / "m2.onnx", batches=(3,)) < 1e-5


def test_residual_with_batch_norm(tmp_path):
    x = batch(16, 6)
    model = trained(Residual(), x, np.arange(16) % 3, nn.CrossEntropyLoss())
    assert model.norm.running_mean.any()  # trained statistics, not the defaults
    assert roundtrip(model, x[:7], tmp_path / "m.onnx") < 1e-5
    graph = onnx.load(str(tmp_path / "m.onnx")).graph
    assert [n.op_type for n in graph.node].count("BatchNormalization") == 2
    assert "Dropout" not in {n.op_type for n in graph.node}


def test_cnn_with_stride_padding_and_pooling(tmp_path):
    x = batch(6, 2, 9, 7)
    model = trained(SmallCNN(), x, np.arange(6) % 4, nn.NLLLoss())
    assert roundtrip(model, x[:3], tmp_path / "m.onnx", batches=(1, 4)) < 1e-5
    ops = [n.op_type for n in onnx.load(str(tmp_path / "m.onnx")).graph.node]
    for op in ("Conv", "BatchNormalization", "AveragePool", "MaxPool", "LogSoftmax", "Gemm"):
        assert op in ops


def test_initializers_are_the_state_dict(tmp_path):
    model = SmallCNN()
    ds.onnx.export(model, batch(2, 2, 9, 7), tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    stored = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    state = model.state_dict()
    used = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    assert used.keys() <= stored.keys()
    for name, value in used.items():
        np.testing.assert_array_equal(stored[name], value)


def test_batch_axis_is_dynamic_and_names_are_documented(tmp_path):
    path = ds.onnx.export(models.MLP([4, 8, 3]), batch(2, 4), tmp_path / "m.onnx")
    graph = onnx.load(str(path)).graph
    (inp,), (out,) = graph.input, graph.output
    assert (inp.name, out.name) == ("input", "output")
    assert inp.type.tensor_type.shape.dim[0].dim_param == "batch"
    dims = out.type.tensor_type.shape.dim
    assert (dims[0].dim_param, dims[1].dim_value) == ("batch", 3)


def test_export_leaves_the_model_and_engine_as_they_were(tmp_path):
    from descend.tensor import autograd

    model = Residual()
    model.train()
    model.norm.eval()
    before = model.state_dict()
    ds.onnx.export(model, batch(3, 6), tmp_path / "m.onnx")
    assert autograd.tracer is None
    assert model.training and not model.norm.training and model.branch.training
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])  # no running-stat update


def test_metadata_and_opset(tmp_path):
    path = ds.onnx.export(
        models.SoftmaxRegression(3, 2), batch(5, 3), tmp_path / "m.onnx", opset=13,
        metadata={"class_names": '["no", "yes"]'},
    )  # fmt: skip
    proto = onnx.load(str(path))
    assert proto.opset_import[0].version == 13
    assert {p.key: p.value for p in proto.metadata_props} == {"class_names": '["no", "yes"]'}
    with pytest.raises(ValueError, match="opset must be an int from 13"):
        ds.onnx.export(models.MLP([3, 2]), batch(2, 3), tmp_path / "x.onnx", opset=9)
    assert not (tmp_path / "x.onnx").exists()


class InputMean(nn.Module):
    """Scales by the batch's mean read outside the graph: a constant frozen at export."""

    def forward(self, x):
        return x * ds.tensor(x.data.mean(0))


class InputOrder(nn.Module):
    """Reorders the features by the first row's values: an index frozen at export."""

    def forward(self, x):
        return x[:, np.argsort(x.data[0]).tolist()]


@pytest.mark.parametrize(
    ("model", "op"), [(InputMean(), "mul in the forward of InputMean"), (InputOrder(), "getitem")]
)
def test_a_constant_computed_from_the_example_input_warns(tmp_path, model, op):
    with pytest.warns(ds.onnx.TracerWarning, match=f"{op}.*computed from the example input") as w:
        ds.onnx.export(model, batch(5, 4), tmp_path / "m.onnx")
    assert [record.filename for record in w] == [__file__]  # one warning, at the user's call


class ZeroCheck(nn.Module):
    """Branches in Python on the input's values: ONNX keeps only the example's branch."""

    def forward(self, x):
        return x + 1 if not x.data.any() else x.exp()


def test_a_forward_that_branches_on_the_input_warns(tmp_path):
    with pytest.warns(ds.onnx.TracerWarning, match="ZeroCheck.*branches on the input's values"):
        ds.onnx.export(ZeroCheck(), np.zeros((5, 4), np.float32), tmp_path / "m.onnx")


def test_models_without_input_constants_export_without_warning(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds.onnx.export(models.MLP([4, 8, 3]), batch(5, 4), tmp_path / "mlp.onnx")
        ds.onnx.export(Residual(), batch(5, 6), tmp_path / "residual.onnx")
        ds.onnx.export(SmallCNN(), batch(2, 2, 9, 7), tmp_path / "cnn.onnx")
