import dataclasses

import pytest

from descend.runs import RunConfig


def test_defaults_validate_and_resolve_the_learning_rate():
    config = RunConfig().validate()
    assert (config.data, config.model, config.optimizer, config.epochs) == (
        "digits",
        "mlp",
        "adam",
        30,
    )
    assert config.learning_rate == 0.001
    assert RunConfig(optimizer="sgd").learning_rate == 0.1
    assert RunConfig(optimizer="sgd", lr=0.3).learning_rate == 0.3


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model": "mpl"}, "unknown model 'mpl'; did you mean 'mlp'?"),
        ({"scheduler": "cosin"}, "did you mean 'cosine'?"),
        ({"lr": 0.0}, "--lr must be a positive number, got 0.0"),
        ({"batch_size": 0}, "--batch-size must be a positive integer or 'full', got 0"),
        ({"batch_size": True}, "got True"),
        ({"epochs": 1.5}, "--epochs must be a positive integer, got 1.5"),
        ({"val_fraction": 1.0}, "--val-fraction must be in [0, 1), got 1.0"),
        ({"val_fraction": 0.5, "test_fraction": 0.5}, "leave no training data"),
        ({"hidden": []}, "--hidden must list positive layer sizes"),
    ],
)
def test_bad_settings_are_named(changes, message):
    with pytest.raises(ValueError) as error:
        RunConfig(**changes).validate()
    assert message in str(error.value)


def test_toml_round_trip(tmp_path):
    config = RunConfig(data="iris", model="softmax", lr=0.05, batch_size="full", hidden=[8])
    path = tmp_path / "config.toml"
    path.write_text(config.to_toml())
    assert RunConfig.from_toml(path) == config
    assert "target" not in config.to_toml()  # None settings are left out


def test_toml_errors_name_the_file_and_the_key(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('modle = "mlp"\n')
    with pytest.raises(ValueError, match=r"run.toml: unknown setting 'modle' \(known: batch_size"):
        RunConfig.from_toml(path)
    path.write_text("model = \n")
    with pytest.raises(ValueError, match="not valid TOML"):
        RunConfig.from_toml(path)
    with pytest.raises(ValueError, match="nowhere.toml: no such file"):
        RunConfig.from_toml(tmp_path / "nowhere.toml")


def test_updated_skips_none_and_every_field_has_help():
    assert RunConfig().updated(epochs=None, seed=4) == RunConfig(seed=4)
    for field in dataclasses.fields(RunConfig):
        assert field.metadata["help"], field.name
