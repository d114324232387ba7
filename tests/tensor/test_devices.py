"""Every op of the engine on every device: the same values and gradients as on the CPU.

The ``device`` fixture (tests/conftest.py) gives 'cpu', 'strict' (a NumPy-backed
stand-in for a GPU that, like CuPy, refuses implicit conversion to NumPy) and 'cuda'
where a GPU exists. A stray ``np.`` call on device data fails on the strict device.
"""

import numpy as np
import pytest

import descend as ds
from descend import backend
from tests import strict

RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((3, 4))
ROW = RNG.standard_normal(4)
SQUARE = RNG.standard_normal((4, 5))
POSITIVE = RNG.uniform(0.5, 2.0, (3, 4))
BATCHED = RNG.standard_normal((2, 3, 4))
INDEX = np.array([2, 0, 2, 1])

# name: (function of the tensors, inputs); every input requires grad.
OPS = {
    "add": (lambda a, b: a + b, (A, ROW)),
    "sub": (lambda a, b: a - b, (A, B)),
    "mul": (lambda a, b: a * b, (A, ROW)),
    "div": (lambda a, b: a / b, (A, POSITIVE)),
    "number_ops": (lambda a: (2.0 - a) * 3 / 4.0 + 1, (A,)),
    "neg": (lambda a: -a, (A,)),
    "pow_number": (lambda a: a**3, (A,)),
    "pow_tensor": (lambda a, b: a**b, (POSITIVE, B)),
    "rpow": (lambda a: 2.0**a, (A,)),
    "matmul": (lambda a, b: a @ b, (A, SQUARE)),
    "matmul_vector": (lambda a, b: a @ b, (A, ROW)),
    "vector_matmul": (lambda a, b: a @ b, (ROW, SQUARE)),
    "batched_matmul": (lambda a, b: a @ b, (BATCHED, SQUARE)),
    "exp": (lambda a: a.exp(), (A,)),
    "log": (lambda a: a.log(), (POSITIVE,)),
    "sqrt": (lambda a: a.sqrt(), (POSITIVE,)),
    "abs": (lambda a: a.abs(), (A,)),
    "tanh": (lambda a: a.tanh(), (A,)),
    "sigmoid": (lambda a: a.sigmoid(), (A,)),
    "relu": (lambda a: a.relu(), (A,)),
    "clip": (lambda a: a.clip(-0.5, 0.7), (A,)),
    "clip_min": (lambda a: a.clip(min=0.3), (A,)),
    "clip_max": (lambda a: a.clip(max=-0.3), (A,)),
    "sum": (lambda a: a.sum(), (A,)),
    "sum_axis": (lambda a: a.sum(axis=1, keepdims=True), (A,)),
    "mean": (lambda a: a.mean(dim=0), (A,)),
    "var": (lambda a: a.var(axis=1), (A,)),
    "max": (lambda a: a.max(), (A,)),
    "min_axis": (lambda a: a.min(axis=0), (A,)),
    "max_dim": (lambda a: a.max(dim=1).values, (A,)),
    "min_dim_keep": (lambda a: a.min(dim=0, keepdim=True).values, (A,)),
    "softmax": (lambda a: a.softmax(dim=1), (A,)),
    "log_softmax": (lambda a: a.log_softmax(dim=0), (A,)),
    "reshape": (lambda a: a.reshape(4, 3), (A,)),
    "transpose": (lambda a: a.transpose(2, 0, 1), (BATCHED,)),
    "T": (lambda a: a.T, (A,)),
    "flatten": (lambda a: a.flatten(), (BATCHED,)),
    "getitem_basic": (lambda a: a[1:, ::2], (A,)),
    "getitem_repeats": (lambda a: a[INDEX], (A,)),
    "getitem_tensor_key": (lambda a: a[ds.tensor(INDEX, device=backend.device_of(a.data))], (A,)),
    "getitem_pairs": (lambda a: a[[0, 2, 2], [1, 1, 3]], (A,)),
    "concat": (lambda a, b: ds.concat([a, b], axis=1), (A, B)),
    "stack": (lambda a, b: ds.stack([a, b], axis=0), (A, B)),
    "where": (lambda a, b: ds.where(A > 0, a, b), (A, B)),
    "where_tensor_condition": (lambda a, b: ds.where(a > b, a, b), (A, B)),
    "to_float64": (lambda a: a.to(np.float64) * 2, (A,)),
}


def _run(fn, arrays, device):
    inputs = [ds.tensor(a, requires_grad=True, device=device) for a in arrays]
    out = fn(*inputs)
    weights = ds.tensor(RNG.standard_normal(out.shape), dtype=out.dtype, device=device)
    (out * weights).sum().backward()
    return out, inputs


@pytest.mark.parametrize("name", OPS)
def test_every_op_gives_the_cpus_values_and_gradients(name, device):
    fn, arrays = OPS[name]
    state = RNG.bit_generator.state
    expected, expected_inputs = _run(fn, arrays, "cpu")
    RNG.bit_generator.state = state
    got, inputs = _run(fn, arrays, device)
    assert got.device == device and got.dtype == expected.dtype
    np.testing.assert_allclose(got.cpu().numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    for tensor, reference in zip(inputs, expected_inputs):
        assert backend.device_of(tensor.grad) == device
        np.testing.assert_allclose(
            backend.to_host(tensor.grad), reference.grad, rtol=1e-5, atol=1e-6
        )


def test_a_tensor_knows_its_device_and_moves_between_devices(accelerator):
    x = ds.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert x.device == "cpu" and str(x.device) == "cpu"
    y = x.to(accelerator)
    assert y.device == accelerator and y.device.index == 0 and str(y.device).endswith(":0")
    assert y.to(accelerator) is y and y.dtype == np.float32
    z = y.cpu()
    assert z.device == "cpu" and isinstance(z.numpy(), np.ndarray)
    np.testing.assert_array_equal(z.numpy(), x.numpy())
    # The move is an op: the gradient comes back to the CPU leaf.
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.numpy())
    both = x.to(accelerator, np.float64)
    assert both.device == accelerator and both.dtype == np.float64
    assert ds.zeros(2, 3, device=accelerator).device == accelerator
    assert ds.randn(2, device=accelerator).device == accelerator
    assert ds.arange(5, device=accelerator).dtype == np.int64


def test_the_same_seed_gives_the_same_random_values_on_every_device(device):
    ds.manual_seed(3)
    on_device = ds.randn(4, 5, device=device)
    ds.manual_seed(3)
    np.testing.assert_array_equal(backend.to_host(on_device.data), ds.randn(4, 5).numpy())


def test_a_device_tensor_refuses_to_become_a_numpy_array_without_cpu(accelerator):
    x = ds.tensor([1.0, 2.0], device=accelerator)
    message = rf"can't convert a {accelerator}:0 tensor to NumPy: call .cpu\(\) first"
    with pytest.raises(TypeError, match=message):
        x.numpy()
    with pytest.raises(TypeError, match=message):
        np.asarray(x)
    assert "device='" + accelerator + ":0'" in repr(x)


def test_an_op_on_two_devices_names_both(accelerator):
    a = ds.tensor([1.0, 2.0], device=accelerator)
    b = ds.tensor([3.0, 4.0])
    message = f"expected all tensors on one device, got {accelerator}:0 and cpu"
    for op in (lambda: a + b, lambda: a * b, lambda: b @ a, lambda: ds.concat([b, a])):
        with pytest.raises(RuntimeError, match=message.replace(f"{accelerator}:0 and cpu", "")):
            op()
    with pytest.raises(RuntimeError, match=message):
        a + b
    with pytest.raises(RuntimeError, match=message):
        a += b


def test_numbers_and_host_arrays_join_the_device_of_the_tensor(accelerator):
    a = ds.tensor([1.0, 2.0], device=accelerator)
    for result in (a * 2, 2.0 * a, a + np.array([1.0, 1.0]), a - np.float32(1)):
        assert result.device == accelerator and result.dtype == np.float32
    a += np.array([1.0, 1.0])
    a *= 2
    np.testing.assert_array_equal(a.cpu().numpy(), [4.0, 6.0])
    assert (a > 5).device == accelerator
    assert a.sum().item() == 10.0 and a.tolist() == [4.0, 6.0]


def test_backward_with_a_given_gradient_runs_on_the_device(accelerator):
    x = ds.tensor([1.0, 2.0, 3.0], requires_grad=True, device=accelerator)
    (x * 3).backward(np.array([1.0, 0.0, 2.0]))
    assert backend.device_of(x.grad) == accelerator
    np.testing.assert_array_equal(backend.to_host(x.grad), [3.0, 0.0, 6.0])


def test_the_strict_device_catches_stray_numpy_calls():
    a = ds.tensor([1.0, 2.0], device="strict").data
    for stray in (
        lambda: np.exp(a),
        lambda: np.asarray(a),
        lambda: np.concatenate([a, a]),
        lambda: np.ones(2) + a,
        lambda: a + np.ones(2),
        lambda: strict.xp.add(a, np.array(1.0)),
    ):
        with pytest.raises(TypeError):
            stray()
    assert not hasattr(a.flags, "writeable")
    assert isinstance(a.sum(), strict.StrictArray)  # reductions stay on the device


def test_gradcheck_runs_where_the_inputs_live(device):
    a = ds.tensor(A, device=device)
    b = ds.tensor(SQUARE, device=device)
    assert ds.gradcheck(lambda x, y: (x @ y).tanh().softmax(dim=1).log(), a, b)
    wrong = lambda x: ds.tensor(1.0, device=device) * x.relu()  # noqa: E731
    assert ds.gradcheck(wrong, ds.tensor(np.abs(A) + 0.5, device=device))
    with pytest.raises(AssertionError, match="gradient of input 0"):
        ds.gradcheck(lambda x: x.detach() * x, a)  # the detached factor loses a term
