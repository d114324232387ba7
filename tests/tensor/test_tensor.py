import numpy as np
import pytest

import descend as ds
import descend.nn.functional as F
from descend.extras import install_command


def test_default_dtype_is_float32_and_can_change():
    assert ds.tensor([1.0, 2.0]).dtype == np.float32
    assert ds.tensor(1.5).dtype == np.float32
    assert ds.zeros(2).dtype == ds.ones(2).dtype == ds.randn(2).dtype == ds.rand(2).dtype
    ds.set_default_dtype(np.float64)
    assert ds.tensor([1.0]).dtype == np.float64
    assert ds.randn(3).dtype == np.float64
    with pytest.raises(TypeError, match="float32 or float64"):
        ds.set_default_dtype(np.int32)


def test_ndarrays_keep_their_dtype_and_ints_are_int64():
    assert ds.tensor(np.ones(2)).dtype == np.float64
    assert ds.tensor([1, 2]).dtype == np.int64
    assert ds.arange(4).dtype == np.int64
    assert ds.arange(0.0, 1.0, 0.25).dtype == np.float32
    assert ds.tensor([True, False]).dtype == bool


def test_tensor_copies_its_input():
    data = np.zeros(3, dtype=np.float32)
    t = ds.tensor(data)
    data[0] = 5
    assert t.data[0] == 0


def test_an_ndarray_operand_of_the_tensors_dtype_is_used_without_a_copy():
    # A batch of inputs meets the first layer's weights this way once per step.
    w = ds.randn(3, 4, requires_grad=True)
    batch = np.ones((2, 3), dtype=np.float32)
    assert (batch @ w)._parents[0].data is batch
    # A float64 batch is converted to the weights' float32.
    assert (batch.astype(np.float64) @ w)._parents[0].data.dtype == np.float32


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("abc", "str"),
        (["a", "b"], "list holding dtype <U1"),
        ([[1, 2], [3]], "rectangular nested list"),
        ({"a": 1}, "dict"),
        ([object()], "object"),
        (None, "NoneType"),
    ],
)
def test_unsupported_input_is_a_type_error(bad, message):
    with pytest.raises(TypeError, match=message):
        ds.tensor(bad)


def test_only_floating_tensors_require_grad():
    with pytest.raises(TypeError, match="int64"):
        ds.tensor([1, 2], requires_grad=True)


def test_creation_shapes_and_seed():
    assert ds.zeros(2, 3).shape == (2, 3) == ds.ones((2, 3)).shape
    ds.manual_seed(7)
    a = ds.randn(4)
    ds.manual_seed(7)
    np.testing.assert_array_equal(a.data, ds.randn(4).data)
    r = ds.rand(1000)
    assert r.data.min() >= 0 and r.data.max() < 1
    np.testing.assert_array_equal(ds.arange(2, 8, 2).data, [2, 4, 6])


def test_accessors():
    t = ds.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    assert t.shape == (1, 3) and t.ndim == 2 and t.size == 3 and len(t) == 1
    assert isinstance(t.numpy(), np.ndarray)
    assert ds.tensor([4.0]).item() == 4.0 == float(ds.tensor(4.0))
    with pytest.raises(ValueError, match="one element"):
        t.item()
    assert t.tolist() == [[1.0, 2.0, 3.0]]
    d = t.detach()
    assert not d.requires_grad and d.data is t.data
    assert t.is_leaf and not (t * 2).is_leaf
    assert np.asarray(t).shape == (1, 3)


def test_repr_shows_values_dtype_and_grad():
    assert repr(ds.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(ds.tensor([1.0], requires_grad=True))
    assert "dtype=int64" in repr(ds.arange(2))


def test_comparisons_give_masks_outside_the_graph():
    x = ds.tensor([1.0, -2.0, 3.0], requires_grad=True)
    mask = x > 0
    assert mask.dtype == bool and not mask.requires_grad
    np.testing.assert_array_equal(mask.data, [True, False, True])
    np.testing.assert_array_equal((x == ds.tensor([1.0, 0.0, 3.0])).data, [True, False, True])
    assert {x: 1}[x] == 1  # hashable by identity


def test_ndarray_on_the_left_uses_the_tensor_operator():
    x = ds.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, ds.Tensor) and y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_view_is_reshape_under_pytorchs_name():
    x = ds.randn(2, 6, requires_grad=True)
    assert x.view(3, 4).shape == (3, 4) and x.view((4, -1)).shape == (4, 3)
    x.view(12).sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 6)))


def test_to_cpu_is_a_no_op_and_unknown_devices_are_refused():
    x = ds.randn(3)
    assert x.to("cpu") is x and x.to(device="cpu") is x and x.cpu() is x
    y = x.to("cpu", np.float64)
    assert y.dtype == np.float64 and x.to("float64").dtype == np.float64
    with pytest.raises(ValueError, match="unknown device 'mps'; expected one of 'cpu', 'cuda'"):
        x.to("mps")


def test_to_a_torch_device_object():
    torch = pytest.importorskip("torch")
    x = ds.randn(3)
    assert x.to(torch.device("cpu")) is x


@pytest.mark.skipif(ds.cuda.is_available(), reason="this machine has a GPU and CuPy")
def test_cuda_without_a_gpu_is_one_line_that_names_the_extra():
    x = ds.randn(3)
    for call in (
        lambda: x.to("cuda"),
        lambda: x.cuda(),
        lambda: x.to(device="cuda:0", dtype=np.float64),
        lambda: ds.tensor([1.0], device="cuda"),
        lambda: ds.zeros(2, device="cuda"),
    ):
        with pytest.raises(RuntimeError, match=r"device 'cuda'.*pip install .*\[cuda12\]") as info:
            call()
        assert "\n" not in str(info.value) and install_command("cuda13") in str(info.value)
    assert ds.cuda.is_available() is False and ds.cuda.device_count() == 0


def test_softmax_methods_take_dim_or_axis():
    x = ds.randn(3, 4)
    np.testing.assert_array_equal(x.softmax(dim=0).data, F.softmax(x, 0).data)
    np.testing.assert_array_equal(x.softmax(axis=0).data, x.softmax(0).data)
    np.testing.assert_array_equal(x.log_softmax(dim=1).data, F.log_softmax(x, dim=1).data)
    np.testing.assert_allclose(x.softmax().data.sum(axis=-1), 1.0, rtol=1e-6)
    with pytest.raises(TypeError, match="softmax: got dim=0 and axis=1"):
        x.softmax(dim=0, axis=1)
