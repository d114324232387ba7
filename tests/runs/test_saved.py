import csv
import json

import numpy as np
import pytest

import descend as ds
from descend.data.features import load_features
from tests.cli.conftest import descend, write_csv


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved")
    descend("train", "--data", "iris", "--model", "softmax", "--epochs", "20", "--out", "run",
            "--quiet", cwd=folder, check=True)  # fmt: skip
    return folder / "run"


def test_descend_predict_load_run_and_onnx_give_the_same_classes_by_name(tmp_path, iris_run):
    X, y = ds.data.load_iris()
    header = "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)"
    write_csv(
        tmp_path / "new.csv", header + "\n" + "\n".join(",".join(map(str, r)) for r in X) + "\n"
    )
    descend("predict", iris_run, "new.csv", "-o", "out.csv", cwd=tmp_path, check=True)
    with open(tmp_path / "out.csv") as handle:
        rows = list(csv.DictReader(handle))
    printed = [r["prediction"] for r in rows]

    saved = ds.load_run(iris_run)
    assert saved.task == "classify" and saved.class_names == ["setosa", "versicolor", "virginica"]
    X_csv = load_features(tmp_path / "new.csv", saved.feature_names)
    names, proba = saved.predict(X_csv), saved.predict_proba(X_csv)
    assert names.tolist() == printed  # names out, as descend predict prints them
    probabilities = np.array([[float(r[f"p_{c}"]) for c in saved.class_names] for r in rows])
    np.testing.assert_allclose(proba, probabilities, atol=1e-6)
    assert np.mean(names == np.array(saved.class_names)[y]) > 0.8

    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    descend("export", iris_run, "iris.onnx", cwd=tmp_path, check=True)
    session = ort.InferenceSession(str(tmp_path / "iris.onnx"), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": X_csv.astype(np.float32)})
    classes = json.loads(session.get_modelmeta().custom_metadata_map["class_names"])
    assert [classes[i] for i in got.argmax(axis=1)] == printed


def test_names_in_names_out(iris_run):
    saved = ds.load_run(iris_run)
    config = saved.config
    found = ds.data.load(config.data)
    splits = ds.data.holdout(found, config.val_fraction, config.test_fraction, config.seed)
    names = np.array(saved.class_names)[splits.y_test]
    assert set(saved.predict(splits.X_test)) <= set(saved.class_names)
    assert saved.evaluate(splits.X_test, names)["accuracy"] > 0.5
    assert saved.evaluate(splits.X_test, names.tolist()) == saved.evaluate(splits.X_test, names)
    with pytest.raises(ValueError, match=r"y has class '\d', which the run does not know \(its"):
        saved.evaluate(splits.X_test, splits.y_test)  # codes, not names


def test_evaluate_on_raw_data_matches_the_saved_test_metrics(iris_run):
    saved = ds.load_run(iris_run)
    config = saved.config
    found = ds.data.load(config.data)
    splits = ds.data.holdout(found, config.val_fraction, config.test_fraction, config.seed)
    scores = saved.evaluate(splits.X_test, np.array(saved.class_names)[splits.y_test])
    saved_scores = json.loads((iris_run / "metrics.json").read_text())["test"]
    assert scores.keys() == saved_scores.keys()
    for name in scores:
        assert scores[name] == pytest.approx(saved_scores[name], rel=1e-6), name


def test_a_regressor_predicts_in_the_targets_units(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = X @ [30.0, -10.0] + 500
    lines = ["a,b,price"] + [f"{a:.6f},{b:.6f},{t:.6f}" for (a, b), t in zip(X, y)]
    write_csv(tmp_path / "h.csv", "\n".join(lines) + "\n")
    descend("train", "--data", "h.csv", "--model", "linear", "--optimizer", "sgd",
            "--batch-size", "full", "--epochs", "80", "--out", "r", "--quiet",
            cwd=tmp_path, check=True)  # fmt: skip
    saved = ds.load_run(tmp_path / "r")
    np.testing.assert_allclose(saved.predict(X[:5]), y[:5], atol=1.0)
    assert saved.evaluate(X, y)["r2"] > 0.999
    with pytest.raises(ValueError, match="regression run: it has no class probabilities"):
        saved.predict_proba(X)


def test_wrong_feature_count_and_unfinished_runs_are_named(tmp_path, iris_run):
    saved = ds.load_run(iris_run)
    with pytest.raises(ValueError, match="expected 4 features, got 3"):
        saved.predict(np.zeros((2, 3)))
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.toml").write_text((iris_run / "config.toml").read_text())
    with pytest.raises(ValueError, match="no model.safetensors; the run has not finished"):
        ds.load_run(tmp_path / "half")
    with pytest.raises(ValueError, match="no such run folder"):
        ds.load_run(tmp_path / "nowhere")


def test_the_scalers_a_run_needs_are_required(tmp_path, iris_run):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(iris_run, copy)
    (copy / "scaler.safetensors").unlink()
    with pytest.raises(ValueError, match=r"copy/scaler.safetensors: missing; the model was"):
        ds.load_run(copy)
    # A scaler of another run (64 pixels of digits instead of 4 iris features).
    digits = ds.prepare_run(ds.RunConfig(epochs=1))
    ds.io.save(digits.splits.scaler.state_dict(), copy / "scaler.safetensors")
    with pytest.raises(ValueError, match="scales 64 values, expected 4: it belongs to another run"):
        ds.load_run(copy)


def test_images_need_their_pixel_count(iris_run):
    saved = ds.load_run(iris_run)
    with pytest.raises(ValueError, match=r"expected 4 features, got 784 \(1x28x28 images\)"):
        saved.predict(np.zeros((2, 1, 28, 28)))
    with pytest.raises(ValueError, match="expected 4 features, got 1"):
        saved.predict(np.zeros(4))


def test_the_pipeline_runs_on_the_device_the_run_lives_on(iris_run, accelerator):
    X, _ = ds.data.load_iris()
    on_cpu = ds.load_run(iris_run)
    moved = ds.load_run(iris_run).to(accelerator)  # the model and the scaler's statistics
    assert str(moved.device) == f"{accelerator}:0"
    np.testing.assert_allclose(moved.predict_proba(X), on_cpu.predict_proba(X), atol=1e-6)
    assert moved.predict(X).tolist() == on_cpu.predict(X).tolist()
    assert str(moved(ds.tensor(X[:5], device=accelerator)).device) == f"{accelerator}:0"
