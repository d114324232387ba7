import csv
import json
import shutil

import numpy as np
import pytest
from sklearn.datasets import load_digits
from tests.cli.conftest import descend, write_csv
from tests.plot.png import assert_picture

import descend as ds


def test_evaluate_prints_metrics_and_confusion_matrix(tmp_path, digits_run):
    result = descend("evaluate", digits_run, "--plot", cwd=tmp_path, check=True)
    assert "on the test split of digits (360 samples)" in result.stdout
    assert "confusion matrix" in result.stdout
    rows = result.stdout.split("confusion matrix")[1].strip().splitlines()[2:12]
    counts = np.array([[int(v) for v in row.split()[1:]] for row in rows])
    assert counts.shape == (10, 10) and counts.sum() == 360
    accuracy = float(result.stdout.split("data")[1].split()[1])  # loss, accuracy, f1
    assert np.trace(counts) / 360 > 0.5
    assert 0 <= accuracy <= 1
    assert (digits_run / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"


def test_predict_writes_labels_and_probabilities(tmp_path, digits_run):
    X, y = load_digits(return_X_y=True)
    header = ",".join(f"pixel_{i // 8}_{i % 8}" for i in range(64))
    lines = [header] + [",".join(str(v) for v in row) for row in X[:20]]
    write_csv(tmp_path / "new.csv", "\n".join(lines) + "\n")
    result = descend("predict", digits_run, "new.csv", "-o", "out.csv", cwd=tmp_path, check=True)
    assert "wrote 20 predictions to out.csv" in result.stdout
    with open(tmp_path / "out.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 20 and list(rows[0])[:2] == ["prediction", "p_0"]
    probabilities = np.array([[float(r[f"p_{k}"]) for k in range(10)] for r in rows])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    predicted = np.array([int(r["prediction"]) for r in rows])
    np.testing.assert_array_equal(predicted, probabilities.argmax(axis=1))
    assert np.mean(predicted == y[:20]) > 0.7


def test_info_describes_the_run(tmp_path, digits_run):
    result = descend("info", digits_run, cwd=tmp_path, check=True)
    assert "parameters)" in result.stdout and "Linear" in result.stdout
    assert 'model = "mlp"' in result.stdout
    assert "trained 3 epochs" in result.stdout and "final metrics" in result.stdout


def test_predict_ignores_a_text_target_column(tmp_path):
    rows = [f"{a},{b},{'big' if a + b > 5 else 'small'}" for a in range(6) for b in range(6)]
    write_csv(tmp_path / "train.csv", "a,b,size\n" + "\n".join(rows) + "\n")
    descend("train", "--data", "train.csv", "--model", "softmax", "--epochs", "30",
            "--lr", "0.1", "--out", "r", "--quiet", cwd=tmp_path, check=True)  # fmt: skip
    # The same columns, the target's too (in another place): it is not read.
    write_csv(tmp_path / "new.csv", "size,b,a\nsmall,0,1\n?,5,5\n")
    result = descend("predict", "r", "new.csv", cwd=tmp_path, check=True)
    lines = result.stdout.splitlines()
    assert lines[0] == "prediction,p_big,p_small"
    assert [line.split(",")[0] for line in lines[1:]] == ["small", "big"]


def test_a_missing_or_damaged_scaler_is_an_error_naming_it(tmp_path, digits_run):
    copy = tmp_path / "copy"
    shutil.copytree(digits_run, copy)
    write_csv(tmp_path / "new.csv", ",".join(f"p{i}" for i in range(64)) + "\n" + "0," * 63 + "0\n")
    (copy / "scaler.safetensors").unlink()
    result = descend("predict", copy, "new.csv", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"descend predict: error: {copy}/scaler.safetensors: missing; the model was trained on "
        "standardised inputs and needs this file to predict\n"
    )
    (copy / "scaler.safetensors").write_bytes(b"not a safetensors file")
    result = descend("evaluate", copy, cwd=tmp_path)
    assert result.returncode == 2 and "scaler.safetensors" in result.stderr


def test_evaluate_names_the_feature_counts_both_ways(tmp_path, digits_run):
    from tests.data.test_mnist import write_pair

    folder = tmp_path / "mnist"
    folder.mkdir()
    write_pair(folder, "train", n=20)
    write_pair(folder, "t10k", n=10)
    result = descend("evaluate", digits_run, "--data", folder, cwd=tmp_path)
    assert result.returncode == 2
    assert "error: expected 64 features, got 784 (1x28x28 images)" in result.stderr
    descend("train", "--data", folder, "--model", "softmax", "--epochs", "1", "--out", "mnist-run",
            "--val-fraction", "0", "--quiet", cwd=tmp_path, check=True)  # fmt: skip
    result = descend("evaluate", "mnist-run", "--data", "digits", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "descend evaluate: error: expected 784 features, got 64\n"


def test_evaluate_matches_classes_by_name(tmp_path):
    rows = [f"{i},{i % 7},{['cat', 'dog', 'fox'][i % 3]}" for i in range(60)]
    write_csv(tmp_path / "train.csv", "a,b,animal\n" + "\n".join(rows) + "\n")
    descend("train", "--data", "train.csv", "--model", "softmax", "--epochs", "2", "--out", "r",
            "--quiet", cwd=tmp_path, check=True)  # fmt: skip
    # No dog here: fox must stay class 2, not become class 1.
    write_csv(tmp_path / "some.csv", "a,b,animal\n1,1,fox\n2,2,cat\n4,4,fox\n")
    result = descend("evaluate", "r", "--data", "some.csv", cwd=tmp_path, check=True)
    rows = result.stdout.split("confusion matrix")[1].strip().splitlines()[2:5]
    assert [sum(int(v) for v in row.split()[1:]) for row in rows] == [1, 0, 2]
    write_csv(tmp_path / "other.csv", "a,b,animal\n1,1,owl\n")
    result = descend("evaluate", "r", "--data", "other.csv", cwd=tmp_path)
    assert result.returncode == 2
    expected = "other.csv has class 'owl', which the run does not know (its classes: cat, dog, fox)"
    assert expected in result.stderr


def test_evaluate_plot_of_a_regressor_draws_predicted_against_true(tmp_path):
    descend("train", "--data", "diabetes", "--model", "linear", "--optimizer", "sgd",
            "--epochs", "20", "--out", "r", "--quiet", cwd=tmp_path, check=True)  # fmt: skip
    result = descend("evaluate", "r", "--plot", cwd=tmp_path, check=True)
    assert result.stdout.splitlines()[-1] == "wrote r/predictions.png"
    assert "confusion" not in result.stdout
    assert_picture(tmp_path / "r" / "predictions.png")


def test_info_gives_the_resolved_lr_and_only_the_settings_that_apply(tmp_path):
    descend("train", "--data", "iris", "--model", "softmax", "--epochs", "1", "--out", "r",
            "--quiet", cwd=tmp_path, check=True)  # fmt: skip
    out = descend("info", "r", cwd=tmp_path, check=True).stdout
    assert "lr = 0.001  # adam's default" in out
    assert "hidden" not in out and "hidden" not in (tmp_path / "r" / "config.toml").read_text()
    assert "trained 1 epoch, 3 updates" in out


IRIS = "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)"


def test_predict_refuses_a_file_that_lacks_a_feature_column(tmp_path):
    descend("train", "--data", "iris", "--model", "softmax", "--epochs", "2", "--out", "r",
            "--quiet", cwd=tmp_path, check=True)  # fmt: skip
    # Three of the features and the target: four columns, but not the four features.
    names = IRIS.split(",")
    write_csv(tmp_path / "new.csv", ",".join(names[1:]) + ",target\n3.5,1.4,0.2,0\n")
    result = descend("predict", "r", "new.csv", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "descend predict: error: new.csv has no column 'sepal length (cm)', a feature of the "
        "run (its features: sepal length (cm), sepal width (cm), petal length (cm), petal "
        "width (cm))\n"
    )
    # No training name at all, the right count: read by position, and said so in one line.
    write_csv(tmp_path / "plain.csv", "a,b,c,d\n5.1,3.5,1.4,0.2\n")
    result = descend("predict", "r", "plain.csv", cwd=tmp_path, check=True)
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("warning: plain.csv: no column has a training feature's name")
    assert result.stdout.splitlines()[1].split(",")[0] == "setosa"


def test_a_run_on_a_relative_path_is_evaluated_and_resumed_from_anywhere(tmp_path):
    (tmp_path / "work").mkdir()
    (tmp_path / "elsewhere").mkdir()
    rows = [f"{i % 5},{i % 3},{['cat', 'dog'][i % 2]}" for i in range(40)]
    write_csv(tmp_path / "work" / "pets.csv", "a,b,animal\n" + "\n".join(rows) + "\n")
    descend("train", "--data", "pets.csv", "--model", "softmax", "--epochs", "2", "--out", "r",
            "--quiet", cwd=tmp_path / "work", check=True)  # fmt: skip
    run = tmp_path / "work" / "r"
    result = descend("evaluate", run, cwd=tmp_path / "elsewhere", check=True)
    assert "on the test split of pets" in result.stdout
    descend("train", "--resume", run, "--epochs", "3", "--quiet", cwd=tmp_path / "elsewhere",
            check=True)  # fmt: skip
    (tmp_path / "work" / "pets.csv").unlink()
    result = descend("evaluate", run, cwd=tmp_path / "elsewhere")
    assert result.returncode == 2
    assert result.stderr == (
        f"descend evaluate: error: {run} was trained on {tmp_path / 'work' / 'pets.csv'}: no "
        "such file or folder; pass --data\n"
    )
    # A run whose config.toml has the path relative to where it was trained (before).
    toml = (run / "config.toml").read_text()
    (run / "config.toml").write_text(toml.replace(str(tmp_path / "work" / "pets.csv"), "pets.csv"))
    result = descend("evaluate", run, cwd=tmp_path / "elsewhere")
    assert result.stderr == (
        f"descend evaluate: error: {run} was trained on pets.csv, a path relative to where it "
        f"was trained: not in {tmp_path / 'elsewhere'}; pass --data\n"
    )


def test_export_follows_the_output_rules_of_the_other_commands(tmp_path, digits_run):
    pytest.importorskip("onnx")
    (tmp_path / "taken.onnx").write_text("keep me")
    cases = {
        "taken.onnx": "taken.onnx exists; pass --force to replace it, or choose another name",
        "missing/m.onnx": "MODEL.onnx missing/m.onnx: the folder missing does not exist",
        "m.txt": "m.txt: ONNX models are written as .onnx; give a name ending in .onnx",
        ".": "MODEL.onnx . is a folder; give a file name",
    }
    for output, message in cases.items():
        result = descend("export", digits_run, output, cwd=tmp_path)
        assert (result.returncode, result.stderr) == (2, f"descend export: error: {message}\n")
    assert (tmp_path / "taken.onnx").read_text() == "keep me" and not (
        tmp_path / "missing"
    ).exists()
    result = descend("export", digits_run, "taken.onnx", "--force", cwd=tmp_path, check=True)
    assert result.stdout.startswith("wrote taken.onnx: raw features (N, 64) float32")


def test_a_diverged_run_exports_with_a_warning(tmp_path):
    pytest.importorskip("onnx")
    args = ("--model", "softmax", "--optimizer", "sgd", "--lr", "1e6", "--epochs", "2")
    result = descend("train", "--data", "iris", *args, "--out", "r", "--quiet", cwd=tmp_path)
    assert result.returncode == 3
    result = descend("export", "r", "r.onnx", cwd=tmp_path, check=True)
    assert result.stderr.startswith("warning: r diverged in training (loss ")
    assert (tmp_path / "r.onnx").is_file()


def test_a_run_saved_from_python_resumes(tmp_path):
    run = ds.prepare_run(ds.RunConfig(data="iris", model="softmax", epochs=2))
    run.save(tmp_path / "r", run.fit(run.trainer(verbose=0)))
    result = descend("train", "--resume", "r", "--epochs", "4", "--quiet", cwd=tmp_path, check=True)
    assert result.returncode == 0
    assert json.loads((tmp_path / "r" / "history.json").read_text())["epoch"] == [1, 2, 3, 4]


def test_scaler_names_are_names_and_a_foreign_checkpoint_is_named(tmp_path, digits_run):
    copy = tmp_path / "copy"
    shutil.copytree(digits_run, copy)
    model = copy / "model.safetensors"
    state, meta = ds.io.load(model), ds.io.load_metadata(model)
    ds.io.save(state, model, metadata={**meta, "scalers": ["../../../etc/passwd"]})
    result = descend("predict", copy, "any.csv", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"descend predict: error: {model}: metadata 'scalers' must list names among scaler, "
        "target_scaler, got ['../../../etc/passwd']\n"
    )
    foreign = tmp_path / "foreign"
    shutil.copytree(digits_run, foreign)
    ds.io.save({"weights": np.zeros(3)}, foreign / "checkpoint.safetensors")
    result = descend("train", "--resume", foreign, "--epochs", "5", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"descend train: error: {foreign}/checkpoint.safetensors is not a checkpoint of this run"
    )


def test_evaluate_matches_feature_columns_by_name(tmp_path):
    rows = [f"{i % 7},{(i * 3) % 5},{['cat', 'dog'][i % 7 > 3]}" for i in range(60)]
    write_csv(tmp_path / "train.csv", "a,b,animal\n" + "\n".join(rows) + "\n")
    descend("train", "--data", "train.csv", "--model", "softmax", "--epochs", "20", "--lr", "0.1",
            "--out", "r", "--quiet", cwd=tmp_path, check=True)  # fmt: skip
    same = descend("evaluate", "r", "--data", "train.csv", cwd=tmp_path, check=True).stdout
    # The same data with its feature columns swapped: the same scores, read by name.
    swapped = [f"{r.split(',')[1]},{r.split(',')[0]},{r.split(',')[2]}" for r in rows]
    write_csv(tmp_path / "swapped.csv", "b,a,animal\n" + "\n".join(swapped) + "\n")
    result = descend("evaluate", "r", "--data", "swapped.csv", cwd=tmp_path, check=True)
    assert result.stdout.splitlines()[1:] == same.splitlines()[1:] and result.stderr == ""
    write_csv(tmp_path / "other.csv", "a,x,animal\n1,2,cat\n")
    result = descend("evaluate", "r", "--data", "other.csv", cwd=tmp_path)
    assert result.returncode == 2
    assert "other.csv has no column 'b', a feature of the run (its features: a, b)" in result.stderr
