"""The playground's paths are descend's runs; every input is checked and bounded."""

import numpy as np
import pytest

from descend import landscape, optim
from descend.live.playground import PlaygroundError, Settings, board, parse_start, path


def test_a_path_is_the_run_of_descends_own_optimizer():
    run, gradients = path(
        Settings(
            problem="linear",
            optimizer="momentum",
            lr=0.05,
            momentum=0.8,
            steps=30,
            start=(-1.0, 2.0),
        )
    )
    land = board("linear")
    model = land.problem.model(np.array([-1.0, 2.0]))
    sgd = optim.SGD(model.parameters(), lr=0.05, momentum=0.8)
    expected = [land.problem.weights(model)]
    loss = land.problem.loss()
    import descend as ds

    X, y = ds.tensor(land.X, dtype=np.float32), ds.tensor(land.y, dtype=np.float32)
    for _ in range(30):  # batch gradient descent by hand
        sgd.zero_grad()
        loss(model(X), y).backward()
        sgd.step()
        expected.append(land.problem.weights(model))
    np.testing.assert_allclose(run.weights, np.array(expected), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gradients, land.problem.gradients(run.weights))
    assert run.updates == 30 and run.label == "momentum lr=0.05 m=0.8"


def test_it_tells_the_minimum_reached_as_descend_landscape_does():
    land = landscape.compute_landscape("local-minimum", "optimizers", resolution=101)
    sgd = land.paths[0]  # 'SGD lr=...' from the problem's start, on the full batch
    run, _ = path(Settings(problem="local-minimum", optimizer="sgd", lr=sgd.settings["lr"],
                           steps=sgd.updates))  # fmt: skip
    np.testing.assert_allclose(run.weights, sgd.weights)
    assert run.outcome == sgd.outcome and run.minimum.kind == "local"


def test_a_learning_rate_too_large_diverges_and_says_so():
    run, _ = path(Settings(problem="linear", lr=5.0, steps=200))
    assert run.diverged and run.outcome == "diverged" and run.updates < 200


def test_mini_batches_and_single_samples_make_as_many_updates_as_asked():
    for strategy in ("mini-batch", "stochastic"):
        run, _ = path(Settings(strategy=strategy, batch_size=8, steps=13, lr=0.05))
        assert run.updates == 13


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lr": 0.0}, "learning rate must be a number from 1e-05 to 100, got 0.0"),
        ({"lr": float("nan")}, "learning rate must be"),
        ({"lr": 1e9}, "learning rate must be"),
        ({"steps": 10**9}, "steps must be a whole number from 1 to 1000, got 1000000000"),
        ({"steps": 2.5}, "steps must be a whole number"),
        ({"momentum": 1.5}, "momentum must be"),
        ({"beta2": -1}, "beta2 must be"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of sgd, momentum"),
        ({"problem": "../etc"}, "problem must be one of linear"),
        ({"strategy": "mini-batch", "batch_size": 0}, "batch size must be a whole number from 1"),
        ({"start": (1e300, 0)}, "start must be two finite numbers within"),
        ({"start": (float("inf"), 0)}, "start must be two finite numbers"),
        ({"problem": "rosenbrock", "strategy": "stochastic"}, "no samples to batch"),
    ],
)
def test_every_input_is_checked_and_bounded(change, message):
    with pytest.raises(PlaygroundError, match=message.replace("(", r"\(")):
        path(Settings(**change))


def test_a_typed_start_is_two_numbers():
    assert parse_start("1.5, -2") == (1.5, -2.0)
    with pytest.raises(PlaygroundError, match="start must be two numbers 'w0, w1', got 'abc'"):
        parse_start("abc")


@pytest.mark.parametrize(
    ("control", "value", "message"),
    [
        ("steps", 10**9, "steps must be a whole number from 1 to 1000"),
        ("lr", 400.0, "learning rate must be a number from 1e-05 to 100, got nan"),
        ("lr", 3.0, "learning rate must be a number from 1e-05 to 100, got 1000.0"),
        ("momentum", -5.0, "momentum must be"),
        ("optimizer", "<script>", "optimizer must be one of sgd"),
        ("problem", "../../etc/passwd", "problem must be one of linear"),
        ("strategy", 9, "strategy must be one of batch"),
    ],
)
def test_the_page_says_what_is_wrong_with_a_value_its_controls_cannot_send(control, value, message):
    # Values only a crafted websocket message could set: the page answers with a message.
    from bokeh.document import Document

    from descend.live.playground_page import Playground

    page = Playground(Document())
    before = dict(page.path_source.data)
    widget = getattr(page, control)
    setattr(widget, "active" if control == "strategy" else "value", value)
    assert message in page.message.text and "#cc0000" in page.message.text
    assert "&lt;script&gt;" in page.message.text or "<script>" not in page.message.text
    if control == "problem":
        assert page.path_source.data == before
