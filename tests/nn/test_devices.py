"""Every layer and loss on every device: the CPU's outputs and gradients, state on the device.

A model is built on the CPU, copied with ``state_dict``, moved with ``Module.to(device)``
and run on the same batch; outputs, input gradients and parameter gradients must match
the CPU's. The strict device (tests/strict.py) fails on any stray NumPy call.
"""

import numpy as np
import pytest

import descend as ds
from descend import backend, nn
from descend.nn import functional as F
from descend.nn.utils import clip_grad_norm_, clip_grad_value_

RNG = np.random.default_rng(11)
X2 = RNG.standard_normal((6, 5)).astype(np.float32)
X4 = RNG.standard_normal((4, 3, 8, 8)).astype(np.float32)
LABELS = np.array([0, 2, 1, 2, 0, 1])
TARGET = RNG.standard_normal((6, 3)).astype(np.float32)
BINARY = (RNG.random((6, 3)) > 0.5).astype(np.float32)

# name: (factory of the module, input)
LAYERS = {
    "linear": (lambda: nn.Linear(5, 3), X2),
    "mlp": (lambda: ds.models.MLP([5, 7, 3]), X2),
    "relu_tanh_sigmoid": (lambda: nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid()), X2),
    "leaky_relu": (lambda: nn.LeakyReLU(0.1), X2),
    "softmax": (lambda: nn.Sequential(nn.Softmax(dim=1), nn.LogSoftmax(dim=0)), X2),
    "batchnorm1d": (lambda: nn.BatchNorm1d(5), X2),
    "batchnorm2d": (lambda: nn.BatchNorm2d(3), X4),
    "flatten": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(192, 2)), X4),
    "dropout": (lambda: nn.Dropout(0.3), X2),
    "conv2d": (lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), X4),
    "conv2d_two_steps": (lambda: nn.Conv2d(3, 2, 5), X4),  # im2col through shifted copies
    "conv2d_no_bias": (lambda: nn.Conv2d(3, 2, (2, 3), bias=False), X4),
    "conv1d": (lambda: nn.Conv1d(3, 2, 3, padding=1), X4[:, :, 0]),
    "max_pool_tiled": (lambda: nn.MaxPool2d(2), X4),
    "max_pool_3x3": (lambda: nn.MaxPool2d(3, stride=3), X4),
    "max_pool_overlapping": (lambda: nn.MaxPool2d(3, stride=2, padding=1), X4),
    "max_pool1d": (lambda: nn.MaxPool1d(2), X4[:, :, 0]),
    "avg_pool": (lambda: nn.AvgPool2d(2), X4),
    "avg_pool_overlapping": (lambda: nn.AvgPool2d(3, stride=2, padding=1), X4),
    "avg_pool1d": (lambda: nn.AvgPool1d(3, stride=1), X4[:, :, 0]),
    "lenet": (lambda: ds.models.LeNet5(), RNG.standard_normal((2, 1, 28, 28)).astype(np.float32)),
}


def _run(factory, x, device, state=None, mode="train"):
    ds.manual_seed(5)
    module = factory()
    if state is not None:
        module.load_state_dict(state)
    module.to(device).train(mode == "train")
    inputs = ds.tensor(x, requires_grad=True, device=device)
    out = module(inputs)
    weights = np.linspace(-1, 1, out.size, dtype=np.float32).reshape(out.shape)
    (out * ds.tensor(weights, device=device)).sum().backward()
    return module, out, inputs


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("name", LAYERS)
def test_every_layer_matches_the_cpu(name, mode, device):
    factory, x = LAYERS[name]
    ds.manual_seed(5)
    start = factory().state_dict()
    reference, expected, expected_input = _run(factory, x, "cpu", start, mode)
    module, got, inputs = _run(factory, x, device, start, mode)
    assert got.device == device
    assert module.device == (device if module.state_dict() else "cpu")
    np.testing.assert_allclose(got.cpu().numpy(), expected.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        backend.to_host(inputs.grad), expected_input.grad, rtol=1e-4, atol=1e-5
    )
    for (key, p), q in zip(module.named_parameters(), reference.parameters()):
        assert p.device == device and backend.device_of(p.grad) == device, key
        np.testing.assert_allclose(backend.to_host(p.grad), q.grad, rtol=1e-4, atol=1e-5)
    for key, value in module.state_dict().items():  # running statistics too
        assert isinstance(value, np.ndarray), key  # state_dict holds host arrays
        np.testing.assert_allclose(value, reference.state_dict()[key], rtol=1e-5, atol=1e-6)


# name: (loss, input, target)
LOSSES = {
    "mse": (nn.MSELoss(), TARGET[:, :1], TARGET[:, 1:2]),
    "l1_sum": (nn.L1Loss(reduction="sum"), TARGET, X2[:, :3]),
    "huber": (nn.HuberLoss(delta=0.5), TARGET, X2[:, :3]),
    "bce": (nn.BCELoss(weight=np.array([1.0, 2.0, 0.5])), 1 / (1 + np.exp(-TARGET)), BINARY),
    "bce_logits": (nn.BCEWithLogitsLoss(pos_weight=np.array([2.0, 1.0, 3.0])), TARGET, BINARY),
    "cross_entropy": (nn.CrossEntropyLoss(), TARGET, LABELS),
    "cross_entropy_none": (nn.CrossEntropyLoss(reduction="none"), TARGET, LABELS),
    "cross_entropy_weighted": (
        nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 3.0]), label_smoothing=0.1),
        TARGET,
        LABELS,
    ),
    "cross_entropy_probabilities": (nn.CrossEntropyLoss(), TARGET, np.full((6, 3), 1 / 3)),
    "nll": (nn.NLLLoss(weight=np.array([0.5, 1.0, 2.0])), -np.abs(TARGET), LABELS),
}


@pytest.mark.parametrize("target_on_device", [True, False])
@pytest.mark.parametrize("name", LOSSES)
def test_every_loss_matches_the_cpu(name, target_on_device, device):
    loss, x, t = LOSSES[name]
    results = []
    for where in ("cpu", device):
        loss.to(where)
        inputs = ds.tensor(x, requires_grad=True, device=where)
        target = ds.tensor(t, device=where).data if target_on_device else t
        value = loss(inputs, target)
        value.backward(np.ones(value.shape))
        results.append((value, inputs))
    (expected, expected_input), (got, inputs) = results
    assert got.device == device
    np.testing.assert_allclose(got.cpu().numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        backend.to_host(inputs.grad), expected_input.grad, rtol=1e-5, atol=1e-6
    )


def test_class_targets_out_of_range_are_caught_on_every_device(device):
    logits = ds.tensor(TARGET, device=device)
    for target in (np.array([0, 1, 3, 0, 0, 0]), ds.tensor([0, 1, 3, 0, 0, 0], device=device)):
        with pytest.raises(ValueError, match=r"class targets must be in \[0, 3\).*got 3"):
            F.cross_entropy(logits, target)


def test_targets_on_another_device_are_refused(accelerator):
    logits = ds.tensor(TARGET)
    with pytest.raises(RuntimeError, match=f"got cpu and {accelerator}:0"):
        F.cross_entropy(logits, ds.tensor(LABELS, device=accelerator))
    with pytest.raises(
        RuntimeError, match=f"expected all tensors on one device, got {accelerator}"
    ):
        F.mse_loss(ds.tensor(X2, device=accelerator), ds.tensor(X2))


def test_a_module_moves_with_its_parameters_gradients_and_buffers(accelerator):
    model = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4))
    weight = model[0].weight
    model(ds.tensor(X2)).sum().backward()
    assert model.to(accelerator) is model and model[0].weight is weight
    assert weight.device == accelerator and backend.device_of(weight.grad) == accelerator
    assert backend.device_of(model[1].running_mean) == accelerator
    assert model[1].num_batches_tracked.dtype == np.int64
    state = model.state_dict()
    assert all(isinstance(v, np.ndarray) for v in state.values())
    model.load_state_dict({k: np.zeros_like(v) for k, v in state.items()})
    assert weight.device == accelerator and not backend.to_host(weight.data).any()
    model.zero_grad(set_to_none=False)
    assert backend.device_of(weight.grad) == accelerator
    model.to("cpu", np.float64)
    assert weight.device == "cpu" and weight.dtype == np.float64


def test_gradient_clipping_runs_on_the_device(device):
    grads = []
    for where in ("cpu", device):
        ds.manual_seed(1)
        model = nn.Linear(5, 3).to(where)
        (100 * model(ds.tensor(X2, device=where))).sum().backward()
        total = clip_grad_norm_(model.parameters(), max_norm=1.0)
        clip_grad_value_(model.parameters(), clip_value=0.01)
        grads.append(
            (float(total.cpu().item()), [backend.to_host(p.grad) for p in model.parameters()])
        )
    (expected_total, expected), (total, got) = grads
    assert total == pytest.approx(expected_total, rel=1e-5)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7)


def test_dropout_on_a_gpu_draws_its_mask_there(accelerator):
    x = ds.ones(1000, device=accelerator)
    out = F.dropout(x, 0.5).cpu().numpy()
    assert set(np.unique(out)) <= {0.0, 2.0} and 350 < (out == 0).sum() < 650


def test_a_model_on_a_device_exports_to_onnx(tmp_path, accelerator):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model = ds.models.MLP([5, 7, 3]).to(accelerator)
    path = ds.onnx.export(model, ds.tensor(X2, device=accelerator), tmp_path / "m.onnx")
    session = ort.InferenceSession(str(path))
    got = session.run(None, {session.get_inputs()[0].name: X2})[0]
    np.testing.assert_allclose(
        got, model(ds.tensor(X2, device=accelerator)).cpu().numpy(), rtol=1e-5
    )
    assert model[0].weight.device == accelerator  # the model itself stays where it was


@pytest.mark.parametrize(
    "make", [lambda: nn.Linear(3, 2), lambda: nn.Conv2d(2, 3, 3), lambda: nn.BatchNorm1d(3)]
)
def test_initialising_on_a_device_draws_the_cpus_values(make, device):
    ds.manual_seed(1)
    expected = make().state_dict()
    module = make().to(device)
    ds.manual_seed(1)
    module.reset_parameters()  # the initialisers write into the device's arrays
    nn.init.zeros_(module.weight)
    nn.init.zeros_(expected["weight"])
    for key, value in module.state_dict().items():
        np.testing.assert_array_equal(value, expected[key], err_msg=key)
