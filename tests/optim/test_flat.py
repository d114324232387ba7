"""Steps on flat buffers (optim/flat.py): the same numbers as tensor by tensor, on every device."""

import numpy as np
import pytest

import descend as ds
from descend import backend, optim

OPTIMIZERS = [
    (optim.SGD, {"lr": 0.1}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (optim.Adam, {"lr": 0.1, "amsgrad": True, "maximize": True}),
    (optim.Adam, {"lr": 0.1, "weight_decay": 0.1}),
    (optim.AdamW, {"lr": 0.1}),
    (optim.RMSprop, {"lr": 0.1, "centered": True, "momentum": 0.5}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01}),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(OPTIMIZERS)]
START = [np.array([[1.0, -2.0, 0.5], [0.5, 3.0, -1.0]]), np.array([0.3, -0.7]), np.array(2.0)]


def _model(device):
    return [ds.tensor(a, requires_grad=True, device=device) for a in START]


def _backward(params) -> None:
    for p in params:
        p.grad = None
    sum((p * p * p).sum() for p in params).backward()


def _run(cls, kwargs, device, steps, gather):
    params = _model(device)
    opt = cls(params, **kwargs)
    for _ in range(steps):
        _backward(params)
        if gather:
            assert len(opt.gradient_buffers()) == 1  # one dtype, one device: one buffer
        opt.step()
    return params, opt


def _host(params) -> list:
    return [backend.to_host(p.data) for p in params]


def _assert_same(a, b, device) -> None:
    for x, y in zip(a, b):
        if device == "cpu":  # the same ufuncs on the same numbers
            np.testing.assert_array_equal(x, y)
        else:
            np.testing.assert_allclose(x, y, rtol=1e-6)


@pytest.mark.parametrize(("cls", "kwargs"), OPTIMIZERS, ids=IDS)
def test_steps_on_gathered_gradients_equal_steps_tensor_by_tensor(cls, kwargs, device):
    reference, ref_opt = _run(cls, kwargs, device, 4, gather=False)
    flat, flat_opt = _run(cls, kwargs, device, 4, gather=True)
    _assert_same(_host(flat), _host(reference), device)
    # The state keeps its per-parameter shapes and its file format.
    ref_state, flat_state = ref_opt.state_dict(), flat_opt.state_dict()
    assert ref_state["param_groups"] == flat_state["param_groups"]
    for index, saved in ref_state["state"].items():
        assert set(flat_state["state"][index]) == set(saved)
        for key, value in saved.items():
            got = flat_state["state"][index][key]
            if hasattr(value, "shape"):
                assert type(got) is np.ndarray and got.shape == START[index].shape
                _assert_same([got], [value], device)
            else:
                assert got == value


def test_gradient_buffers_are_what_the_step_reads():
    params = _model("cpu")
    opt = optim.SGD(params, lr=0.5)
    _backward(params)
    (buffer,) = opt.gradient_buffers()
    assert buffer.shape == (sum(a.size for a in START),)
    for p in params:  # each gradient is a view of the buffer
        assert np.shares_memory(p.grad, buffer)
    expected = [a - 0.5 * 0.25 * (3 * a * a) for a in START]
    buffer *= 0.25  # what an all-reduce does in place: the step must see it
    opt.step()
    _assert_same(_host(params), [e.astype(np.float32) for e in expected], "strict")


@pytest.mark.parametrize(("cls", "kwargs"), OPTIMIZERS, ids=IDS)
def test_a_snapshot_loaded_between_flat_steps_resumes_exactly(cls, kwargs):
    reference, _ = _run(cls, kwargs, "cpu", 4, gather=False)
    params, opt = _run(cls, kwargs, "cpu", 2, gather=True)
    snapshot, values = opt.state_dict(), [p.data.copy() for p in params]
    resumed = [ds.tensor(v, requires_grad=True) for v in values]
    opt = cls(resumed, **kwargs)
    opt.load_state_dict(snapshot)
    for _ in range(2):
        _backward(resumed)
        opt.gradient_buffers()
        opt.step()
    _assert_same(_host(resumed), _host(reference), "cpu")


def test_a_missing_gradient_steps_tensor_by_tensor_with_counts_apart():
    params, opt = _run(optim.Adam, {"lr": 0.1}, "cpu", 1, gather=True)
    _backward(params)
    params[1].grad = None  # this one sits the step out
    assert opt.gradient_buffers() == []
    before = params[1].data.copy()
    opt.step()
    np.testing.assert_array_equal(params[1].data, before)
    assert [opt.state[p]["step"] for p in params] == [2, 1, 2]
    _backward(params)
    opt.gradient_buffers()
    opt.step()  # the counts differ: PyTorch's per-parameter rule, tensor by tensor
    assert [opt.state[p]["step"] for p in params] == [3, 2, 3]


def test_data_replaced_from_outside_is_taken_in():
    params, opt = _run(optim.SGD, {"lr": 0.1}, "cpu", 1, gather=True)
    params[0].data = np.zeros((2, 3))
    _backward(params)  # zero data: zero gradient
    opt.gradient_buffers()
    opt.step()
    np.testing.assert_array_equal(params[0].data, 0)
    params[0].data = np.ones((3, 2))  # a new shape: new buffers
    _backward(params)
    opt.gradient_buffers()
    opt.step()
    np.testing.assert_allclose(params[0].data, 1 - 0.1 * 3)


@pytest.mark.parametrize(("cls", "kwargs"), OPTIMIZERS, ids=IDS)
def test_state_and_gradients_keep_a_column_major_weight_s_layout(cls, kwargs):
    # nn.Linear's weights are column-major; a pass mixing layouts strides (20x slower).
    layer = ds.nn.Linear(5, 3)
    opt = cls(layer.parameters(), **kwargs)
    for gather in (False, True, False):
        opt.zero_grad()
        layer(ds.randn(4, 5)).sum().backward()
        if gather:
            opt.gradient_buffers()
        opt.step()
        weight = layer.weight
        arrays = [weight.data, weight.grad, *opt._work(weight.data)]
        arrays += [v for v in opt.state.get(weight, {}).values() if hasattr(v, "shape")]
        assert all(a.flags.f_contiguous and not a.flags.c_contiguous for a in arrays)
    snapshot = opt.state_dict()
    opt.load_state_dict(snapshot)  # saved row-major, restored in the weight's layout
    assert all(
        v.flags.f_contiguous
        for v in opt.state.get(layer.weight, {}).values()
        if hasattr(v, "shape")
    )
