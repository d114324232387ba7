import numpy as np
import pytest

import descend as ds
from descend import optim
from descend.optim import lr_scheduler


def params():
    return ds.nn.Linear(3, 2).parameters()


@pytest.mark.parametrize(
    ("name", "kind", "lr", "extra"),
    [
        ("sgd", optim.SGD, 0.1, {"momentum": 0.0, "nesterov": False}),
        ("momentum", optim.SGD, 0.05, {"momentum": 0.9, "nesterov": False}),
        ("nesterov", optim.SGD, 0.05, {"momentum": 0.9, "nesterov": True}),
        ("adagrad", optim.Adagrad, 0.05, {}),
        ("rmsprop", optim.RMSprop, 0.001, {}),
        ("adam", optim.Adam, 0.001, {}),
        ("adamw", optim.AdamW, 0.001, {}),
    ],
)
def test_each_name_gives_its_optimizer_with_its_default_lr(name, kind, lr, extra):
    opt = optim.get(name, params())
    assert type(opt) is kind
    assert opt.defaults["lr"] == lr == optim.default_lr(name)
    for key, value in extra.items():
        assert opt.defaults[key] == value


def test_lr_and_hyperparameters_pass_through():
    opt = optim.get("momentum", params(), lr=0.3, momentum=0.5, weight_decay=1e-3)
    assert (opt.defaults["lr"], opt.defaults["momentum"], opt.defaults["weight_decay"]) == (
        0.3,
        0.5,
        1e-3,
    )


def test_got_by_name_steps_as_the_class_does():
    ds.manual_seed(0)
    a = ds.nn.Linear(3, 1)
    b = ds.nn.Linear(3, 1)
    b.load_state_dict(a.state_dict())
    X = ds.tensor(np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32))
    for model, opt in (
        (a, optim.get("nesterov", a.parameters(), lr=0.1)),
        (b, optim.SGD(b.parameters(), lr=0.1, momentum=0.9, nesterov=True)),
    ):
        for _ in range(3):
            opt.zero_grad()
            (model(X) ** 2).mean().backward()
            opt.step()
    np.testing.assert_array_equal(a.weight.data, b.weight.data)


def test_unknown_optimizer_suggests_the_nearest():
    with pytest.raises(ValueError, match="unknown optimizer 'adma'; did you mean 'adam'?"):
        optim.get("adma", params())


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("step", lr_scheduler.StepLR),
        ("exponential", lr_scheduler.ExponentialLR),
        ("cosine", lr_scheduler.CosineAnnealingLR),
        ("linear", lr_scheduler.LinearLR),
        ("onecycle", lr_scheduler.OneCycleLR),
        ("plateau", lr_scheduler.ReduceLROnPlateau),
    ],
)
def test_each_name_gives_its_scheduler(name, kind):
    opt = optim.get("sgd", params(), lr=0.2)
    assert type(optim.get_scheduler(name, opt, epochs=9, updates_per_epoch=4)) is kind


def test_no_schedule_is_none():
    assert optim.get_scheduler("none", optim.get("sgd", params()), epochs=3) is None


def test_schedules_fit_the_run_and_take_overrides():
    opt = optim.get("sgd", params(), lr=0.2)
    step = optim.get_scheduler("step", opt, epochs=9)
    assert (step.step_size, step.gamma) == (3, 0.1)
    assert optim.get_scheduler("step", opt, epochs=9, gamma=0.5).gamma == 0.5
    cycle = optim.get_scheduler("onecycle", optim.get("sgd", params(), lr=0.2), epochs=5,
                                updates_per_epoch=4)  # fmt: skip
    lrs = []
    for _ in range(20):
        lrs.append(cycle.get_last_lr()[0])
        cycle.optimizer.step()
        cycle.step()
    assert max(lrs) == pytest.approx(0.2, rel=0.05)  # up to the optimizer's lr, 20 updates


def test_unknown_scheduler_suggests_the_nearest():
    with pytest.raises(ValueError, match="did you mean 'cosine'"):
        optim.get_scheduler("cosin", optim.get("sgd", params()), epochs=3)


def test_the_warm_up_ends_within_half_the_run():
    opt = optim.get("sgd", params(), lr=0.001)
    assert optim.get_scheduler("linear", opt, epochs=6).total_iters == 3
    assert optim.get_scheduler("linear", opt, epochs=20).total_iters == 5
    assert optim.get_scheduler("linear", opt, epochs=6, total_iters=5).total_iters == 5
    too_long = (
        "warm-up of 100 epochs would not end before the last epoch of a 6-epoch run: at most 5"
    )
    with pytest.raises(ValueError, match=too_long):
        optim.get_scheduler("linear", opt, epochs=6, total_iters=100)
