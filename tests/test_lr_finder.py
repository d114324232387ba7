import numpy as np
import pytest

from descend import nn, optim
from descend.data import DataLoader, TensorDataset
from descend.lr_finder import LRFinderResult, lr_find, suggest
from descend.models import MLP, LinearRegression


def regression_data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.normal(size=n)).astype(np.float32)
    return X, y


def classification_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1)


def snapshot(optimizer) -> dict:
    return optimizer.state_dict()


def assert_same_state(a, b):
    """Two optimizer state dicts equal to the bit (arrays compared exactly)."""
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys()
    for key in a["state"]:
        assert a["state"][key].keys() == b["state"][key].keys()
        for name, value in a["state"][key].items():
            other = b["state"][key][name]
            if isinstance(value, np.ndarray):
                assert value.dtype == other.dtype and np.array_equal(value, other), (key, name)
            else:
                assert value == other, (key, name)


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda p: optim.Adam(p, lr=3e-3),
        lambda p: optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True),
        lambda p: optim.RMSprop(p, lr=1e-3),
    ],
)
def test_weights_and_optimizer_state_are_restored_to_the_bit(make_optimizer):
    X, y = classification_data()
    model = MLP([5, 16, 3])
    optimizer = make_optimizer(model.parameters())
    loss = nn.CrossEntropyLoss()
    for _ in range(3):  # some real training first, so the optimizer has state to keep
        optimizer.zero_grad()
        loss(model(X), y).backward()
        optimizer.step()
    model.eval()
    weights, state = model.state_dict(), snapshot(optimizer)
    result = lr_find(model, loss, optimizer, (X, y), num_steps=30, batch_size=16, seed=0)
    assert len(result.lrs) > 10
    after = model.state_dict()
    for name, value in weights.items():
        assert after[name].dtype == value.dtype and np.array_equal(after[name], value), name
    assert_same_state(snapshot(optimizer), state)
    assert not model.training  # the mode it had
    # The optimizer goes on exactly as if the test never happened.
    twin = MLP([5, 16, 3])
    twin.load_state_dict(weights)
    twin_optimizer = make_optimizer(twin.parameters())
    twin_optimizer.load_state_dict(state)
    for m, o in ((model, optimizer), (twin, twin_optimizer)):
        o.zero_grad()
        loss(m(X), y).backward()
        o.step()
    for a, b in zip(model.parameters(), twin.parameters()):
        assert np.array_equal(a.data, b.data)


def test_a_loaders_shuffling_is_restored_too():
    X, y = regression_data()
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, seed=5)
    before = loader.state_dict()
    model = LinearRegression(4)
    lr_find(model, nn.MSELoss(), optim.SGD(model.parameters()), loader, num_steps=20)
    assert loader.state_dict() == before


def test_learning_rates_rise_geometrically_from_start_to_end():
    X, y = regression_data()
    model = LinearRegression(4)
    # No explosion possible with a tiny range: the whole schedule runs.
    result = lr_find(model, nn.MSELoss(), optim.SGD(model.parameters()), (X, y),
                     start_lr=1e-6, end_lr=1e-3, num_steps=25, seed=0)  # fmt: skip
    assert len(result.lrs) == len(result.losses) == len(result.raw_losses) == 25
    np.testing.assert_allclose(result.lrs[[0, -1]], [1e-6, 1e-3])
    ratios = result.lrs[1:] / result.lrs[:-1]
    np.testing.assert_allclose(ratios, 1000 ** (1 / 24))
    assert not result.stopped_early


def test_the_smoothed_loss_is_the_bias_corrected_average():
    X, y = regression_data()
    model = LinearRegression(4)
    result = lr_find(model, nn.MSELoss(), optim.SGD(model.parameters()), (X, y),
                     num_steps=15, smoothing=0.8, seed=0)  # fmt: skip
    average, expected = 0.0, []
    for i, loss in enumerate(result.raw_losses, start=1):
        average = 0.8 * average + 0.2 * loss
        expected.append(average / (1 - 0.8**i))
    np.testing.assert_allclose(result.losses, expected, rtol=1e-12)


def test_the_suggestion_is_below_where_gradient_descent_diverges():
    """Linear regression with MSE: full-batch gradient descent diverges above 2 / lambda_max."""
    X, y = regression_data()
    hessian = 2 * np.c_[X, np.ones(len(X))].T @ np.c_[X, np.ones(len(X))] / len(X)
    edge = 2 / np.linalg.eigvalsh(hessian.astype(np.float64))[-1]
    model = LinearRegression(4)
    result = lr_find(model, nn.MSELoss(), optim.SGD(model.parameters()), (X, y),
                     batch_size="full", num_steps=100)  # fmt: skip
    assert result.stopped_early and len(result.lrs) < 100
    assert result.lrs[-1] > edge  # it stopped because the loss exploded past the edge
    assert 1e-4 < result.suggestion < edge
    assert result.suggestion < result.best_lr
    assert "suggested lr" in str(result) and "stopped when the loss exploded" in str(result)


def test_suggest_finds_the_steepest_fall_before_the_minimum():
    lrs = np.logspace(-6, 1, 71)
    x = np.log10(lrs)
    losses = 2 - np.tanh(2 * (x + 2)) + np.where(x > -0.5, 40 * (x + 0.5) ** 2, 0)
    assert suggest(lrs, losses) == pytest.approx(1e-2)  # tanh falls fastest at x = -2
    assert suggest(lrs, np.linspace(1, 5, 71)) is None  # the loss never fell
    assert suggest(lrs[:2], np.array([1.0, 0.5])) is None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"start_lr": 1.0, "end_lr": 0.1}, "need 0 < start_lr < end_lr"),
        ({"num_steps": 1}, "num_steps must be an integer >= 2"),
        ({"smoothing": 1.0}, r"smoothing must be in \[0, 1\)"),
        ({"diverge_factor": 1.0}, "diverge_factor must be > 1"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    X, y = regression_data()
    model = LinearRegression(4)
    with pytest.raises(ValueError, match=message):
        lr_find(model, nn.MSELoss(), optim.SGD(model.parameters()), (X, y), **kwargs)


def test_bad_data_is_named():
    model = LinearRegression(4)
    with pytest.raises(TypeError, match="a DataLoader or an .X, y. pair of arrays, got str"):
        lr_find(model, nn.MSELoss(), optim.SGD(model.parameters()), "data.csv")


def test_the_result_is_a_plain_record():
    result = LRFinderResult(np.array([1e-3, 1e-2]), np.array([1.0, 0.5]), np.array([1.0, 0.4]),
                            None, False)  # fmt: skip
    assert result.best_lr == 1e-2
    assert "suggested lr: none" in str(result)
