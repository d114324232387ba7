import pytest

from descend.names import closest


def test_a_known_name_comes_back():
    assert closest("model", "mlp", ("linear", "mlp")) == "mlp"


def test_a_typo_gets_the_nearest_name_and_the_list():
    with pytest.raises(ValueError, match=r"unknown model 'mpl'; did you mean 'mlp'\? \(choose"):
        closest("model", "mpl", ("linear", "mlp"))


def test_nothing_near_gives_the_list_alone():
    with pytest.raises(ValueError) as error:
        closest("model", "zzzzzz", ("linear", "mlp"))
    assert str(error.value) == "unknown model 'zzzzzz' (choose from linear, mlp)"
