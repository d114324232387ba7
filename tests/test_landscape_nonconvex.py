"""Non-convex landscapes: the minima are found, and the runs tell the story.

Plain gradient descent stops in a local minimum; momentum, Nesterov and the noise of
single-sample batches carry past it; different starts end in different minima; plain
SGD crawls along Rosenbrock's valley. Every claim is checked on the real runs.
"""

import numpy as np
import pytest

from descend.landscape import compute_landscape, find_minima, make_problem

# Himmelblau's minima: (3, 2) exactly; the others to 6 decimals (published values).
HIMMELBLAU = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]


@pytest.fixture(scope="module")
def local_optimizers():
    return compute_landscape("local-minimum", "optimizers", resolution=21)


def _by_label(land):
    return {run.label.split(" lr")[0]: run for run in land.paths}


def test_rosenbrock_has_one_minimum_at_one_one():
    (minimum,) = find_minima(make_problem("rosenbrock"))
    np.testing.assert_allclose(minimum.weights, [1.0, 1.0], atol=1e-9)
    assert minimum.kind == "global" and minimum.cost < 1e-18


def test_himmelblau_has_four_equal_minima_and_no_saddle_among_them():
    task = make_problem("himmelblau")
    minima = task.minima
    assert len(minima) == 4 and all(m.kind == "global" and m.cost < 1e-18 for m in minima)
    found = sorted(tuple(m.weights) for m in minima)
    np.testing.assert_allclose(found, sorted(HIMMELBLAU), atol=1e-6)
    # The maximum near (-0.27, -0.92) and the four saddles also have zero gradient; they
    # are not minima. Newton's method from there stays there, and the filter drops it.
    near_max = np.array([[-0.270845, -0.923039]])
    assert np.abs(task.gradients(near_max)).max() < 1e-3
    assert np.all(np.linalg.eigvalsh(task.hessians(near_max)) < 0)


def test_the_local_minimum_is_a_true_minimum_beside_the_global_one():
    task = make_problem("local-minimum")
    glob, local = task.minima
    assert (glob.kind, local.kind) == ("global", "local") and glob.cost < local.cost
    points = np.array([glob.weights, local.weights])
    np.testing.assert_allclose(task.gradients(points), 0, atol=1e-10)
    # Every step away from the local minimum climbs: a valley of its own.
    angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    ring = local.weights + 0.05 * np.column_stack([np.cos(angles), np.sin(angles)])
    assert np.all(task.cost(ring) > local.cost)
    # The global one sits on the tall bump (x = -1.5, height 1), the local on the low one.
    assert glob.weights[0] < -1 < 0 < local.weights[0] and glob.weights[1] > local.weights[1]


@pytest.mark.parametrize("name", ["local-minimum", "rosenbrock", "himmelblau"])
def test_autodiff_gradient_and_hessian_match_finite_differences(name):
    task = make_problem(name)
    W = np.array([[0.3, -0.7], [1.2, 0.4], [-1.1, 0.9]])
    eps = 1e-6
    numeric = np.column_stack(
        [(task.cost(W + d) - task.cost(W - d)) / (2 * eps) for d in np.eye(2) * eps]
    )
    np.testing.assert_allclose(task.gradients(W), numeric, rtol=1e-6, atol=1e-8)
    eps = 1e-4
    second = np.stack(
        [(task.gradients(W + d) - task.gradients(W - d)) / (2 * eps) for d in np.eye(2) * eps],
        axis=2,
    )
    np.testing.assert_allclose(task.hessians(W), second, rtol=1e-5, atol=1e-8)


def test_plain_gradient_descent_stops_in_the_local_minimum(local_optimizers):
    land = local_optimizers
    glob, local = land.minima
    sgd = _by_label(land)["SGD"]
    assert sgd.minimum is local and not sgd.diverged
    np.testing.assert_allclose(sgd.weights[-1], local.weights, atol=0.02)
    assert sgd.costs[-1] == pytest.approx(local.cost, rel=1e-4)  # and stays above the global
    assert np.all(np.diff(sgd.costs) <= 1e-7)  # plain descent never climbs out
    assert sgd.outcome == "local minimum at (0.5445, 0.6283), cost 0.1232"


def test_momentum_and_nesterov_carry_past_it(local_optimizers):
    land = local_optimizers
    glob, local = land.minima
    runs = _by_label(land)
    for name in ("momentum 0.9", "Nesterov 0.9"):
        run = runs[name]
        assert run.minimum is glob, name
        np.testing.assert_allclose(run.weights[-1], glob.weights, atol=0.05)
        # It went through the local valley, and went on through it with speed: a step
        # there is over a hundred times plain SGD's last steps into that minimum.
        closest = np.argmin(np.linalg.norm(run.weights - local.weights, axis=1))
        assert np.linalg.norm(run.weights[closest] - local.weights) < 0.2, name
        speed = np.linalg.norm(run.weights[closest + 1] - run.weights[closest])
        sgd_steps = np.linalg.norm(np.diff(runs["SGD"].weights[-10:], axis=0), axis=1)
        assert speed > 100 * sgd_steps.max(), name
        assert run.outcome.startswith("global minimum at (-1.4037, 1.0123)")


def test_the_sgd_path_is_gradient_descent_on_the_drawn_cost(local_optimizers):
    """The run's first steps, recomputed in float64 from the autodiff gradient."""
    land = local_optimizers
    sgd = land.paths[0]
    w = land.start.copy()
    for k in range(1, 21):
        w = w - sgd.settings["lr"] * land.problem.gradients(w)[0]
        np.testing.assert_allclose(sgd.weights[k], w, atol=1e-4)


def test_the_noise_of_single_samples_shakes_sgd_out():
    land = compute_landscape("local-minimum", "strategies", resolution=21)
    glob, local = land.minima
    batch, mini, single = land.paths
    assert batch.settings["batch_size"] == "full" and single.settings["batch_size"] == 1
    assert batch.minimum is local  # the whole data's gradient: straight into the local valley
    assert single.minimum is glob  # one sample at a time: noise enough to leave it
    assert single.costs[-200:].mean() < local.cost  # it lives below the local minimum now
    assert "global minimum at (-1.4037, 1.0123)" in single.outcome


def test_different_starts_end_in_different_minima():
    land = compute_landscape("himmelblau", "optimizers", resolution=21)
    assert len(land.starts) == 4
    momentum = [r for r in land.paths if r.label.startswith("momentum")]
    reached = [r.minimum for r in momentum]
    assert all(m is not None for m in reached)
    assert len({id(m) for m in reached}) == 4  # each start its own minimum
    for run in momentum:  # still circling its minimum after 60 updates, none of the others
        distances = [np.linalg.norm(run.weights[-1] - m.weights) for m in land.minima]
        assert min(distances) < 0.25 and land.minima[int(np.argmin(distances))] is run.minimum


def test_plain_sgd_crawls_along_rosenbrocks_valley():
    land = compute_landscape("rosenbrock", "optimizers", resolution=21)
    runs = _by_label(land)
    for name in ("momentum 0.9", "Nesterov 0.9", "Adam"):
        assert runs[name].minimum is land.minima[0], name
        np.testing.assert_allclose(runs[name].weights[-1], [1.0, 1.0], atol=0.05)
    sgd = runs["SGD"]
    assert sgd.updates == 1000 and sgd.minimum is None and not sgd.diverged
    assert sgd.outcome.startswith("did not settle")
    # On the valley floor (w1 close to w0^2), but far from (1, 1).
    w0, w1 = sgd.weights[-1]
    assert abs(w1 - w0**2) < 0.1 and np.hypot(w0 - 1, w1 - 1) > 1
    assert sgd.costs[-1] < 0.25 * sgd.costs[0]


def test_summary_says_which_minimum(local_optimizers):
    text = local_optimizers.summary()
    lines = text.splitlines()
    assert lines[1].startswith("global minimum at (-1.4037, 1.0123), cost 0.06049")
    assert lines[2].startswith("local minimum at (0.5445, 0.6283), cost 0.1232")
    rows = {line.split(" lr=")[0]: line for line in lines if " lr=" in line}
    assert rows["SGD"].endswith("local minimum at (0.5445, 0.6283), cost 0.1232")
    assert rows["momentum 0.9"].endswith("global minimum at (-1.4037, 1.0123), cost 0.06049")


def test_learning_rate_labels_say_how_each_run_ended():
    """Himmelblau from four starts: one learning rate is good from one start and too large
    or too small from another; each label is the verdict of its own run."""
    land = compute_landscape("himmelblau", "lr", resolution=21)
    verdicts = set()
    for run in land.paths:
        verdict = run.label.split("(")[1].rstrip(")")
        verdicts.add((run.name, verdict))
        if verdict == "good":
            assert run.minimum is not None, run.outcome
        else:
            assert run.minimum is None and run.outcome.startswith(("did not settle", "diverged"))
            rose = bool((np.diff(run.costs) > 0).any()) or run.diverged
            assert rose == (verdict == "too large"), (run.label, run.start_index)
    # The same rate is judged differently from different starts, and the legend says so.
    assert {name for name, _ in verdicts} != {name for name, v in verdicts if v == "good"}
    assert land.setting_label(1) == "lr=0.00949: good (A, C, D), too small (B)"
    assert land.setting_label(2) == "lr=0.0213: good (A, B), too large (C, D)"


def test_each_start_gets_its_own_learning_rates_in_the_legend():
    land = compute_landscape("himmelblau", "optimizers", resolution=21)
    adam = [run for run in land.paths if run.name == "Adam"]
    assert [run.label for run in adam] == [f"Adam lr={run.settings['lr']:.3g}" for run in adam]
    assert len({run.settings["lr"] for run in adam}) == 4
    assert land.setting_label(5) == "Adam lr=0.188 (A), 0.135 (B), 0.184 (C), 0.144 (D)"
    assert land.setting_label(0) == "SGD lr=0.00474"  # the same from every start
