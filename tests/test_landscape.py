"""descend.landscape on the convex problems: the runs, the grid, the minimum, the settings."""

import itertools

import numpy as np
import pytest

from descend.data import TensorDataset
from descend.landscape import PROBLEMS, compute_landscape, make_data, make_problem
from descend.landscape.minima import Minimum, settled_in
from descend.tensor import Tensor


@pytest.fixture(scope="module")
def lr_landscape():
    return compute_landscape("linear", "lr", resolution=41)


@pytest.fixture(scope="module")
def optimizer_landscape():
    return compute_landscape("linear", "optimizers", resolution=41)


@pytest.fixture(scope="module")
def strategy_landscape():
    return compute_landscape("linear", "strategies", epochs=10, resolution=41)


def test_every_path_starts_at_the_start(lr_landscape, optimizer_landscape, strategy_landscape):
    for land in (lr_landscape, optimizer_landscape, strategy_landscape):
        np.testing.assert_array_equal(land.start, [-2.5, -1.0])
        assert land.starts.shape == (1, 2)
        for run in land.paths:
            np.testing.assert_allclose(run.weights[0], land.start, rtol=0, atol=1e-6)
            np.testing.assert_allclose(run.costs[0], land.start_cost, rtol=1e-5)
            assert len(run.costs) == len(run.weights) == run.updates + 1


def test_the_minimum_is_least_squares(lr_landscape):
    x, y = make_data("linear")
    slope, intercept = np.polyfit(x[:, 0], y, 1)
    np.testing.assert_allclose(lr_landscape.minimum, [intercept, slope], rtol=1e-10)
    residuals = y - intercept - slope * x[:, 0]
    np.testing.assert_allclose(lr_landscape.cost_at(lr_landscape.minimum), np.mean(residuals**2))
    (only,) = lr_landscape.minima
    assert only.kind == "global" and only.cost == pytest.approx(np.mean(residuals**2))


def test_the_grid_is_the_cost_at_each_point(lr_landscape):
    land = lr_landscape
    x, y = land.X[:, 0], land.y
    for i, j in [(0, 0), (7, 30), (40, 12)]:
        w0, w1 = land.w0[j], land.w1[i]
        np.testing.assert_allclose(land.cost[i, j], np.mean((w0 + w1 * x - y) ** 2), rtol=1e-12)
    assert land.cost.shape == (41, 41)


def test_the_gradient_at_the_start_is_the_slope_of_the_cost(lr_landscape):
    land, eps = lr_landscape, 1e-5
    numeric = [
        (land.cost_at(land.start + d) - land.cost_at(land.start - d))[0] / (2 * eps)
        for d in (np.array([eps, 0]), np.array([0, eps]))
    ]
    np.testing.assert_allclose(land.gradient, numeric, rtol=1e-6)


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_the_model_that_trains_has_the_cost_that_is_drawn(name):
    """The Trainer's model and loss at weights w give the problem's vectorised cost at w."""
    task = make_problem(name)
    X, y = TensorDataset(task.X, task.y)[:]  # in the default dtype, as training sees them
    for w in ([0.3, -0.7], [1.2, 0.4]):
        model = task.model(np.array(w))
        np.testing.assert_allclose(task.weights(model), w, rtol=1e-6)
        cost = task.loss()(model(Tensor(X)), Tensor(y)).item()
        np.testing.assert_allclose(cost, task.cost(np.array([w]))[0], rtol=1e-5)


def test_learning_rates_too_small_good_too_large(lr_landscape):
    small, good, large = lr_landscape.paths
    assert [r.settings["role"] for r in (small, good, large)] == ["too small", "good", "too large"]
    assert small.settings["lr"] < good.settings["lr"] < large.settings["lr"]
    distance = np.linalg.norm(lr_landscape.start - lr_landscape.minimum)
    good_end = np.linalg.norm(good.weights[-1] - lr_landscape.minimum)
    small_end = np.linalg.norm(small.weights[-1] - lr_landscape.minimum)
    assert good_end < 0.05 * distance  # the good rate ends near the least-squares minimum
    assert small_end > 0.3 * distance  # the small one is still crawling
    assert np.all(np.diff(small.costs) < 0) and np.all(np.diff(good.costs) <= 1e-6)
    assert large.diverged and not good.diverged and not small.diverged
    assert large.costs[-1] > 100 * large.costs[0]  # the cost grows ...
    assert np.all(np.diff(large.costs[3:]) > 0)  # ... step after step
    assert large.updates < 40  # stopped once far away
    assert good.minimum is lr_landscape.minima[0] and good.outcome.startswith("global minimum")
    assert small.minimum is None and small.outcome.startswith("did not settle")
    assert large.minimum is None and large.outcome == "diverged"


def test_optimizer_paths_differ(optimizer_landscape):
    runs = optimizer_landscape.paths
    names = [r.settings["optimizer"] for r in runs]
    assert names == ["SGD", "SGD", "SGD", "Adagrad", "RMSprop", "Adam"]
    assert [r.label.split(" lr")[0] for r in runs] == [
        "SGD", "momentum 0.9", "Nesterov 0.9", "AdaGrad", "RMSProp", "Adam",
    ]  # fmt: skip
    for a, b in itertools.combinations(runs, 2):
        assert np.abs(a.weights - b.weights).max() > 0.05, (a.label, b.label)
    for run in runs:
        assert run.updates == 60 and run.costs[-1] < 0.02 * run.costs[0]


def test_the_paths_are_the_optimizers_real_trajectories(optimizer_landscape):
    """Batch gradient descent by hand, in float64, gives the SGD run's path."""
    land = optimizer_landscape
    sgd = land.paths[0]
    lr, x, y = sgd.settings["lr"], land.X[:, 0], land.y
    w = land.start.copy()
    path = [w.copy()]
    for _ in range(sgd.updates):
        error = w[0] + w[1] * x - y
        w -= lr * 2 * np.array([error.mean(), (error * x).mean()])
        path.append(w.copy())
    np.testing.assert_allclose(sgd.weights, path, atol=2e-5)


def test_strategies_make_one_update_per_batch(strategy_landscape):
    batch, mini, single = strategy_landscape.paths
    n = len(strategy_landscape.X)
    assert (batch.updates, mini.updates, single.updates) == (10, 10 * n // 8, 10 * n)
    assert [r.settings["batch_size"] for r in (batch, mini, single)] == ["full", 8, 1]
    assert len({r.settings["lr"] for r in (batch, mini, single)}) == 1

    def wiggle(run):  # path length over distance travelled: 1 for a straight line
        steps = np.linalg.norm(np.diff(run.weights, axis=0), axis=1).sum()
        return steps / np.linalg.norm(run.weights[-1] - run.weights[0])

    assert wiggle(batch) < wiggle(mini) < wiggle(single)


def test_the_stochastic_runs_follow_the_seed():
    a = compute_landscape("linear", "strategies", epochs=2, resolution=11, seed=3)
    b = compute_landscape("linear", "strategies", epochs=2, resolution=11, seed=3)
    c = compute_landscape("linear", "strategies", epochs=2, resolution=11, seed=4)
    np.testing.assert_array_equal(a.paths[2].weights, b.paths[2].weights)
    assert a.paths[2].weights.shape == c.paths[2].weights.shape
    assert not np.array_equal(a.paths[2].weights, c.paths[2].weights)


def test_logistic_landscape():
    land = compute_landscape("logistic", "lr", resolution=31)
    task = make_problem("logistic")
    np.testing.assert_array_equal(task.X, land.X)
    eps = 1e-6
    for d in (np.array([eps, 0]), np.array([0, eps])):  # the minimum is flat
        slope = (task.cost((land.minimum + d)[None]) - task.cost((land.minimum - d)[None])) / eps
        assert abs(slope[0]) < 1e-6
    small, good, large = land.paths
    assert np.linalg.norm(good.weights[-1] - land.minimum) < 1e-3
    # Too large: the log-loss flattens far out, so the weights bounce across the valley
    # for ever instead of flying off, ending higher than the good rate did.
    assert not large.diverged and large.costs[-1] > good.costs[-1] + 0.05
    assert large.outcome.startswith("did not settle")
    assert land.weight_names == ("w0 (weight of x1)", "w1 (weight of x2)")


def test_custom_settings_are_used():
    land = compute_landscape(
        "linear", "lr", start=(0.0, 0.0), lrs=(0.01, 0.05, 0.1), epochs=5, resolution=11
    )
    assert [r.settings["lr"] for r in land.paths] == [0.01, 0.05, 0.1]
    np.testing.assert_array_equal(land.paths[0].weights[0], [0.0, 0.0])
    assert all(r.updates == 5 for r in land.paths)


def test_several_starts_run_every_setting_from_each():
    starts = [(-2.5, -1.0), (4.0, 5.0)]
    land = compute_landscape("linear", "lr", start=starts, epochs=5, resolution=11)
    np.testing.assert_array_equal(land.starts, starts)
    assert [(r.start_index, r.setting_index) for r in land.paths] == [
        (0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2),
    ]  # fmt: skip
    for run in land.paths:
        np.testing.assert_allclose(run.weights[0], starts[run.start_index], atol=1e-6)
    np.testing.assert_allclose(land.start_costs, land.cost_at(np.array(starts)))
    assert land.gradients.shape == (2, 2)
    text = land.summary()
    assert "start A (-2.5, -1), cost" in text and "start B (4, 5), cost" in text
    assert "lr=0.303 (too large) from B" in text


def test_summary_names_the_minimum_and_each_end(lr_landscape):
    text = lr_landscape.summary()
    assert "global minimum at (1.5587, 2.0667), cost 0.2881 (least squares)" in text
    assert "start (-2.5, -1), cost 79.3675" in text
    rows = {line.split()[0]: line for line in text.splitlines()[3:]}
    assert rows["lr=0.135"].endswith("global minimum at (1.5587, 2.0667), cost 0.2881")
    assert rows["lr=0.303"].endswith("diverged")
    assert "did not settle: 1.82 from the global minimum" in rows["lr=0.00899"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"compare": "batch"}, "unknown compare 'batch' (choose from strategies, optimizers, lr"),
        ({"model": "mlp"}, "unknown model 'mlp' (choose from linear, logistic, local-minimum, "),
        ({"start": (1.0, np.nan)}, "start must be two finite numbers"),
        ({"start": (1.0, 2.0, 3.0)}, "start must be two finite numbers"),
        ({"start": [(1.0, 2.0), (3.0,)]}, "or a list of such pairs"),
        ({"start": "here"}, "start must be two finite numbers"),
        ({"compare": "lr", "lrs": (0.1, 0.2)}, "lrs must be three positive learning rates"),
        ({"model": "rosenbrock", "compare": "strategies"}, "needs samples to batch"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        compute_landscape(**kwargs)


def test_settling():
    """A path settled when its last tenth stays near one minimum, noisy or not."""
    minima = [
        Minimum(np.array([0.0, 0.0]), 0.0, "global"),
        Minimum(np.array([3.0, 0]), 1.0, "local"),
    ]
    t = np.linspace(0, 1, 50)[:, None]
    arriving = np.array([3.0, 2.0]) * (1 - t) ** 6  # reaches (0, 0)
    assert settled_in(arriving, minima, radius=0.1)[0] is minima[0]
    crawling = np.array([3.0, 2.0]) * (1 - 0.5 * t)  # still on its way
    assert settled_in(crawling, minima, radius=0.1)[0] is None
    rng = np.random.default_rng(0)
    noisy = np.array([3.0, 0.0]) + rng.normal(0, 0.1, (200, 2))  # wandering around (3, 0)
    reached, spread = settled_in(noisy, minima, radius=0.1, noisy=True)
    assert reached is minima[1] and 0.1 < spread < 0.5
    assert settled_in(noisy, minima, radius=0.1)[0] is None  # from full batches: not at rest
    bouncing = np.array([[(-1) ** k * 2.0, 0.0] for k in range(40)])  # across (0, 0)
    assert settled_in(bouncing, minima, radius=0.1)[0] is None
    assert settled_in(np.full((10, 2), np.inf), minima, radius=0.1)[0] is None
