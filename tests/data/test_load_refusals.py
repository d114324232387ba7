"""Data that would train into a wrong answer is refused when it is loaded, in one line
that names the file, the line or row, and the column."""

import numpy as np
import pytest

import descend as ds
from tests.cli.conftest import descend


def write(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


ROWS = [f"{i % 7 - 3}.5,{i % 5},{i % 3}.25,{i % 2}" for i in range(40)]


def test_duplicate_column_names_are_refused(tmp_path):
    path = write(tmp_path / "dup.csv", ["a,a,a,label", *ROWS])
    with pytest.raises(ValueError) as error:
        ds.data.load(str(path))
    assert str(error.value) == (
        f"{path} line 1: the header names 3 columns 'a'; each column needs a name of its own"
    )


@pytest.mark.parametrize("label", ["3", "spam"])
def test_a_target_of_one_class_is_refused(tmp_path, label):
    rows = [row.rsplit(",", 1)[0] + f",{label}" for row in ROWS]
    path = write(tmp_path / "one.csv", ["a,b,c,label", *rows])
    with pytest.raises(ValueError) as error:
        ds.data.load(str(path))
    assert str(error.value).startswith(f"{path}: only one class ({label}) in the target; ")
    if label == "3":  # numbers can still be fitted as values
        assert ds.data.load(str(path), task="regress").task == "regress"


def test_a_feature_too_large_to_standardise_names_its_line(tmp_path):
    rows = list(ROWS)
    rows[5] = "1e308," + rows[5].split(",", 1)[1]  # line 7 of the file
    write(tmp_path / "big.csv", ["a,b,c,label", *rows])
    done = descend("train", "--data", "big.csv", "--out", "run", cwd=tmp_path)
    assert done.returncode == 2 and not (tmp_path / "run").exists()
    assert done.stderr.endswith(
        "big.csv line 7, column 'a': 1e308 is too large to standardise (its square "
        "overflows); rescale the column, e.g. to other units\n"
    )
    assert "ds." not in done.stderr and done.stderr.count("\n") == 1


def test_a_regression_target_too_large_is_refused_at_load(tmp_path):
    rows = [row.rsplit(",", 1)[0] + f",{i * 0.37:.2f}" for i, row in enumerate(ROWS)]
    rows[10] = rows[10].rsplit(",", 1)[0] + ",-1e308"
    path = write(tmp_path / "bigt.csv", ["a,b,c,price", *rows])
    with pytest.raises(ValueError, match=r"bigt.csv line 12, column 'price': -1e308 is too large"):
        ds.data.load(str(path))
    folder = tmp_path / "npy"
    folder.mkdir()
    y = np.linspace(0, 1, 40)
    y[9] = 1e308
    np.save(folder / "X.npy", np.ones((40, 2)))
    np.save(folder / "y.npy", y)
    with pytest.raises(ValueError, match=r"y.npy: the target value 1e\+308 \(row 9\) is too large"):
        ds.data.load(str(folder))


@pytest.mark.parametrize("separator", [";", "\t"])
def test_another_separator_gets_a_hint(tmp_path, separator):
    rows = [row.replace(",", separator) for row in ROWS]
    path = write(tmp_path / "semi.csv", [separator.join("abcd"), *rows])
    with pytest.raises(ValueError) as error:
        ds.data.load(str(path))
    assert str(error.value) == (
        f"{path} line 1: one column {separator.join('abcd')!r}; its names seem separated by "
        f"{separator!r}: expected values separated by ',' (CSV)"
    )


def test_a_validation_split_too_small_is_called_validation():
    with pytest.raises(ValueError) as error:
        ds.prepare_run(ds.RunConfig(data="iris", val_fraction=1e-300))
    assert str(error.value) == (
        "a stratified split of 3 classes needs at least 3 samples in each set; got 119 "
        "training and 1 validation samples"
    )


def npy_folder(path, X, y):
    path.mkdir()
    np.save(path / "X.npy", X)
    np.save(path / "y.npy", y)
    return path


def test_a_nan_target_names_y_npy_and_its_row(tmp_path):
    y = np.linspace(0, 1, 30)
    y[7] = np.nan
    folder = npy_folder(tmp_path / "set", np.ones((30, 2)), y)
    with pytest.raises(ValueError) as error:
        ds.data.load(str(folder))
    assert (
        str(error.value) == f"{folder / 'y.npy'} has 1 NaN or infinite target; the first in row 7"
    )


def test_complex_features_are_refused(tmp_path):
    folder = npy_folder(tmp_path / "set", np.ones((30, 2), complex), np.arange(30) % 2)
    with pytest.raises(ValueError) as error:
        ds.data.load(str(folder))
    assert str(error.value) == (
        f"{folder / 'X.npy'} holds complex numbers (dtype complex128); expected real numbers"
    )


@pytest.mark.parametrize("kind", ["integers", "booleans"])
def test_npy_targets_of_integers_and_booleans_train(tmp_path, kind):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4)).astype(np.float32)
    y = (X[:, 0] * 100).astype(np.int64) if kind == "integers" else X[:, 0] > 0
    npy_folder(tmp_path / "set", X, y)
    done = descend("train", "--data", "set", "--epochs", "2", "--out", "run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    task = ds.load_run(tmp_path / "run").task
    assert task == ("regress" if kind == "integers" else "classify")
    evaluated = descend("evaluate", "run", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr


@pytest.mark.parametrize("shape", [(1, 28, 28), (28, 28)], ids=["NCHW", "NHW"])
def test_images_on_disk_train_evaluate_predict_and_export(tmp_path, shape):
    rng = np.random.default_rng(0)
    X = rng.random((60, *shape), dtype=np.float32)
    y = (X.reshape(60, -1)[:, :392].mean(1) > X.reshape(60, -1)[:, 392:].mean(1)).astype(int)
    npy_folder(tmp_path / "images", X, y)
    np.save(tmp_path / "new.npy", X[:5])
    train = ("train", "--data", "images", "--model", "lenet", "--epochs", "1", "--out", "run")
    done = descend(*train, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert descend("evaluate", "run", cwd=tmp_path).returncode == 0
    predicted = descend("predict", "run", "new.npy", cwd=tmp_path)
    assert predicted.returncode == 0, predicted.stderr
    lines = predicted.stdout.splitlines()
    assert lines[0] == "prediction,p_0,p_1" and len(lines) == 6
    saved = ds.load_run(tmp_path / "run")
    assert saved.input_shape == (1, 28, 28)
    assert [line.split(",")[0] for line in lines[1:]] == [str(c) for c in saved.predict(X[:5])]
    pytest.importorskip("onnxruntime")
    exported = descend("export", "run", "model.onnx", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    import onnxruntime

    session = onnxruntime.InferenceSession(str(tmp_path / "model.onnx"))
    feed = {session.get_inputs()[0].name: X[:5].reshape(5, -1)}
    probabilities = session.run(None, feed)[-1]
    np.testing.assert_allclose(probabilities, saved.predict_proba(X[:5]), rtol=1e-4, atol=1e-5)
