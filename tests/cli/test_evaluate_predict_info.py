import csv
import shutil

import numpy as np
from sklearn.datasets import load_digits
from tests.cli.conftest import descend, write_csv
from tests.plot.png import assert_picture


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
