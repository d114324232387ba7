"""The schedules: hand-computed learning-rate sequences, checkpoints and argument checks."""

import math

import numpy as np
import pytest

import descend as ds
from descend import optim
from descend.optim import lr_scheduler as sched


def sgd(lr=1.0, groups=1):
    tensors = [ds.tensor([1.0], requires_grad=True) for _ in range(groups)]
    return optim.SGD([{"params": [t]} for t in tensors], lr=lr)


def sequence(make, epochs, lr=1.0):
    """Learning rates of epochs 0..epochs-1 (the first one set by the constructor)."""
    opt = sgd(lr)
    scheduler = make(opt)
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(epochs - 1):
        opt.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    assert lrs[-1] == opt.param_groups[0]["lr"]
    return lrs


def test_step_lr():
    lrs = sequence(lambda o: sched.StepLR(o, step_size=3, gamma=0.5), 8)
    assert lrs == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]


def test_multi_step_lr_counts_repeated_milestones():
    lrs = sequence(lambda o: sched.MultiStepLR(o, milestones=[5, 2, 5], gamma=0.1), 7)
    np.testing.assert_allclose(lrs, [1, 1, 0.1, 0.1, 0.1, 0.001, 0.001], rtol=1e-15)


def test_exponential_lr():
    assert sequence(lambda o: sched.ExponentialLR(o, gamma=0.5), 4) == [1, 0.5, 0.25, 0.125]


def test_cosine_annealing_follows_the_closed_form_and_climbs_back():
    lrs = sequence(lambda o: sched.CosineAnnealingLR(o, T_max=4, eta_min=0.1), 13)
    expected = [0.1 + 0.9 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(13)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12, atol=1e-15)
    assert lrs[4] == pytest.approx(0.1) and lrs[8] == pytest.approx(1.0)


def test_linear_lr_warm_up():
    lrs = sequence(lambda o: sched.LinearLR(o, start_factor=0.25, total_iters=3), 7)
    np.testing.assert_allclose(lrs, [0.25, 0.5, 0.75, 1, 1, 1, 1], rtol=1e-15)


def test_linear_lr_decay():
    lrs = sequence(lambda o: sched.LinearLR(o, start_factor=1.0, end_factor=0.5, total_iters=2), 4)
    np.testing.assert_allclose(lrs, [1, 0.75, 0.5, 0.5], rtol=1e-15)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_one_cycle(strategy):
    def make(opt):
        return sched.OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy=strategy)

    lrs = sequence(make, 10)
    # Up over steps 0..2 from 1/25 to 1 (halfway at step 1 for both strategies), then
    # down over steps 2..9 to 1/25/1e4.
    np.testing.assert_allclose(lrs[:3], [0.04, 0.52, 1.0], rtol=1e-14)
    assert lrs[9] == pytest.approx(4e-6, rel=1e-12)
    assert all(a > b for a, b in zip(lrs[2:], lrs[3:]))


def test_one_cycle_three_phase_and_per_group_max_lr():
    opt = sgd(groups=2)
    scheduler = sched.OneCycleLR(
        opt,
        max_lr=[1.0, 2.0],
        epochs=2,
        steps_per_epoch=5,
        pct_start=0.3,
        three_phase=True,
        anneal_strategy="linear",
    )
    lrs = [scheduler.get_last_lr()]
    for _ in range(9):
        opt.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
    lrs = np.array(lrs)
    np.testing.assert_allclose(lrs[:, 1], 2 * lrs[:, 0], rtol=1e-14)
    np.testing.assert_allclose(lrs[:5, 0], [0.04, 0.52, 1.0, 0.52, 0.04], rtol=1e-14)
    assert lrs[9, 0] == pytest.approx(4e-6)
    with pytest.raises(ValueError, match="stepped 11 times, its cycle has only 10 steps"):
        scheduler.step()
        scheduler.step()


def plateau(metrics, lr=1.0, **kwargs):
    opt = sgd(lr)
    scheduler = sched.ReduceLROnPlateau(opt, **kwargs)
    lrs = []
    for metric in metrics:
        opt.step()
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr()[0])
    return lrs


def test_plateau_reduces_after_patience_bad_epochs():
    lrs = plateau([1, 0.9, 0.95, 0.95, 0.8, 0.85, 0.85], patience=1, factor=0.5)
    assert lrs == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]


def test_plateau_relative_and_absolute_thresholds():
    # 0.95 is not better than 1 by 10 % (relative) but is by more than 0.01 (absolute).
    assert plateau([1, 0.95], patience=0, threshold=0.1) == [1, 0.1]
    assert plateau([1, 0.95], patience=0, threshold=0.01, threshold_mode="abs") == [1, 1]


def test_plateau_max_mode_cooldown_and_min_lr():
    lrs = plateau(
        [0.5, 0.4, 0.4, 0.4, 0.4, 0.4], mode="max", patience=0, cooldown=2, factor=0.5, min_lr=0.2
    )
    assert lrs == [1, 0.5, 0.5, 0.5, 0.25, 0.25]  # bad epochs in cooldown are not counted
    lrs = plateau(
        [0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4], mode="max", patience=0, factor=0.5, min_lr=0.2
    )
    assert lrs[-1] == 0.2


def test_plateau_skips_reductions_smaller_than_eps():
    assert plateau([1, 2], lr=1e-9, patience=0) == [1e-9, 1e-9]


def test_plateau_min_lr_and_groups_added_later():
    opt = sgd()
    scheduler = sched.ReduceLROnPlateau(opt, patience=0, min_lr=0.5)
    opt.add_param_group({"params": [ds.tensor([0.0], requires_grad=True)], "lr": 2.0})
    scheduler.step(1.0)
    scheduler.step(2.0)
    assert scheduler.get_last_lr() == [0.5, 0.5]
    opt = sgd()
    scheduler = sched.ReduceLROnPlateau(opt, patience=0, min_lr=[0.5])
    opt.add_param_group({"params": [ds.tensor([0.0], requires_grad=True)]})
    scheduler.step(1.0)
    with pytest.raises(ValueError, match="1 min_lr values, the optimizer now has 2"):
        scheduler.step(2.0)


def test_plateau_takes_a_tensor_metric():
    assert plateau([ds.tensor(1.0), ds.tensor(2.0)], patience=0) == [1, 0.1]


@pytest.mark.parametrize(
    "make",
    [
        lambda o: sched.StepLR(o, step_size=2, gamma=0.5),
        lambda o: sched.MultiStepLR(o, milestones=[1, 4, 6]),
        lambda o: sched.ExponentialLR(o, gamma=0.8),
        lambda o: sched.CosineAnnealingLR(o, T_max=5),
        lambda o: sched.LinearLR(o, total_iters=6),
        lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=12),
    ],
)
def test_state_dict_resumes_the_schedule(make):
    opt = sgd()
    scheduler = make(opt)
    for _ in range(4):
        opt.step()
        scheduler.step()
    saved_opt, saved = opt.state_dict(), scheduler.state_dict()
    expected = []
    for _ in range(6):
        opt.step()
        scheduler.step()
        expected.append(scheduler.get_last_lr())
    # As in PyTorch: build the new scheduler first, then load both states.
    other_opt = sgd()
    other = make(other_opt)
    other_opt.load_state_dict(saved_opt)
    other.load_state_dict(saved)
    resumed = []
    for _ in range(6):
        other_opt.step()
        other.step()
        resumed.append(other.get_last_lr())
    assert resumed == expected


def test_plateau_state_dict_resumes():
    opt = sgd()
    scheduler = sched.ReduceLROnPlateau(opt, patience=1)
    for metric in [1.0, 2.0]:
        scheduler.step(metric)
    other_opt = sgd()
    other = sched.ReduceLROnPlateau(other_opt, patience=1)
    other.load_state_dict(scheduler.state_dict())
    other_opt.load_state_dict(opt.state_dict())
    other.step(2.0)
    assert other.get_last_lr() == [0.1] and other.best == 1.0


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda o: sched.StepLR(o, step_size=0), ValueError, "step_size must be an integer >= 1"),
        (lambda o: sched.MultiStepLR(o, milestones=[2.5]), ValueError, "milestone must be"),
        (lambda o: sched.CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be"),
        (
            lambda o: sched.LinearLR(o, start_factor=0),
            ValueError,
            r"start_factor must be in \(0, 1\]",
        ),
        (lambda o: sched.LinearLR(o, end_factor=1.5), ValueError, "end_factor must be in"),
        (lambda o: sched.OneCycleLR(o, max_lr=1.0), ValueError, "needs total_steps"),
        (
            lambda o: sched.OneCycleLR(o, 1.0, total_steps=10, pct_start=1.5),
            ValueError,
            "pct_start",
        ),
        (
            lambda o: sched.OneCycleLR(o, 1.0, total_steps=4, pct_start=0.25),
            ValueError,
            "without steps",
        ),
        (lambda o: sched.OneCycleLR(o, 1.0, 10, anneal_strategy="exp"), ValueError, "'cos' or"),
        (lambda o: sched.OneCycleLR(o, [1.0, 2.0], 10), ValueError, "max_lr has 2 values"),
        (lambda o: sched.ReduceLROnPlateau(o, mode="avg"), ValueError, "mode must be 'min' or"),
        (lambda o: sched.ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "threshold_mode"),
        (
            lambda o: sched.ReduceLROnPlateau(o, factor=1.0),
            ValueError,
            r"factor must be in \(0, 1\)",
        ),
        (lambda o: sched.ReduceLROnPlateau(o, min_lr=[0, 0]), ValueError, "min_lr has 2 values"),
        (lambda o: sched.ReduceLROnPlateau(o, patience=-1), ValueError, "patience must be"),
        (lambda o: sched.ReduceLROnPlateau(object()), TypeError, "got object"),
    ],
)
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make(sgd())
