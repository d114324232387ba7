"""PyTorch as a second oracle: optimizer trajectories, schedules and clipping (optional).

Trajectories run on every device (the ``device`` fixture); on CUDA, PyTorch runs on
CUDA too, and on the strict device descend's fused kernels run (emulated, tests/strict.py).
"""

import numpy as np
import pytest

import descend as ds
import descend.backend
from descend import optim
from descend.nn.utils import clip_grad_norm_, clip_grad_value_
from descend.optim import lr_scheduler

torch = pytest.importorskip("torch")

STEPS = 50
RNG = np.random.default_rng(7)
X = RNG.standard_normal((32, 4))
Y = X @ RNG.standard_normal((4, 2)) + 0.5 + 0.1 * RNG.standard_normal((32, 2))
W0 = RNG.standard_normal((4, 2)) * 0.5
B0 = RNG.standard_normal(2) * 0.5

OPTIMIZERS = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.01, "momentum": 0.5, "dampening": 0.5, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "maximize": True, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.3, "eps": 1e-6}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.05, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "betas": (0.3, 0.9), "eps": 1e-6}),
    ("Adam", {"lr": 0.05, "maximize": True}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "betas": (0.5, 0.99), "maximize": True}),
]


def descend_trajectory(name, kwargs, groups=False, device="cpu"):
    w = ds.tensor(W0.copy(), requires_grad=True, device=device)
    b = ds.tensor(B0.copy(), requires_grad=True, device=device)
    x, y = ds.tensor(X, device=device), ds.tensor(Y, device=device)
    params = [{"params": [w]}, {"params": [b], "lr": kwargs["lr"] / 2}] if groups else [w, b]
    opt = getattr(optim, name)(params, **kwargs)
    path = []
    for _ in range(STEPS):
        opt.zero_grad()
        (((x @ w + b) - y) ** 2).mean().backward()
        opt.step()
        path.append(np.concatenate([w.cpu().numpy().ravel(), b.cpu().numpy()]))
    for state in opt.state.values():  # optimizer state lives on its parameter's device
        assert all(
            not hasattr(v, "shape") or ds.backend.device_of(v) == device for v in state.values()
        )
    return np.array(path)


def torch_trajectory(name, kwargs, groups=False, device="cpu"):
    device = "cuda" if device == "cuda" else "cpu"
    w = torch.tensor(W0, requires_grad=True, device=device)
    b = torch.tensor(B0, requires_grad=True, device=device)
    x, y = torch.tensor(X, device=device), torch.tensor(Y, device=device)
    params = [{"params": [w]}, {"params": [b], "lr": kwargs["lr"] / 2}] if groups else [w, b]
    opt = getattr(torch.optim, name)(params, **kwargs)
    path = []
    for _ in range(STEPS):
        opt.zero_grad()
        (((x @ w + b) - y) ** 2).mean().backward()
        opt.step()
        path.append(np.concatenate([w.detach().cpu().numpy().ravel(), b.detach().cpu().numpy()]))
    return np.array(path)


@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZERS, ids=lambda v: str(v))
def test_trajectory_matches_torch(name, kwargs, device):
    ours = descend_trajectory(name, kwargs, device=device)
    theirs = torch_trajectory(name, kwargs, device=device)
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-12)
    assert not np.allclose(ours[-1], W0.ravel().tolist() + B0.tolist())  # it moved


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_trajectory_with_param_groups_matches_torch(name, device):
    kwargs = {"lr": 0.05, "momentum": 0.9} if name in ("SGD", "RMSprop") else {"lr": 0.05}
    ours = descend_trajectory(name, kwargs, groups=True, device=device)
    theirs = torch_trajectory(name, kwargs, groups=True, device=device)
    np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-12)


SCHEDULERS = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [3, 10, 10, 25], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("CosineAnnealingLR", {"T_max": 15, "eta_min": 0.001}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.5, "total_iters": 12}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 40}),
    ("OneCycleLR", {"max_lr": [1.0, 0.3], "total_steps": 40, "anneal_strategy": "linear"}),
    (
        "OneCycleLR",
        {
            "max_lr": 0.5,
            "epochs": 8,
            "steps_per_epoch": 5,
            "three_phase": True,
            "pct_start": 0.25,
            "div_factor": 10.0,
            "final_div_factor": 100.0,
        },
    ),
]


def _two_groups(module):
    a = module.tensor([1.0], requires_grad=True)
    b = module.tensor([2.0], requires_grad=True)
    return [{"params": [a]}, {"params": [b], "lr": 0.01}]


def _lr_sequence(opt, scheduler, metrics=None):
    lrs = [scheduler.get_last_lr()]
    for epoch in range(40):
        opt.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[epoch])
        lrs.append(scheduler.get_last_lr())
    return np.array(lrs, dtype=float)


@pytest.mark.parametrize(("name", "kwargs"), SCHEDULERS, ids=lambda v: str(v))
def test_schedule_matches_torch(name, kwargs):
    ours_opt = optim.SGD(_two_groups(ds), lr=0.1)
    theirs_opt = torch.optim.SGD(_two_groups(torch), lr=0.1)
    extra = {"cycle_momentum": False} if name == "OneCycleLR" else {}
    ours = _lr_sequence(ours_opt, getattr(lr_scheduler, name)(ours_opt, **kwargs))
    theirs = _lr_sequence(
        theirs_opt, getattr(torch.optim.lr_scheduler, name)(theirs_opt, **kwargs, **extra)
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_chained_schedules_match_torch():
    def run(module, sched):
        opt = module.optim.SGD(_two_groups(module), lr=0.1)
        first = sched.LinearLR(opt, start_factor=0.2, total_iters=5)
        second = sched.CosineAnnealingLR(opt, T_max=12, eta_min=0.0)
        lrs = []
        for _ in range(40):
            opt.step()
            first.step()
            second.step()
            lrs.append([g["lr"] for g in opt.param_groups])
        return np.array(lrs)

    np.testing.assert_allclose(
        run(ds, lr_scheduler), run(torch, torch.optim.lr_scheduler), rtol=1e-12, atol=1e-15
    )


PLATEAU = [
    {},
    {"patience": 2, "factor": 0.5},
    {"mode": "max", "patience": 1, "threshold": 0.05},
    {"patience": 0, "threshold_mode": "abs", "threshold": 0.1, "cooldown": 3},
    {"patience": 1, "factor": 0.2, "min_lr": [0.01, 0.005]},
    {"patience": 1, "factor": 0.5, "min_lr": 0.02, "eps": 1e-3},
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=str)
def test_reduce_on_plateau_matches_torch(kwargs):
    rng = np.random.default_rng(3)
    metrics = np.concatenate([np.linspace(1.0, 0.5, 8), 0.5 + 0.05 * rng.random(32)])
    ours_opt = optim.SGD(_two_groups(ds), lr=0.1)
    theirs_opt = torch.optim.SGD(_two_groups(torch), lr=0.1)
    ours = _lr_sequence(ours_opt, lr_scheduler.ReduceLROnPlateau(ours_opt, **kwargs), metrics)
    theirs = _lr_sequence(
        theirs_opt, torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **kwargs), metrics
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, "inf", float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    rng = np.random.default_rng(11)
    grads = [rng.standard_normal(shape) for shape in [(3, 4), (4,), (2, 2, 2)]]
    ours = [ds.tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad = g.copy()
        q.grad = torch.tensor(g)
    ours.append(ds.tensor([1.0], requires_grad=True))  # no grad: skipped by both
    norm = clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert norm.item() == pytest.approx(expected.item(), rel=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12)


def test_clip_grad_value_matches_torch():
    g = np.random.default_rng(12).standard_normal((5, 3))
    p = ds.tensor(np.zeros((5, 3)), requires_grad=True)
    q = torch.zeros((5, 3), dtype=torch.float64, requires_grad=True)
    p.grad, q.grad = g.copy(), torch.tensor(g)
    clip_grad_value_([p], 0.4)
    torch.nn.utils.clip_grad_value_([q], 0.4)
    np.testing.assert_array_equal(p.grad, q.grad.numpy())
