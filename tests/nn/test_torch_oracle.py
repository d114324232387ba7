"""PyTorch as a second oracle for descend.nn: same weights and inputs, float64 values and grads."""

import numpy as np
import pytest

import descend as ds
import descend.nn.functional as F
from descend import nn

torch = pytest.importorskip("torch")
tnn = torch.nn

RNG = np.random.default_rng(31)


def to_torch(array, grad=True):
    return torch.tensor(array, dtype=torch.float64, requires_grad=grad)


def copy_weights(ours, theirs):
    """Load our state into the torch module, by key: the names must match."""
    state = {k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()}
    theirs.double().load_state_dict(state)


def compare(ours, theirs, x, rtol=1e-10, atol=1e-12, device="cpu"):
    """Forward and backward through both with the same upstream gradient, ours on
    ``device`` (PyTorch on CUDA when that is CUDA, else on the CPU)."""
    copy_weights(ours, theirs)
    where = "cuda" if device == "cuda" else "cpu"
    ours.to(device)
    theirs.to(where)
    xd, xt = ds.tensor(x, requires_grad=True, device=device), to_torch(x).to(where)
    xt.retain_grad()
    out_d, out_t = ours(xd), theirs(xt)
    host = ds.backend.to_host
    np.testing.assert_allclose(host(out_d.data), out_t.detach().cpu().numpy(), rtol=rtol, atol=atol)
    g = RNG.standard_normal(out_d.shape)
    out_d.backward(g)
    out_t.backward(torch.from_numpy(g).to(where))
    np.testing.assert_allclose(host(xd.grad), xt.grad.cpu().numpy(), rtol=rtol, atol=atol)
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        expected = torch_params[name].grad.cpu().numpy()
        np.testing.assert_allclose(host(p.grad), expected, rtol=rtol, atol=atol)
    for key, value in theirs.state_dict().items():  # running statistics too
        np.testing.assert_allclose(
            ours.state_dict()[key], value.cpu().numpy(), rtol=rtol, atol=atol
        )


LAYERS = {
    "linear": (lambda m: m.Linear(5, 3), (4, 5)),
    "linear_nobias_3d": (lambda m: m.Linear(5, 3, bias=False), (2, 4, 5)),
    "conv": (lambda m: m.Conv2d(3, 4, 3), (2, 3, 6, 7)),
    "conv_stride_pad": (lambda m: m.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 7, 6)),
    "conv_rect": (lambda m: m.Conv2d(2, 3, (2, 3), stride=(1, 2), padding=(1, 0)), (2, 2, 5, 7)),
    "conv_5x5_pad2": (lambda m: m.Conv2d(1, 6, 5, padding=2), (3, 1, 12, 12)),
    "conv1d": (lambda m: m.Conv1d(3, 4, 3), (2, 3, 11)),
    "conv1d_stride_pad": (lambda m: m.Conv1d(2, 5, 5, stride=2, padding=2), (3, 2, 16)),
    "conv1d_nobias_k1": (lambda m: m.Conv1d(4, 2, 1, stride=3, bias=False), (2, 4, 10)),
    "maxpool1d": (lambda m: m.MaxPool1d(2), (2, 3, 9)),
    "maxpool1d_overlap": (lambda m: m.MaxPool1d(3, stride=2, padding=1), (2, 2, 10)),
    "avgpool1d": (lambda m: m.AvgPool1d(4), (2, 3, 14)),
    "avgpool1d_overlap": (lambda m: m.AvgPool1d(3, stride=1, padding=1), (2, 2, 7)),
    "maxpool": (lambda m: m.MaxPool2d(2), (2, 3, 6, 7)),
    "maxpool_overlap": (lambda m: m.MaxPool2d(3, stride=2, padding=1), (2, 2, 7, 7)),
    "avgpool": (lambda m: m.AvgPool2d(2), (2, 3, 6, 6)),
    "avgpool_overlap": (lambda m: m.AvgPool2d(3, stride=1, padding=1), (2, 2, 5, 5)),
    "batchnorm1d": (lambda m: m.BatchNorm1d(4), (6, 4)),
    "batchnorm1d_3d": (lambda m: m.BatchNorm1d(3), (4, 3, 5)),
    "batchnorm2d": (lambda m: m.BatchNorm2d(3), (4, 3, 3, 3)),
    "relu": (lambda m: m.ReLU(), (3, 4)),
    "leaky_relu": (lambda m: m.LeakyReLU(0.2), (3, 4)),
    "sigmoid": (lambda m: m.Sigmoid(), (3, 4)),
    "tanh": (lambda m: m.Tanh(), (3, 4)),
    "softmax": (lambda m: m.Softmax(dim=1), (3, 4)),
    "log_softmax": (lambda m: m.LogSoftmax(dim=1), (3, 4)),
    "flatten": (lambda m: m.Flatten(), (2, 3, 2, 2)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layers_match_pytorch(name, float64, device):
    build, shape = LAYERS[name]
    ours, theirs = build(nn), build(tnn)
    compare(ours, theirs, RNG.standard_normal(shape), device=device)


def test_max_pool_ties_route_like_pytorch(float64):
    x = np.maximum(RNG.standard_normal((2, 3, 6, 6)), 0)  # many all-zero windows
    x[0, 0, :2, :2] = 1.5
    compare(nn.MaxPool2d(2), tnn.MaxPool2d(2), x)


def test_max_pool1d_ties_route_like_pytorch(float64):
    x = np.maximum(RNG.standard_normal((2, 3, 12)), 0)  # many all-zero windows
    x[0, 0, :3] = 1.5
    compare(nn.MaxPool1d(3), tnn.MaxPool1d(3), x)
    compare(nn.MaxPool1d(3, stride=2, padding=1), tnn.MaxPool1d(3, stride=2, padding=1), x)


def _signal_net(m):
    return m.Sequential(
        m.Conv1d(1, 8, 5, stride=2, padding=2), m.ReLU(), m.MaxPool1d(2),
        m.Conv1d(8, 8, 3, padding=1), m.Tanh(), m.AvgPool1d(2),
        m.Flatten(), m.Linear(40, 10),
    )  # fmt: skip


def test_conv1d_network_cross_entropy_gradients_match_pytorch(float64):
    ours, theirs = _signal_net(nn), _signal_net(tnn)
    copy_weights(ours, theirs)
    x, y = RNG.standard_normal((6, 1, 40)), RNG.integers(0, 10, 6)
    nn.CrossEntropyLoss()(ours(ds.tensor(x)), y).backward()
    tnn.CrossEntropyLoss()(theirs(to_torch(x, grad=False)), torch.tensor(y)).backward()
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, grads[name].grad.numpy(), rtol=1e-9, atol=1e-12)


def test_batchnorm_eval_after_training_matches_pytorch(float64):
    ours, theirs = nn.BatchNorm2d(3), tnn.BatchNorm2d(3).double()
    for _ in range(3):
        x = RNG.standard_normal((4, 3, 2, 2)) * 2 + 1
        ours(ds.tensor(x))
        theirs(to_torch(x, grad=False))
    ours.eval(), theirs.eval()
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-12)
    compare(ours, theirs, RNG.standard_normal((2, 3, 2, 2)))


def test_dropout_eval_is_identity_in_both(float64):
    compare(nn.Dropout(0.3).eval(), tnn.Dropout(0.3).eval(), RNG.standard_normal((3, 4)))


def _loss_inputs(kind, n=6, c=4):
    if kind == "classes":
        return RNG.standard_normal((n, c)), RNG.integers(0, c, n)
    if kind == "probs":
        return RNG.uniform(0.05, 0.95, (n, c)), RNG.uniform(0, 1, (n, c))
    return RNG.standard_normal((n, c)), RNG.uniform(0, 1, (n, c))


LOSSES = {
    "mse": (lambda m, r: m.MSELoss(reduction=r), "regression"),
    "l1": (lambda m, r: m.L1Loss(reduction=r), "regression"),
    "huber": (lambda m, r: m.HuberLoss(reduction=r, delta=0.7), "regression"),
    "bce": (lambda m, r: m.BCELoss(reduction=r), "probs"),
    "bce_weight": (
        lambda m, r: m.BCELoss(weight=_w(m, [1.0, 2.0, 0.5, 1.0]), reduction=r),
        "probs",
    ),
    "bce_logits": (lambda m, r: m.BCEWithLogitsLoss(reduction=r), "regression"),
    "bce_logits_pos_weight": (
        lambda m, r: m.BCEWithLogitsLoss(
            weight=_w(m, [1.0, 2.0, 0.5, 1.0]), pos_weight=_w(m, [3.0, 1.0, 0.5, 2.0]), reduction=r
        ),
        "regression",
    ),
    "cross_entropy": (lambda m, r: m.CrossEntropyLoss(reduction=r), "classes"),
    "cross_entropy_weight": (
        lambda m, r: m.CrossEntropyLoss(weight=_w(m, [1.0, 2.0, 0.5, 3.0]), reduction=r),
        "classes",
    ),
    "cross_entropy_smoothing": (
        lambda m, r: m.CrossEntropyLoss(
            weight=_w(m, [1.0, 2.0, 0.5, 3.0]), label_smoothing=0.15, reduction=r
        ),
        "classes",
    ),
    "nll": (lambda m, r: m.NLLLoss(weight=_w(m, [1.0, 2.0, 0.5, 3.0]), reduction=r), "classes"),
}


def _w(module_namespace, values):
    return (
        torch.tensor(values, dtype=torch.float64) if module_namespace is tnn else np.array(values)
    )


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_pytorch(name, reduction, float64):
    build, kind = LOSSES[name]
    x, t = _loss_inputs(kind)
    xd, xt = ds.tensor(x, requires_grad=True), to_torch(x)
    tt = torch.tensor(t) if kind == "classes" else torch.tensor(t, dtype=torch.float64)
    out_d, out_t = build(nn, reduction)(xd, t), build(tnn, reduction)(xt, tt)
    np.testing.assert_allclose(out_d.data, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = RNG.standard_normal(out_d.shape)
    out_d.backward(g)
    out_t.backward(torch.from_numpy(np.array(g)))
    np.testing.assert_allclose(xd.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_cross_entropy_with_probability_targets_matches_pytorch(float64):
    z = RNG.standard_normal((5, 3))
    q = RNG.dirichlet(np.ones(3), size=5)
    ours = F.cross_entropy(ds.tensor(z), q, label_smoothing=0.1)
    theirs = torch.nn.functional.cross_entropy(to_torch(z), torch.tensor(q), label_smoothing=0.1)
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)


def _lenet(m):
    return m.Sequential(
        m.Conv2d(1, 6, 5, padding=2), m.ReLU(), m.MaxPool2d(2),
        m.Conv2d(6, 16, 5), m.BatchNorm2d(16), m.ReLU(), m.MaxPool2d(2),
        m.Flatten(),
        m.Linear(400, 120), m.ReLU(), m.Linear(120, 84), m.ReLU(), m.Linear(84, 10),
    )  # fmt: skip


def test_lenet_weights_exchange_with_pytorch_by_key(float64):
    ours, theirs = _lenet(nn), _lenet(tnn).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    # PyTorch -> descend: load their state and get their outputs.
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = RNG.standard_normal((3, 1, 28, 28))
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(
        ours(ds.tensor(x)).data, theirs(to_torch(x, grad=False)).detach().numpy(), rtol=1e-9
    )
    # descend -> PyTorch, after a training-mode pass changed our BatchNorm statistics.
    ours.train()
    ours(ds.tensor(RNG.standard_normal((4, 1, 28, 28))))
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    assert int(theirs[4].num_batches_tracked) == 1
    theirs.train()
    compare(ours, theirs, RNG.standard_normal((4, 1, 28, 28)), rtol=1e-9, atol=1e-10)


def test_lenet_cross_entropy_gradients_match_pytorch(float64):
    ours, theirs = _lenet(nn), _lenet(tnn)
    copy_weights(ours, theirs)
    x, y = RNG.standard_normal((8, 1, 28, 28)), RNG.integers(0, 10, 8)
    nn.CrossEntropyLoss()(ours(ds.tensor(x)), y).backward()
    tnn.CrossEntropyLoss()(theirs(to_torch(x, grad=False)), torch.tensor(y)).backward()
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, grads[name].grad.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    "build",
    [lambda m: m.Linear(50, 20), lambda m: m.Conv2d(3, 8, 3), lambda m: m.Conv1d(4, 32, 5)],
)
def test_default_initialisation_has_pytorch_distribution(build):
    """Same shapes, same U(-1/sqrt(fan_in), 1/sqrt(fan_in)): equal bounds and spreads."""
    torch.manual_seed(0)
    ours, theirs = build(nn), build(tnn)
    fan_in = np.prod(theirs.weight.shape[1:])
    for (name, p), (their_name, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        q = q.detach().numpy()
        assert name == their_name and p.shape == q.shape
        assert np.abs(p.data).max() <= 1 / np.sqrt(fan_in)
        assert np.abs(q).max() <= 1 / np.sqrt(fan_in)
    np.testing.assert_allclose(
        ours.weight.data.std(), theirs.weight.detach().std().item(), rtol=0.1
    )
