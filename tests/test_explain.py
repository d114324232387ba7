import numpy as np
import pytest

from descend.explain import explain

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
    assert "HIGHER: the learning rate is too large" in result.text
    assert result.diverged_step is not None and result.diverged_step < 100
    assert "lr=0.5 is too large; try lr=0.05" in result.text


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"model": "mlp"}, "model must be 'linear' or 'logistic', got 'mlp'"),
        ({"steps": 0}, "steps must be a positive integer, got 0"),
        ({"lr": -1.0}, "lr must be positive, got -1.0"),
        ({"weights": (1.0, 2.0)}, r"weights must be three numbers \(w1, w2, b\)"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        explain(**kwargs)
