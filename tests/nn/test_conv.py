import numpy as np
import pytest

import descend as ds
import descend.nn.functional as F
from descend import nn
from tests.nn.helpers import check_module, normal


def test_conv2d_shapes_and_attributes():
    conv = nn.Conv2d(1, 6, 5, padding=2)
    assert conv.weight.shape == (6, 1, 5, 5) and conv.bias.shape == (6,)
    assert conv.kernel_size == (5, 5) and conv.stride == (1, 1) and conv.padding == (2, 2)
    assert conv(ds.randn(3, 1, 28, 28)).shape == (3, 6, 28, 28)
    assert nn.Conv2d(3, 4, (3, 2), stride=2)(ds.randn(1, 3, 9, 9)).shape == (1, 4, 4, 4)


def test_conv2d_forward_is_the_functional_op():
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1)
    x = ds.randn(2, 2, 7, 7)
    expected = F.conv2d(x, conv.weight, conv.bias, stride=2, padding=1)
    np.testing.assert_array_equal(conv(x).data, expected.data)


def test_conv2d_takes_a_single_image():
    conv = nn.Conv2d(3, 4, 3)
    image = ds.randn(3, 8, 8)
    out = conv(image)
    assert out.shape == (4, 6, 6)
    np.testing.assert_allclose(out.data, conv(image.reshape(1, 3, 8, 8)).data[0])


def test_conv2d_default_init_bound():
    conv = nn.Conv2d(6, 16, 5)
    bound = 1 / np.sqrt(6 * 5 * 5)
    assert np.abs(conv.weight.data).max() <= bound
    assert np.abs(conv.bias.data).max() <= bound
    np.testing.assert_allclose(conv.weight.data.std(), bound / np.sqrt(3), rtol=0.05)


@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [
        ({}, (2, 2, 6, 6)),
        ({"stride": 2, "padding": 1}, (2, 2, 7, 7)),
        ({"bias": False}, (1, 2, 5, 5)),
    ],
)
def test_conv2d_gradients(kwargs, shape):
    assert check_module(nn.Conv2d(2, 3, 3, **kwargs), normal(*shape))


def test_conv2d_repr():
    assert repr(nn.Conv2d(1, 6, 5, padding=2)) == "Conv2d(1, 6, 5, padding=2)  # 156 parameters"
    text = repr(nn.Conv2d(3, 8, (3, 5), stride=2, bias=False))
    assert text.startswith("Conv2d(3, 8, (3, 5), stride=2, bias=False)")


def test_conv2d_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"^Conv2d\(3, 6, 5\) expected 3 input channels, got 1$"):
        nn.Conv2d(3, 6, 5)(ds.zeros(2, 1, 8, 8))
    with pytest.raises(
        ValueError,
        match=r"Conv2d\(1, 6, 5\): kernel 5x5 is larger than the padded input 4x4",
    ):
        nn.Conv2d(1, 6, 5)(ds.zeros(2, 1, 4, 4))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3, H, W\) or \(3, H, W\)"):
        nn.Conv2d(3, 6, 5)(ds.zeros(8, 8))
    with pytest.raises(ValueError, match="kernel_size must be an int >= 1"):
        nn.Conv2d(1, 1, 0)
    with pytest.raises(ValueError, match="in_channels must be a positive int"):
        nn.Conv2d(0, 1, 3)


def test_conv1d_shapes_attributes_and_functional_op():
    conv = nn.Conv1d(2, 5, 3, stride=2, padding=1)
    assert conv.weight.shape == (5, 2, 3) and conv.bias.shape == (5,)
    assert conv.kernel_size == (3,) and conv.stride == (2,) and conv.padding == (1,)
    x = ds.randn(4, 2, 9)
    out = conv(x)
    assert out.shape == (4, 5, 5)
    np.testing.assert_array_equal(out.data, F.conv1d(x, conv.weight, conv.bias, 2, 1).data)


def test_conv1d_takes_a_single_signal():
    conv = nn.Conv1d(3, 4, 3)
    signal = ds.randn(3, 10)
    out = conv(signal)
    assert out.shape == (4, 8)
    np.testing.assert_allclose(out.data, conv(signal.reshape(1, 3, 10)).data[0])


def test_conv1d_default_init_bound():
    conv = nn.Conv1d(6, 16, 5)
    bound = 1 / np.sqrt(6 * 5)
    assert np.abs(conv.weight.data).max() <= bound
    assert np.abs(conv.bias.data).max() <= bound
    np.testing.assert_allclose(conv.weight.data.std(), bound / np.sqrt(3), rtol=0.05)


@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [({}, (2, 2, 8)), ({"stride": 2, "padding": 1}, (2, 2, 9)), ({"bias": False}, (1, 2, 5))],
)
def test_conv1d_gradients(kwargs, shape):
    assert check_module(nn.Conv1d(2, 3, 3, **kwargs), normal(*shape))


def test_conv1d_repr():
    assert repr(nn.Conv1d(1, 6, 5, padding=2)) == "Conv1d(1, 6, 5, padding=2)  # 36 parameters"
    assert repr(nn.Conv1d(3, 8, 3, stride=2, bias=False)).startswith(
        "Conv1d(3, 8, 3, stride=2, bias=False)"
    )


def test_conv1d_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"^Conv1d\(3, 6, 5\) expected 3 input channels, got 1$"):
        nn.Conv1d(3, 6, 5)(ds.zeros(2, 1, 8))
    with pytest.raises(ValueError, match=r"Conv1d\(1, 6, 5\): kernel 5 is larger than the padded"):
        nn.Conv1d(1, 6, 5)(ds.zeros(2, 1, 4))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3, L\) or \(3, L\)"):
        nn.Conv1d(3, 6, 5)(ds.zeros(2, 3, 8, 8))
    with pytest.raises(ValueError, match=r"Conv1d: kernel_size must be an int >= 1, got \(3, 3\)"):
        nn.Conv1d(1, 1, (3, 3))
    with pytest.raises(ValueError, match="out_channels must be a positive int"):
        nn.Conv1d(1, 0, 3)
