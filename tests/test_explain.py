import numpy as np
import pytest

from descend.explain import curvature, explain, stable_lr

X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0], [4.0, 2.0]])


def test_one_linear_step_by_hand():
    result = explain()
    (step,) = result.steps
    np.testing.assert_array_equal(step.weights, [0.5, -0.5, 0.0])
    np.testing.assert_allclose(step.predictions, [-0.5, 0.5, 0.0, 1.0])
    np.testing.assert_allclose(step.losses, [20.25, 25.0, 72.25, 81.0])
    assert step.cost == pytest.approx(49.625, abs=1e-12)
    np.testing.assert_allclose(step.formula_gradient, [-38.0, -28.75, -13.5], rtol=1e-12)
    np.testing.assert_allclose(step.autodiff_gradient, step.formula_gradient, rtol=1e-12)
    np.testing.assert_allclose(step.new_weights, [1.26, 0.075, 0.27], rtol=1e-12)
    assert step.new_cost == pytest.approx(50.78785 / 4, abs=1e-12)
    assert result.converged_step is None


def test_the_text_shows_the_seven_parts_with_the_real_numbers():
    text = explain().text
    for part in ("1. Initial weights", "2. Forward pass", "3. Loss of each sample",
                 "4. Cost", "5. Partial derivatives", "6. Simultaneous update",
                 "7. New cost"):  # fmt: skip
        assert part in text
    assert text.index("1. Initial") < text.index("4. Cost") < text.index("7. New cost")
    assert "sample 1: (-0.5000 - 4.0000)^2 = 20.2500" in text
    assert "J = (20.2500 + 25.0000 + 72.2500 + 81.0000) / 4 = 49.6250" in text
    assert "dJ/dw1 = 2/N * sum((y_hat - y) * x1)" in text
    assert "= -38.0000    autodiff: -38.0000    agree" in text
    assert "w1 = 0.5000 - 0.02 * (-38.0000) = 1.2600" in text
    assert "J = 12.6970   (was 49.6250: lower by 36.9280)" in text
    assert text.count("agree") == 3 and "DISAGREE" not in text
    assert str(explain()) == text


def test_logistic_step_matches_numpy():
    result = explain("logistic")
    (step,) = result.steps
    y = np.array([0.0, 1.0, 1.0, 0.0])
    z = X @ [0.5, -0.5] + 0.0
    p = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(step.predictions, p, rtol=1e-12)
    np.testing.assert_allclose(step.losses, -(y * np.log(p) + (1 - y) * np.log(1 - p)), rtol=1e-12)
    grad = np.r_[X.T @ (p - y), (p - y).sum()] / 4
    np.testing.assert_allclose(step.autodiff_gradient, grad, rtol=1e-12)
    np.testing.assert_allclose(step.formula_gradient, grad, rtol=1e-12)
    np.testing.assert_allclose(step.new_weights, step.weights - 0.1 * grad, rtol=1e-12)
    assert step.new_cost < step.cost
    assert "dJ/dw1 = 1/N * sum((p - y) * x1)" in result.text
    assert "p = sigmoid(z)" in result.text


@pytest.mark.parametrize("model", ["linear", "logistic"])
def test_steps_go_on_until_converged(model):
    result = explain(model, steps=5000)
    n = result.converged_step
    assert n is not None and len(result.steps) == n < 5000
    last = result.steps[-1]
    assert abs(last.cost - last.new_cost) < 1e-6
    costs = [s.cost for s in result.steps]
    assert all(b < a for a, b in zip(costs, costs[1:]))  # every step lowered the cost
    for before, after in zip(result.steps, result.steps[1:]):  # each step starts where one ended
        np.testing.assert_array_equal(before.new_weights, after.weights)
    assert f"Converged at step {n}" in result.text
    assert "steps not shown" in result.text  # long runs keep the text short


def test_linear_converges_to_the_exact_fit():
    last = explain(steps=20000, tol=1e-14).steps[-1]
    np.testing.assert_allclose(last.new_weights, [2.0, 0.5, 1.0], atol=1e-5)


def test_a_few_steps_say_they_have_not_converged():
    result = explain(steps=3)
    assert len(result.steps) == 3 and result.converged_step is None
    assert "Steps 2 to 3" in result.text and "not converged yet" in result.text


def test_a_learning_rate_too_large_raises_the_cost_and_diverges():
    result = explain(lr=0.5, steps=100)
    assert result.steps[0].new_cost > result.steps[0].cost
    assert "HIGHER by" in result.text and ": the learning rate is too large)" in result.text
    assert result.diverged_step is not None and result.diverged_step < 100
    assert "lr=0.5 is too large. On this cost gradient descent is stable below" in result.text
    assert result.text.endswith("try lr=0.04.")


def test_the_stable_lr_is_two_over_the_largest_curvature():
    # The linear model's Hessian is (2/N) A^T A, whatever the weights: 2/L is exact.
    A = np.c_[X, np.ones(4)]
    largest = np.linalg.eigvalsh(2 / 4 * A.T @ A).max()
    assert curvature("linear") == pytest.approx(largest) and stable_lr("linear") == 2 / largest
    below, above = (
        explain(lr=0.99 * stable_lr("linear"), steps=400),
        explain(lr=1.01 * stable_lr("linear"), steps=400),
    )
    assert below.steps[-1].new_cost < below.steps[0].cost and below.diverged_step is None
    assert above.steps[-1].new_cost > above.steps[0].cost  # grows, slowly at first


@pytest.mark.parametrize(
    ("model", "lr", "steps", "said"),
    [
        # The cost grows without reaching the divergence threshold: too large, not "too few".
        ("logistic", 1.0, 200, "After 200 steps the cost is higher than at the start"),
        ("linear", 0.081, 30, "After 30 steps the cost is higher than at the start"),
        ("linear", 1e300, 3, "Diverged at step 1: the cost went from 49.6250 to inf"),
    ],
)
def test_a_cost_that_grows_is_told_its_lr_is_too_large(model, lr, steps, said):
    text = explain(model, steps=steps, lr=lr).text
    last = text.splitlines()[-1]
    assert last.startswith(said) and "not converged yet" not in text
    assert f"lr={lr:g} is too large" in last
    assert last.endswith("try lr=0.3." if model == "logistic" else "try lr=0.04.")


def test_a_small_lr_still_falling_is_told_to_go_on_or_go_faster():
    last = explain(steps=50, lr=0.001).text.splitlines()[-1]
    assert "is still falling" in last and "not converged yet; try more steps" in last
    assert last.endswith("or a larger lr: up to 0.04 is safe here (stable below 2/L = 0.0809).")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"model": "mlp"}, "model must be 'linear' or 'logistic', got 'mlp'"),
        ({"steps": 0}, "steps must be a positive integer, got 0"),
        ({"lr": -1.0}, "lr must be a positive, finite number, got -1.0"),
        ({"lr": float("inf")}, "lr must be a positive, finite number, got inf"),
        ({"weights": (1.0, 2.0)}, r"weights must be three numbers \(w1, w2, b\)"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        explain(**kwargs)
