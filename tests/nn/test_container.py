import pytest

import descend as ds
from descend import nn


def test_sequential_applies_modules_in_order():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    x = ds.randn(5, 4)
    expected = model[2](model[1](model[0](x)))
    assert (model(x).data == expected.data).all()
    assert len(model) == 3
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    assert model[-1] is model[2]


def test_sequential_slice_keeps_names():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    tail = model[1:]
    assert isinstance(tail, nn.Sequential)
    assert [name for name, _ in tail.named_parameters()] == ["2.weight", "2.bias"]


def test_sequential_from_dict_and_append():
    model = nn.Sequential({"hidden": nn.Linear(2, 3), "act": nn.Tanh()})
    model.append(nn.Linear(3, 1))
    assert [n for n, _ in model.named_children()] == ["hidden", "act", "2"]
    assert model(ds.randn(4, 2)).shape == (4, 1)


def test_sequential_errors():
    with pytest.raises(IndexError, match="index 3 out of range for 1 modules"):
        nn.Sequential(nn.ReLU())[3]
    with pytest.raises(TypeError, match="must be a Module"):
        nn.Sequential(lambda x: x)


def test_module_list_registers_its_items():
    layers = nn.ModuleList(nn.Linear(2, 2) for _ in range(3))
    layers.extend([nn.ReLU()])
    assert len(layers) == 4 and isinstance(layers[3], nn.ReLU)
    assert [n for n, _ in layers.named_parameters()][:2] == ["0.weight", "0.bias"]
    assert len(list(layers.parameters())) == 6
    with pytest.raises(NotImplementedError, match="has no forward"):
        layers(ds.randn(1, 2))
    with pytest.raises(IndexError):
        layers[9]
