"""Exporting a trained run: raw features in, what ``SavedRun`` predicts out."""

import json
import sys

import numpy as np
import pytest

import descend as ds
from descend.data import StandardScaler
from descend.extras import install_command
from descend.runs import SavedRun
from tests.cli.conftest import descend
from tests.test_onnx_export import onnx, session

RUNS = [
    ("iris", "softmax"),
    ("breast_cancer", "logistic"),
    ("diabetes", "linear"),
    ("diabetes", "mlp"),
    ("wine", "mlp"),
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Small finished runs, one per (data, model), written as ``descend train`` writes them."""
    folders = {}
    for data, model in RUNS:
        run = ds.prepare_run(ds.RunConfig(data=data, model=model, epochs=3, hidden=[16]))
        trainer = run.fit(run.trainer(verbose=0))
        folder = tmp_path_factory.mktemp(f"{data}-{model}")
        run.save(folder, trainer)
        folders[data, model] = (folder, run.dataset.X)
    return folders


def compare(saved: SavedRun, path, X: np.ndarray) -> float:
    """onnxruntime on raw ``X`` against the SavedRun; returns the largest relative difference."""
    (got,) = session(path).run(None, {"input": X.astype(np.float32)})
    if saved.task == "classify":
        expected = saved.predict_proba(X)
        names = np.asarray(saved.class_names)[got.argmax(axis=1)]
        np.testing.assert_array_equal(names, saved.predict(X))
    else:
        expected = saved.predict(X)
        assert got.dtype == np.float64  # values in the target's units, as descend predict
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())
    return float(np.abs(got - expected).max() / np.abs(expected).max())


@pytest.mark.parametrize("data, model", RUNS)
def test_exported_run_predicts_as_the_saved_run(runs, tmp_path, data, model):
    folder, X = runs[data, model]
    saved = ds.load_run(folder)
    path = saved.export(tmp_path / "run.onnx")
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert compare(saved, path, X) < 1e-5
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["task"] == saved.task
    assert json.loads(meta["feature_names"]) == saved.feature_names
    if saved.task == "classify":
        assert json.loads(meta["class_names"]) == [str(c) for c in saved.class_names]
    # The scaler is in the graph, under its own names.
    names = {t.name for t in proto.graph.initializer}
    assert {"scaler.mean_", "scaler.scale_"} <= names


def test_lenet_run_reshapes_raw_pixels_to_images(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 255, (6, 784)).astype(np.float32)
    config = ds.RunConfig(data="mnist", model="lenet")
    saved = SavedRun(
        folder=tmp_path,
        config=config,
        model=ds.models.LeNet5(1, 3),
        task="classify",
        class_names=["0", "1", "2"],
        feature_names=[f"pixel{i}" for i in range(784)],
        input_shape=(1, 28, 28),
        scaler=StandardScaler().fit(X),
    )
    path = saved.export(tmp_path / "lenet.onnx")
    assert compare(saved, path, X) < 1e-5


# -- descend export ---------------------------------------------------------------------
def write_rows(path, names, X) -> np.ndarray:
    """A CSV file as ``descend predict`` reads it; returns the values as parsed."""
    lines = [",".join(names)] + [",".join(repr(float(v)) for v in row) for row in X]
    path.write_text("\n".join(lines) + "\n")
    return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)


@pytest.mark.parametrize("data, model", [("iris", "softmax"), ("diabetes", "mlp")])
def test_cli_export_agrees_with_descend_predict_on_every_row(tmp_path, data, model):
    args = ("--data", data, "--model", model, "--epochs", "3", "--out", "run", "--quiet")
    descend("train", *args, cwd=tmp_path, check=True)
    result = descend("export", "run", "model.onnx", cwd=tmp_path, check=True)
    assert result.stdout.startswith("wrote model.onnx: raw features (N, ")
    saved = ds.load_run(tmp_path / "run")
    raw = ds.data.load(data).X
    X_test = raw[np.random.default_rng(1).choice(len(raw), 60, replace=False)]
    X = write_rows(tmp_path / "test.csv", saved.feature_names, X_test)
    descend("predict", "run", "test.csv", "-o", "predicted.csv", cwd=tmp_path, check=True)
    rows = (tmp_path / "predicted.csv").read_text().splitlines()
    header, rows = rows[0].split(","), [r.split(",") for r in rows[1:]]
    (got,) = session(tmp_path / "model.onnx").run(None, {"input": X.astype(np.float32)})
    assert len(rows) == len(got) == len(X_test)
    if saved.task == "classify":
        assert header == ["prediction"] + [f"p_{c}" for c in saved.class_names]
        labels = [str(saved.class_names[i]) for i in got.argmax(axis=1)]
        assert labels == [row[0] for row in rows]
        printed = np.array([[float(v) for v in row[1:]] for row in rows])
        np.testing.assert_allclose(got, printed, rtol=0, atol=6e-7)  # printed to 6 decimals
    else:
        printed = np.array([float(row[0]) for row in rows])
        np.testing.assert_allclose(got, printed, rtol=6e-6)  # printed to 6 digits


def test_cli_export_errors_leave_no_file(tmp_path, runs, monkeypatch):
    folder, _ = runs["iris", "softmax"]
    result = descend("export", tmp_path / "nowhere", "m.onnx", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "descend export: error: " in result.stderr
    result = descend("export", folder, "m.onnx", "--opset", "5", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("descend export: error: opset must be an int from 13 to")
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if the extra were not installed
    result = descend("export", folder, "m.onnx", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2,
        f"descend export: error: ONNX export needs the onnx package: {install_command('onnx')}\n",
    )
    assert not (tmp_path / "m.onnx").exists()
