"""Settings and run files that ask for too much, or hold what a model cannot: one line
that names the file (a ModelFileError), before anything large is allocated."""

import numpy as np
import pytest

import descend as ds
from descend import io
from tests.cli.conftest import descend


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs") / "iris"
    config = ds.RunConfig(data="iris", model="mlp", hidden=[8], epochs=2, seed=0)
    run = ds.prepare_run(config)
    trainer = run.fit(run.trainer(verbose=0))
    run.save(folder, trainer)
    run.save_checkpoint(trainer, folder)
    return folder


def copy_run(source, target):
    target.mkdir()
    for path in source.iterdir():
        if path.is_file():
            (target / path.name).write_bytes(path.read_bytes())
    return target


def test_hidden_layers_too_large_to_hold_are_refused_before_allocation(tmp_path):
    (tmp_path / "big.toml").write_text('data = "iris"\nhidden = [100000000]\n')
    done = descend("train", "--config", "big.toml", "--out", "big", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "descend train: error: --model mlp --hidden 100000000 with 4 input features asks "
        "for 8e+08 weights (2.98 GiB), more than the 1.34e+08 a run may hold\n"
    )
    assert not (tmp_path / "big").exists()


@pytest.mark.parametrize("shape", [[1e6, 1e6], [1000000, 1000000], [], ["4"]])
def test_a_crafted_input_shape_is_one_line_naming_the_model_file(tmp_path, iris_run, shape):
    folder = copy_run(iris_run, tmp_path / "run")
    path = folder / "model.safetensors"
    io.save(io.load(path), path, metadata={**io.load_metadata(path), "input_shape": shape})
    with pytest.raises(io.ModelFileError, match=f"^{path}: "):
        ds.load_run(folder)
    done = descend("predict", folder, "x.csv", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith(f"descend predict: error: {path}: ")


@pytest.mark.parametrize("key", ["rng", "loader", "model", "trainer.epoch"])
def test_a_checkpoint_missing_a_part_is_one_line_naming_it(tmp_path, iris_run, key):
    folder = copy_run(iris_run, tmp_path / "run")
    path = folder / "checkpoint.safetensors"
    state = io.load(path)
    if key == "trainer.epoch":
        del state["trainer"]["epoch"]
    else:
        del state[key]
    io.save(state, path)
    done = descend("train", "--resume", folder, "--epochs", "4", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        f"descend train: error: {path} is not a checkpoint of this run: it lacks "
        f"'{key.split('.')[-1]}'\n"
    )


@pytest.mark.parametrize("bad", ["int", "bool", "nan", "inf"])
def test_weights_that_cannot_be_a_trained_models_are_refused(tmp_path, iris_run, bad):
    folder = copy_run(iris_run, tmp_path / "run")
    path = folder / "model.safetensors"
    state = io.load(path)
    weight = state["0.weight"]
    if bad in ("int", "bool"):
        state["0.weight"] = (weight > 0).astype(np.int32 if bad == "int" else np.bool_)
    else:
        state["0.weight"] = weight.copy()
        state["0.weight"][1, 2] = np.nan if bad == "nan" else np.inf
    io.save(state, path, metadata=io.load_metadata(path))
    with pytest.raises(io.ModelFileError, match=f"^{path}: weight '0.weight' holds ") as error:
        ds.load_run(folder)
    assert ("NaN or infinite" in str(error.value)) == (bad in ("nan", "inf"))
    done = descend("evaluate", folder, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith(f"descend evaluate: error: {path}")
