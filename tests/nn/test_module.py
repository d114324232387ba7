import numpy as np
import pytest

import descend as ds
from descend import nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 2)
        self.scale = 2.0  # a plain attribute, not registered

    def forward(self, x):
        return self.fc2(self.fc1(x).relu()) * self.scale


def test_parameter_is_a_tensor_that_requires_grad_in_the_default_dtype():
    p = nn.Parameter(np.zeros((2, 3)))
    assert isinstance(p, ds.Tensor) and p.requires_grad and p.dtype == np.float32
    ds.set_default_dtype(np.float64)
    assert nn.Parameter([1.0]).dtype == np.float64
    assert "Parameter containing" in repr(p)
    with pytest.raises(AttributeError):
        p.extra = 1  # __slots__: no per-instance dict


def test_named_parameters_use_pytorch_names_in_registration_order():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [p.shape for p in model.parameters()] == [(8, 4), (8,), (2, 8), (2,)]
    assert [name for name, _ in model.named_children()] == ["fc1", "fc2"]
    assert list(model.children()) == [model.fc1, model.fc2]
    assert [name for name, _ in model.named_modules()] == ["", "fc1", "fc2"]
    assert len(list(model.modules())) == 3


def test_shared_parameters_are_listed_once():
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    model[1].weight = model[0].weight
    assert len(list(model.parameters())) == 3
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.bias"]


def test_forward_and_call():
    model = TwoLayer()
    out = model(ds.randn(5, 4))
    assert out.shape == (5, 2)
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        nn.Module()(1)


def test_assignment_registers_and_unregisters():
    model = TwoLayer()
    model.extra = nn.Parameter(np.ones(3))
    assert "extra" in dict(model.named_parameters())
    del model.extra
    assert "extra" not in dict(model.named_parameters())
    model.fc2 = None
    assert [n for n, _ in model.named_children()] == ["fc1"]
    with pytest.raises(TypeError, match="cannot assign a Tensor to parameter 'weight'"):
        model.fc1.weight = ds.zeros(8, 4)
    model.fc1.bias = None
    assert "fc1.bias" not in model.state_dict()


def test_assignment_before_init_is_explained():
    class Forgot(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) first in Forgot"):
        Forgot()


def test_train_eval_are_recursive():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5)))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(TypeError, match="mode must be a bool"):
        model.train("no")


def test_zero_grad_sets_gradients_to_none():
    model = TwoLayer()
    model(ds.randn(3, 4)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(not p.grad.any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_holds_copies_with_buffers():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    state = model.state_dict()
    assert list(state) == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
    ]
    assert all(isinstance(v, np.ndarray) for v in state.values())
    assert state["1.num_batches_tracked"].dtype == np.int64
    state["0.weight"][...] = 7
    assert not (model[0].weight.data == 7).any()


def test_load_state_dict_copies_in_place():
    source, target = TwoLayer(), TwoLayer()
    weight_array = target.fc1.weight.data
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert target.fc1.weight.data is weight_array
    for (_, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_load_state_dict_accepts_tensors_and_casts_float64():
    model = nn.Linear(2, 1)
    model.load_state_dict({"weight": ds.tensor([[1.0, 2.0]]), "bias": np.array([0.5])})
    assert model.weight.data.tolist() == [[1.0, 2.0]] and model.bias.dtype == np.float32


def test_load_state_dict_errors_name_every_problem_and_change_nothing():
    model = TwoLayer()
    before = model.state_dict()
    bad = dict(before)
    del bad["fc2.bias"]
    bad["fc3.weight"] = np.zeros(2)
    bad["fc1.weight"] = np.zeros((4, 8))
    with pytest.raises(ValueError) as info:
        model.load_state_dict(bad)
    message = str(info.value)
    assert "missing keys: fc2.bias" in message
    assert "unexpected keys: fc3.weight" in message
    assert "fc1.weight: expected shape (8, 4), got (4, 8)" in message
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_load_state_dict_non_strict_reports_keys():
    model = TwoLayer()
    state = {"fc1.weight": np.ones((8, 4)), "other": np.zeros(1)}
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["fc1.bias", "fc2.weight", "fc2.bias"]
    assert result.unexpected_keys == ["other"]
    assert (model.fc1.weight.data == 1).all()
    with pytest.raises(ValueError, match="expected shape"):
        model.load_state_dict({"fc1.weight": np.ones(3)}, strict=False)


def test_load_state_dict_rejects_uncastable_values():
    with pytest.raises(ValueError, match="num_batches_tracked: cannot load float64 into int64"):
        nn.BatchNorm1d(2).load_state_dict(
            {**nn.BatchNorm1d(2).state_dict(), "num_batches_tracked": np.array(1.5)}
        )


def test_buffers():
    module = nn.Module()
    module.register_buffer("steps", np.zeros(3))
    module.register_buffer("cache", np.ones(2), persistent=False)
    assert [n for n, _ in module.named_buffers()] == ["steps", "cache"]
    assert list(module.state_dict()) == ["steps"]
    module.steps = np.ones(3)
    assert module.state_dict()["steps"].tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(TypeError, match="buffer 'steps' must be an ndarray or None"):
        module.steps = [1, 2, 3]
    with pytest.raises(KeyError, match="without '.'"):
        module.register_buffer("a.b", np.zeros(1))


def test_add_module_explains_a_class_passed_instead_of_an_instance():
    with pytest.raises(TypeError, match=r"did you mean ReLU\(\)\?"):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU)


def test_to_float64_converts_parameters_and_buffers_in_place():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    weight = model[0].weight
    model.to(np.float64)
    assert model[0].weight is weight and weight.dtype == np.float64
    assert model[1].running_mean.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64
    assert model(ds.randn(3, 2, dtype=np.float64)).dtype == np.float64
    with pytest.raises(TypeError, match="floating dtype"):
        model.to(np.int32)


def test_apply_and_requires_grad():
    model = TwoLayer()
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Linear", "TwoLayer"]
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_repr_shows_structure_and_parameter_counts():
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.Flatten(), nn.Linear(10, 1))
    text = repr(model)
    assert text.splitlines() == [
        "Sequential(",
        "  (0): Conv2d(1, 6, 5, padding=2)  # 156 parameters",
        "  (1): ReLU()",
        "  (2): Flatten()",
        "  (3): Linear(10, 1)  # 11 parameters",
        ")  # 167 parameters",
    ]
    assert repr(nn.Linear(784, 10, bias=False)) == "Linear(784, 10, bias=False)  # 7,840 parameters"
    assert repr(nn.Linear(1, 1)) == "Linear(1, 1)  # 2 parameters"


def test_to_a_device_follows_pytorch():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    weight = model[0].weight
    assert model.to("cpu") is model and model.to(device="cpu") is model
    assert model[0].weight is weight and weight.dtype == np.float32
    model.to("cpu", np.float64)
    assert weight.dtype == np.float64 and model[1].running_mean.dtype == np.float64
    with pytest.raises(ValueError, match=r"unknown device 'tpu'"):
        model.to("tpu")
