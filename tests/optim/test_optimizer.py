"""The Optimizer base: groups, lazy state, the step loop, zero_grad, checkpoints, allocation."""

import tracemalloc

import numpy as np
import pytest

import descend as ds
from descend import io as ds_io
from descend import optim
from descend.optim import lr_scheduler
from descend.optim.optimizer import Optimizer

# Every optimizer with every option that adds state or a code path.
CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "maximize": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.01}),
    ("RMSprop", {"lr": 0.01, "maximize": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.3, 0.9), "maximize": True}),
    ("AdamW", {"lr": 0.01, "amsgrad": True}),
]
IDS = [f"{name}-{'-'.join(kwargs)}" for name, kwargs in CONFIGS]


class SignSGD(Optimizer):
    """A minimal subclass: the base does everything but the update of one parameter."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, {"lr": lr})

    def _update(self, param, grad, state, group):
        state["step"] = state.get("step", 0) + 1
        param -= group["lr"] * np.sign(grad)


def params(*shapes, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [ds.tensor(rng.standard_normal(s), requires_grad=True, dtype=dtype) for s in shapes]


def set_grads(tensors, seed):
    rng = np.random.default_rng(seed)
    for t in tensors:
        t.grad = rng.standard_normal(t.shape).astype(t.dtype)


def test_a_subclass_writes_only_the_update():
    w, b = params((2, 3), (3,))
    opt = SignSGD([w, b], lr=0.5)
    before = w.data.copy()
    w.grad = np.array([[1.0, -2.0, 0.0], [3.0, 0.5, -0.1]])
    opt.step()
    np.testing.assert_array_equal(w.data, before - 0.5 * np.sign(w.grad))
    assert opt.state[w] == {"step": 1}
    assert b not in opt.state  # no gradient: skipped, no state made


def test_params_as_generator_tensor_or_groups():
    w, b = params((2,), (1,))
    assert group_params(optim.SGD((p for p in [w, b]), lr=0.1)) == [[w, b]]
    assert group_params(optim.SGD(w, lr=0.1)) == [[w]]
    opt = optim.SGD([{"params": [w]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert group_params(opt) == [[w], [b]]
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0.0
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9


def group_params(opt):
    return [group["params"] for group in opt.param_groups]


def test_param_groups_get_their_own_learning_rate():
    w, b = params((2,), (2,))
    opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 1.0}], lr=0.1)
    w0, b0 = w.data.copy(), b.data.copy()
    w.grad, b.grad = np.ones(2), np.ones(2)
    opt.step()
    np.testing.assert_allclose(w.data, w0 - 0.1)
    np.testing.assert_allclose(b.data, b0 - 1.0)


def test_add_param_group_fills_defaults_and_validates():
    w, b = params((2,), (2,))
    opt = optim.Adam([w], lr=0.01, betas=(0.8, 0.9))
    opt.add_param_group({"params": [b], "lr": 0.1})
    assert opt.param_groups[1]["betas"] == (0.8, 0.9) and opt.param_groups[1]["lr"] == 0.1
    c = params((1,))[0]
    with pytest.raises(ValueError, match="Invalid learning rate: -0.5"):
        opt.add_param_group({"params": [c], "lr": -0.5})
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [w]})


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ([], ValueError, "empty parameter list"),
        ({ds.tensor([1.0], requires_grad=True)}, TypeError, "not a set"),
        ([np.zeros(3)], TypeError, "can only optimize Tensors, got ndarray"),
        ([ds.arange(3)], TypeError, "only floating tensors"),
        ([ds.tensor([1.0], requires_grad=True) * 2], ValueError, "non-leaf"),
        ([{"lr": 0.1}], ValueError, "'params' entry"),
    ],
)
def test_bad_parameters_are_refused(bad, error, message):
    with pytest.raises(error, match=message):
        optim.SGD(bad, lr=0.1)


def test_the_same_parameter_twice_is_refused():
    w = params((2,))[0]
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([w, w], lr=0.1)


def test_wrong_gradient_shape_is_named():
    w = params((2, 3))[0]
    w.grad = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"shape \(2, 3\) has a gradient of shape \(3, 2\)"):
        optim.SGD([w], lr=0.1).step()


def test_step_returns_the_closure_loss_and_uses_fresh_gradients():
    w = ds.tensor([3.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.25)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        calls.append(loss.item())
        return loss

    loss = opt.step(closure)
    assert loss.item() == 9.0 and calls == [9.0]
    assert w.data[0] == pytest.approx(3.0 - 0.25 * 6.0)


def test_zero_grad():
    w, b = params((2,), (2,))
    opt = optim.SGD([w, b], lr=0.1)
    w.grad = np.ones(2)
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and not grad.any() and b.grad is None
    opt.zero_grad()
    assert w.grad is None


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
def test_gradients_are_not_modified(name, kwargs):
    ps = params((3, 2), (2,))
    set_grads(ps, seed=1)
    grads = [p.grad.copy() for p in ps]
    opt = getattr(optim, name)(ps, **kwargs)
    for _ in range(3):
        opt.step()
    for p, g in zip(ps, grads):
        np.testing.assert_array_equal(p.grad, g)


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
def test_state_dict_mid_run_continues_bit_identically(name, kwargs):
    ps = params((4, 3), (3,))
    opt = getattr(optim, name)(ps, **kwargs)
    for step in range(5):
        set_grads(ps, seed=step)
        opt.step()
    saved = opt.state_dict()
    saved_params = [p.data.copy() for p in ps]
    for step in range(5, 10):  # the original goes on
        set_grads(ps, seed=step)
        opt.step()
    expected = [p.data.copy() for p in ps]

    fresh = [ds.tensor(data, requires_grad=True) for data in saved_params]
    other = getattr(optim, name)(fresh, lr=123.0)  # hyperparameters come from the snapshot
    other.load_state_dict(saved)
    assert other.param_groups[0]["lr"] == kwargs["lr"]
    for step in range(5, 10):
        set_grads(fresh, seed=step)
        other.step()
    for p, e in zip(fresh, expected):
        np.testing.assert_array_equal(p.data, e)


def test_state_dict_is_a_plain_snapshot():
    ps = params((2, 2), (2,))
    opt = optim.Adam([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.5}], amsgrad=True)
    set_grads(ps, seed=0)
    opt.step()
    saved = opt.state_dict()
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1]]
    assert sorted(saved["state"]) == [0, 1]
    assert set(saved["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert saved["state"][0]["step"] == 1 and isinstance(saved["state"][0]["step"], int)

    def leaves(value):
        if isinstance(value, dict):
            for key, item in value.items():
                assert isinstance(key, str | int)
                yield from leaves(item)
        elif isinstance(value, list | tuple):
            for item in value:
                yield from leaves(item)
        else:
            yield value

    assert all(isinstance(v, int | float | bool | str | np.ndarray) for v in leaves(saved))
    exp_avg = saved["state"][0]["exp_avg"].copy()
    opt.step()  # the snapshot does not follow the optimizer
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], exp_avg)


def test_load_state_dict_accepts_arrays_from_a_file(tmp_path):
    w = params((3,))[0]
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    set_grads([w], seed=0)
    opt.step()
    saved = opt.state_dict()
    np.savez(tmp_path / "s.npz", buf=saved["state"][0]["momentum_buffer"])
    with np.load(tmp_path / "s.npz", allow_pickle=False) as f:
        saved["state"] = {"0": {"momentum_buffer": f["buf"]}}  # string keys, as from JSON
    other = optim.SGD([ds.tensor(w.data, requires_grad=True)], lr=0.1, momentum=0.9)
    other.load_state_dict(saved)
    np.testing.assert_array_equal(
        other.state[other.param_groups[0]["params"][0]]["momentum_buffer"],
        saved["state"]["0"]["momentum_buffer"],
    )


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_state_dict_survives_a_file_without_pickle(tmp_path, suffix):
    ps = params((3, 2), (2,))
    opt = optim.Adam(ps, lr=0.01, amsgrad=True)
    scheduler = lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    set_grads(ps, seed=0)
    opt.step()
    scheduler.step(1.0)
    ds_io.save(
        {"optimizer": opt.state_dict(), "scheduler": scheduler.state_dict()},
        tmp_path / f"checkpoint{suffix}",
    )
    loaded = ds_io.load(tmp_path / f"checkpoint{suffix}")
    fresh = [ds.tensor(p.data, requires_grad=True) for p in ps]
    other = optim.Adam(fresh, lr=0.5)
    other_scheduler = lr_scheduler.ReduceLROnPlateau(other)
    other.load_state_dict(loaded["optimizer"])
    other_scheduler.load_state_dict(loaded["scheduler"])
    assert other_scheduler.best == 1.0 and other.param_groups[0]["betas"] == (0.9, 0.999)
    for optimizer, tensors in [(opt, ps), (other, fresh)]:
        set_grads(tensors, seed=1)
        optimizer.step()
    for p, q in zip(ps, fresh):
        np.testing.assert_array_equal(p.data, q.data)


def test_load_state_dict_keeps_keys_the_snapshot_lacks():
    w = params((2,))[0]
    opt = optim.SGD([w], lr=0.1)
    saved = opt.state_dict()
    del saved["param_groups"][0]["maximize"]  # say, from an older version
    saved["param_groups"][0]["lr"] = 0.5
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["maximize"] is False


def test_load_state_dict_refuses_another_layout():
    a, b = params((2,), (3,))
    saved = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="group 0 of the state dict has 2 parameters"):
        optim.SGD([a], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="2 parameter groups, this optimizer has 1"):
        optim.SGD([a, b], lr=0.1).load_state_dict(
            {"state": {}, "param_groups": saved["param_groups"] * 2}
        )
    momentum = optim.SGD([a, b], lr=0.1, momentum=0.9)
    set_grads([a, b], seed=0)
    momentum.step()
    swapped = optim.SGD([b, a], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"has shape \(2,\), the parameter has shape \(3,\)"):
        swapped.load_state_dict(momentum.state_dict())
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        swapped.load_state_dict({"lr": 0.1})


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
def test_float32_step_allocates_nothing_of_parameter_size(name, kwargs):
    ps = params((256, 200), (4096,), (64, 256), dtype=np.float32)
    set_grads(ps, seed=0)
    opt = getattr(optim, name)(ps, **kwargs)
    opt.step()  # creates the state and the scratch buffers
    pointers = {
        (i, key): value.ctypes.data
        for i, p in enumerate(ps)
        for key, value in opt.state[p].items()
        if isinstance(value, np.ndarray)
    }
    data = [p.data.ctypes.data for p in ps]
    tracemalloc.start()
    opt.step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    smallest = min(p.data.nbytes for p in ps)
    assert peak < smallest / 4, f"a step allocated {peak} bytes"
    assert [p.data.ctypes.data for p in ps] == data  # updated in place
    assert pointers == {
        (i, key): value.ctypes.data
        for i, p in enumerate(ps)
        for key, value in opt.state[p].items()
        if isinstance(value, np.ndarray)
    }
    assert all(p.data.dtype == np.float32 for p in ps)
    assert all(
        v.dtype == np.float32
        for p in ps
        for v in opt.state[p].values()
        if isinstance(v, np.ndarray)
    )


def test_repr_lists_the_groups():
    text = repr(optim.SGD(params((2,)), lr=0.1, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0") and "momentum: 0.9" in text


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_non_numeric_hyperparameter_is_a_type_error(name):
    with pytest.raises(TypeError, match="lr must be a real number, got str"):
        getattr(optim, name)(params((2,)), lr="0.1")
