"""Optimizers on every device: state on the parameter's device, snapshots on the host.

Update rules are checked against PyTorch on every device in test_torch_oracle.py; on
the strict device that runs each optimizer's fused kernel (emulated, tests/strict.py).
"""

import numpy as np
import pytest

import descend as ds
from descend import backend, optim

OPTIMIZERS = [
    (optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    (optim.Adam, {"lr": 0.1, "amsgrad": True}),
    (optim.AdamW, {"lr": 0.1}),
    (optim.RMSprop, {"lr": 0.1, "centered": True, "momentum": 0.5}),
    (optim.Adagrad, {"lr": 0.1}),
]


def _stepped(cls, kwargs, device, steps=3):
    w = ds.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True, device=device)
    opt = cls([w], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        (w * w * w).sum().backward()
        opt.step()
    return w, opt


@pytest.mark.parametrize(("cls", "kwargs"), OPTIMIZERS, ids=lambda v: getattr(v, "__name__", ""))
def test_state_lives_on_the_device_and_snapshots_are_host_copies(cls, kwargs, device):
    w, opt = _stepped(cls, kwargs, device)
    arrays = [v for v in opt.state[w].values() if hasattr(v, "shape")]
    assert arrays and all(backend.device_of(v) == device for v in arrays)
    snapshot = opt.state_dict()
    saved = {k: v for k, v in snapshot["state"][0].items() if hasattr(v, "shape")}
    assert all(type(v) is np.ndarray for v in saved.values())
    frozen = {k: v.copy() for k, v in saved.items()}
    opt.zero_grad()
    (w * w * w).sum().backward()
    opt.step()  # training goes on: the snapshot must not change with it
    for key, value in saved.items():
        np.testing.assert_array_equal(value, frozen[key], err_msg=key)


@pytest.mark.parametrize(("cls", "kwargs"), OPTIMIZERS, ids=lambda v: getattr(v, "__name__", ""))
def test_a_snapshot_resumes_on_any_device_bit_for_bit(cls, kwargs, device):
    w, opt = _stepped(cls, kwargs, "cpu", steps=2)
    snapshot, start = opt.state_dict(), w.numpy().copy()
    _, reference = _stepped(cls, kwargs, "cpu", steps=4)
    resumed = ds.tensor(start, requires_grad=True, device=device)
    opt = cls([resumed], **kwargs)
    opt.load_state_dict(snapshot)
    assert all(
        backend.device_of(v) == device for v in opt.state[resumed].values() if hasattr(v, "shape")
    )
    for _ in range(2):
        opt.zero_grad()
        (resumed * resumed * resumed).sum().backward()
        opt.step()
    expected = reference.param_groups[0]["params"][0].numpy()
    np.testing.assert_allclose(resumed.cpu().numpy(), expected, rtol=1e-6)
    if device == "cpu":
        np.testing.assert_array_equal(resumed.numpy(), expected)


def test_zero_grad_keeps_gradients_on_the_device(accelerator):
    w, opt = _stepped(optim.SGD, {"lr": 0.1}, accelerator, steps=1)
    opt.zero_grad(set_to_none=False)
    assert backend.device_of(w.grad) == accelerator and not backend.to_host(w.grad).any()
