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
        ({"lr": 0.0}, "--lr must be a positive, finite number, got 0.0"),
        ({"lr": float("inf")}, "--lr must be a positive, finite number, got inf"),
        ({"seed": -1}, "--seed must be a whole number >= 0, got -1"),
        ({"seed": 1.5}, "--seed must be a whole number, got 1.5"),
        ({"scheduler": "exponential:2"}, "expected a number between 0 and 1 for G, got '2'"),
        ({"scheduler": "none:3"}, "--scheduler none takes no value"),
        ({"batch_size": 0}, "--batch-size must be a positive integer or 'full', got 0"),
        ({"batch_size": True}, "got True"),
        ({"epochs": 1.5}, "--epochs must be a whole number, got 1.5"),
        ({"lr": "0.1"}, "--lr must be a number, got '0.1'"),
        ({"hidden": [64, "a"]}, "--hidden must be a list of whole numbers, like [128, 64], got"),
        ({"early_stopping": True}, "--early-stopping must be a whole number, got True"),
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
    config = RunConfig(data="iris", model="mlp", lr=0.05, batch_size="full", hidden=[8])
    path = tmp_path / "config.toml"
    path.write_text(config.to_toml())
    assert RunConfig.from_toml(path) == config
    assert "target" not in config.to_toml()  # None settings are left out


def test_toml_errors_name_the_file_and_the_key(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('modle = "mlp"\n')
    with pytest.raises(
        ValueError, match=r"run.toml: unknown setting 'modle'; did you mean 'model'\? \(choose "
    ):
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("none", ("none", {})),
        ("step:10", ("step", {"step_size": 10})),
        ("exponential:0.9", ("exponential", {"gamma": 0.9})),
        ("cosine:20", ("cosine", {"T_max": 20})),
        ("linear:3", ("linear", {"total_iters": 3})),
        ("onecycle:0.25", ("onecycle", {"pct_start": 0.25})),
        ("plateau:0", ("plateau", {"patience": 0})),
    ],
)
def test_a_schedule_and_its_one_setting(text, expected):
    assert RunConfig(scheduler=text).validate().schedule() == expected


def test_the_settings_of_every_schedule_reach_the_scheduler():
    import descend as ds

    for text, attribute, value in [
        ("step:10", "step_size", 10),
        ("exponential:0.9", "gamma", 0.9),
        ("cosine:20", "T_max", 20),
        ("linear:3", "total_iters", 3),
        ("plateau:7", "patience", 7),
    ]:
        run = ds.prepare_run(RunConfig(data="iris", model="softmax", scheduler=text, epochs=30))
        assert getattr(run.scheduler, attribute) == value, text


def test_the_toml_file_leaves_out_what_the_model_does_not_use():
    assert "hidden" not in RunConfig(model="softmax").to_toml()
    assert "hidden = [" in RunConfig(model="mlp").to_toml()
