import csv

import numpy as np
from sklearn.datasets import load_digits
from tests.cli.conftest import descend, write_csv


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
