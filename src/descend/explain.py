"""One step of gradient descent on a tiny model, written out with its real numbers.

Four samples, two features, three weights: small enough that every number of the
seven steps fits on a screen: the initial weights, the forward pass, the loss of each
sample, the cost, each partial derivative (by the chain rule written out, and by
autodiff, agreeing), the simultaneous update, and the new, lower cost. The numbers
are descend's own: the forward pass and the losses are descend tensors and loss
functions, the derivatives come from ``backward()``, the update from ``optim.SGD``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from descend import optim
from descend.checks import positive_int
from descend.nn import functional as F
from descend.tensor import Tensor, no_grad

# Four samples with two features. The linear targets are exactly y = 2*x1 + 0.5*x2 + 1;
# the logistic labels cannot be split by a line, so the best weights are finite.
_X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0], [4.0, 2.0]])
_TARGETS = {"linear": np.array([4.0, 5.5, 8.5, 10.0]), "logistic": np.array([0.0, 1.0, 1.0, 0.0])}
_LR = {"linear": 0.02, "logistic": 0.1}
_NAMES = ("w1", "w2", "b")


@dataclass
class Step:
    """The numbers of one iteration (arrays over the 4 samples, or over w1, w2, b)."""

    weights: np.ndarray  # (3,) before the update: w1, w2, b
    predictions: np.ndarray  # (4,) y_hat (probabilities for the logistic model)
    losses: np.ndarray  # (4,)
    cost: float
    formula_gradient: np.ndarray  # (3,) by the chain rule written out
    autodiff_gradient: np.ndarray  # (3,) by backward()
    new_weights: np.ndarray  # (3,) after optim.SGD's step
    new_cost: float


@dataclass
class Explanation:
    """The steps taken and the text that explains them (``str(explanation)``)."""

    model: str
    X: np.ndarray
    y: np.ndarray
    lr: float
    steps: list[Step] = field(default_factory=list)
    converged_step: int | None = None
    diverged_step: int | None = None
    text: str = ""

    @property
    def stable_lr(self) -> float:
        """The learning rate below which gradient descent on this cost cannot diverge."""
        return stable_lr(self.model)

    def __str__(self) -> str:
        return self.text


def explain(
    model: str = "linear",
    steps: int = 1,
    lr: float | None = None,
    weights=(0.5, -0.5, 0.0),
    tol: float = 1e-6,
) -> Explanation:
    """Run ``steps`` iterations of gradient descent on a 4-sample model and explain them.

    Parameters
    ----------
    model : {'linear', 'logistic'}
        Linear regression (squared error) or logistic regression (log-loss).
    steps : int
        Iterations to run; training stops early once the cost changes by less than
        ``tol`` in one step (converged), and the text says so.
    lr : float, optional
        Learning rate (0.02 for linear, 0.1 for logistic).
    weights : (float, float, float)
        Initial ``w1, w2, b``.
    tol : float
        Absolute change of the cost below which the model has converged.

    Returns
    -------
    Explanation
        ``text`` (also ``str(...)``) and the numbers of every step in ``steps``.

    Examples
    --------
    >>> print(str(ds.explain()).splitlines()[0])
    One step of gradient descent, written out: linear regression on 4 samples with 2 features
    >>> steps = ds.explain("logistic", steps=50).steps
    >>> len(steps), steps[-1].cost < steps[0].cost
    (50, True)
    """
    if model not in _TARGETS:
        raise ValueError(f"model must be 'linear' or 'logistic', got {model!r}")
    positive_int(steps, "steps")
    lr = _LR[model] if lr is None else lr
    if not (lr > 0 and np.isfinite(lr)):
        raise ValueError(f"lr must be a positive, finite number, got {lr}")
    if len(weights) != 3:
        raise ValueError(f"weights must be three numbers (w1, w2, b), got {weights!r}")
    X, y = Tensor(_X), Tensor(_TARGETS[model])
    w = Tensor(np.array(weights[:2], dtype=np.float64), requires_grad=True)
    b = Tensor(np.array(weights[2:], dtype=np.float64), requires_grad=True)
    optimizer = optim.SGD([w, b], lr=lr)
    result = Explanation(model, _X.copy(), _TARGETS[model].copy(), lr)
    with np.errstate(over="ignore", invalid="ignore"):
        for number in range(1, steps + 1):
            step = _step(model, X, y, w, b, optimizer)
            result.steps.append(step)
            if abs(step.cost - step.new_cost) < tol:
                result.converged_step = number
                break
            if not step.new_cost < 1e6 * result.steps[0].cost:  # also stops at inf and nan
                result.diverged_step = number
                break
    result.text = _describe(result, tol)
    return result


def curvature(model: str) -> float:
    """L, the largest curvature of the cost over the weights (w1, w2, b).

    The Hessian of the mean squared error is ``(2/N) A^T A``, with ``A`` the inputs and a
    column of ones for ``b``; that of the log-loss is ``(1/N) A^T S A`` with ``S`` the
    ``p(1 - p)`` of each sample, at most 1/4. L is the largest eigenvalue (for the
    log-loss, of its bound): exact for the linear model, an upper bound for the logistic.
    """
    A = np.c_[_X, np.ones(len(_X))]
    scale = 2.0 if model == "linear" else 0.25
    return float(np.linalg.eigvalsh(scale / len(_X) * A.T @ A).max())


def stable_lr(model: str) -> float:
    """2/L: gradient descent with a smaller learning rate lowers the cost at every step
    (an L-smooth convex cost); above it, the linear model's cost grows without bound."""
    return 2.0 / curvature(model)


def _safe_lr(model: str) -> float:
    """1/L rounded down to one significant digit: a learning rate to suggest."""
    value = 1.0 / curvature(model)
    unit = 10.0 ** np.floor(np.log10(value))
    return float(np.floor(value / unit) * unit)


def _forward(model: str, X: Tensor, y: Tensor, w: Tensor, b: Tensor):
    """The predictions and the loss of each sample, as descend tensors."""
    z = X @ w + b
    if model == "linear":
        return z, F.mse_loss(z, y, reduction="none")
    return z.sigmoid(), F.binary_cross_entropy_with_logits(z, y, reduction="none")


def _step(model: str, X: Tensor, y: Tensor, w: Tensor, b: Tensor, optimizer) -> Step:
    weights = np.concatenate([w.data, b.data])
    predictions, losses = _forward(model, X, y, w, b)
    cost = losses.mean()
    optimizer.zero_grad()
    cost.backward()
    autodiff = np.concatenate([w.grad, b.grad])
    # The chain rule by hand: dJ/dw_j = (c/N) * sum(error_i * x_ij), c = 2 for the squared
    # error and 1 for the log-loss of a sigmoid, whose derivative cancels to p - y.
    error = predictions.data - y.data
    scale = (2.0 if model == "linear" else 1.0) / len(error)
    formula = scale * np.array([(error * _X[:, 0]).sum(), (error * _X[:, 1]).sum(), error.sum()])
    optimizer.step()  # all three weights move at once, each by its own derivative
    with no_grad():
        new_cost = _forward(model, X, y, w, b)[1].mean().item()
    return Step(
        weights,
        predictions.data.copy(),
        losses.data.copy(),
        cost.item(),
        formula,
        autodiff,
        np.concatenate([w.data, b.data]),
        new_cost,
    )


# -- the text ------------------------------------------------------------------------------
def _n(value: float) -> str:
    """A number for the text: 4 decimals, or scientific notation when that would hide it."""
    value = float(value)
    return f"{value:.4f}" if value == 0 or 1e-3 <= abs(value) < 1e6 else f"{value:.3e}"


def _p(value: float) -> str:
    """A number inside a formula: parenthesised when negative."""
    return f"({_n(value)})" if value < 0 else _n(value)


def _describe(result: Explanation, tol: float) -> str:
    linear = result.model == "linear"
    lines = [
        f"One step of gradient descent, written out: {result.model} regression on 4 samples "
        "with 2 features",
        "  model:  "
        + ("y_hat = w1*x1 + w2*x2 + b" if linear else "p = sigmoid(z), z = w1*x1 + w2*x2 + b"),
        "  loss:   "
        + ("(y_hat - y)^2" if linear else "-(y*log(p) + (1 - y)*log(1 - p))")
        + f"     cost J = mean of the 4 losses     learning rate lr = {result.lr:g}",
        "",
        "  sample     x1      x2       y",
    ]
    lines += [
        f"  {i + 1:>6} {x[0]:>6.2f}  {x[1]:>6.2f}  {t:>6.2f}"
        for i, (x, t) in enumerate(zip(result.X, result.y))
    ]
    lines += ["", *_describe_step(result, result.steps[0])]
    if len(result.steps) > 1:
        which = "Step 2" if len(result.steps) == 2 else f"Steps 2 to {len(result.steps)}"
        lines += ["", f"{which}: the same seven parts, one line each"]
    shown = [(number, step) for number, step in enumerate(result.steps[1:], start=2)]
    if len(shown) > 40:  # keep the text readable: the first and the last steps
        hidden = len(shown) - 30
        shown = [*shown[:15], (None, hidden), *shown[-15:]]
    for number, step in shown:
        lines.append(
            f"   ... {step} steps not shown ..." if number is None else _summary(number, step)
        )
    lines += ["", _verdict(result, tol)]
    return "\n".join(lines).rstrip("\n")


def _verdict(result: Explanation, tol: float) -> str:
    """What the numbers say, and what to change: follows the costs, not the step count."""
    first, last = result.steps[0], result.steps[-1]
    went = f"the cost went from {_n(first.cost)} to {_n(last.new_cost)}"
    limit = f"2/L = {result.stable_lr:.4g}"
    if result.model == "linear":
        limit = f"On this cost gradient descent is stable below lr = {limit}, L = " + (
            f"{curvature(result.model):.4g} being its largest curvature"
        )
    else:
        limit = f"On this cost gradient descent is sure to be stable below lr = {limit}, " + (
            f"L = {curvature(result.model):.4g} bounding its curvature"
        )
    suggestion = _safe_lr(result.model)
    if result.diverged_step is not None or not last.new_cost <= first.cost:
        if result.diverged_step is not None:
            said = (
                f"Diverged at step {result.diverged_step}: {went}. Each step overshoots the "
                f"minimum by more than it started from"
            )
        else:
            said = (
                f"After {_count(len(result.steps))} the cost is higher than at the start: "
                f"{went}. The steps overshoot the minimum"
            )
        return f"{said}: lr={result.lr:g} is too large. {limit}; try lr={suggestion:g}."
    if result.converged_step is not None:
        return (
            f"Converged at step {result.converged_step}: the cost changed by "
            f"{_n(abs(last.cost - last.new_cost))}, less than tol={tol:g}. Final cost "
            f"{_n(last.new_cost)}, weights " + _weights(last.new_weights) + "."
        )
    if len(result.steps) == 1:
        return ""
    change = last.new_cost - last.cost
    how = "still falling (by" if change < 0 else "still changing (up by"
    said = (
        f"After {_count(len(result.steps))} {went} and is {how} {_n(abs(change))} in the last "
        f"step): not converged yet; try more steps"
    )
    if result.lr < 0.2 * suggestion:
        said += (
            f", or a larger lr: up to {suggestion:g} is safe here (stable below "
            f"2/L = {result.stable_lr:.4g})"
        )
    return said + "."


def _count(steps: int) -> str:
    return f"{steps} step{'s' * (steps != 1)}"


def _weights(w: np.ndarray) -> str:
    return "  ".join(f"{name} = {_n(v)}" for name, v in zip(_NAMES, w))


def _describe_step(result: Explanation, s: Step) -> list[str]:
    linear = result.model == "linear"
    X, y, n = result.X, result.y, len(result.y)
    w1, w2, b = s.weights
    out = ["1. Initial weights", f"   {_weights(s.weights)}", ""]
    out.append(
        "2. Forward pass: "
        + (
            "y_hat = w1*x1 + w2*x2 + b"
            if linear
            else "z = w1*x1 + w2*x2 + b, p = sigmoid(z) = 1/(1 + e^-z)"
        )
    )
    for i in range(n):
        z = w1 * X[i, 0] + w2 * X[i, 1] + b
        sum_text = f"{_p(w1)}*{_n(X[i, 0])} + {_p(w2)}*{_n(X[i, 1])} + {_p(b)}"
        tail = f" = {_n(z)}" if linear else f" = {_n(z)},  p = {_n(s.predictions[i])}"
        out.append(f"   sample {i + 1}: {sum_text}{tail}")
    out += [
        "",
        "3. Loss of each sample: "
        + ("(y_hat - y)^2" if linear else "-(y*log(p) + (1 - y)*log(1 - p))"),
    ]
    for i in range(n):
        if linear:
            term = f"({_n(s.predictions[i])} - {_n(y[i])})^2"
        else:
            which = "p" if y[i] == 1 else "1 - p"
            term = f"-log({which}) = -log({_n(_chosen(s.predictions[i], y[i]))})"
        out.append(f"   sample {i + 1}: {term} = {_n(s.losses[i])}")
    total = " + ".join(_n(v) for v in s.losses)
    out += ["", "4. Cost: the mean of the losses", f"   J = ({total}) / {n} = {_n(s.cost)}", ""]
    scale, what = ("2/N", "(y_hat - y)") if linear else ("1/N", "(p - y)")
    out.append("5. Partial derivatives: the chain rule written out, and autodiff (backward())")
    error = s.predictions - y
    for j, name in enumerate(_NAMES):
        feature = f" * x{j + 1}" if j < 2 else ""
        terms = " + ".join(
            f"{_p(e)}*{_n(X[i, j])}" if j < 2 else _p(e) for i, e in enumerate(error)
        )
        agree = (
            "agree"
            if np.isclose(s.formula_gradient[j], s.autodiff_gradient[j], rtol=1e-9, atol=1e-12)
            else "DISAGREE"
        )
        out.append(f"   dJ/d{name} = {scale} * sum({what}{feature})")
        out.append(f"          = ({scale.replace('N', str(n))}) * ({terms})")
        out.append(
            f"          = {_n(s.formula_gradient[j])}    autodiff: "
            f"{_n(s.autodiff_gradient[j])}    {agree}"
        )
    out += [
        "",
        "6. Simultaneous update: every weight steps against its own derivative, all of them",
        f"   computed at the old weights: w := w - lr * dJ/dw  (lr = {result.lr:g}, optim.SGD)",
    ]
    for j, name in enumerate(_NAMES):
        out.append(
            f"   {name} = {_n(s.weights[j])} - {result.lr:g} * {_p(s.autodiff_gradient[j])}"
            f" = {_n(s.new_weights[j])}"
        )
    change = s.new_cost - s.cost
    if not np.isfinite(s.new_cost):
        verdict = "it overflowed: the learning rate is far too large"
    elif change < 0:
        verdict = f"lower by {_n(abs(change))}"
    else:
        verdict = f"HIGHER by {_n(abs(change))}: the learning rate is too large"
    out += [
        "",
        "7. New cost with the new weights",
        f"   J = {_n(s.new_cost)}   (was {_n(s.cost)}: {verdict})",
    ]
    return out


def _chosen(p: float, y: float) -> float:
    return p if y == 1 else 1 - p


def _summary(number: int, s: Step) -> str:
    grad = ", ".join(_n(g) for g in s.autodiff_gradient)
    return (
        f"step {number:>3}: J = {_n(s.cost)}  gradient ({grad})  -> "
        f"{_weights(s.new_weights)}  new J = {_n(s.new_cost)}"
    )
