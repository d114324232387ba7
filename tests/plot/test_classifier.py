import numpy as np
import pytest

from descend import metrics, nn, optim, plot
from descend.models import MLP, LogisticRegression
from descend.plot.classifier import (
    confusion_matrix_figure,
    decision_regions_figure,
    predict_classes,
)
from descend.train import Trainer
from tests.plot.png import assert_picture


def cell_texts(figure) -> dict:
    ax = figure.axes[0]
    return {
        (round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts
    }


def test_confusion_matrix_shows_every_count(tmp_path):
    cm = metrics.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0])
    figure = confusion_matrix_figure(cm, labels=["cat", "dog", "eel"])
    texts = cell_texts(figure)
    assert texts == {(i, j): str(cm[i, j]) for i in range(3) for j in range(3)}
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "eel"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert ax.get_title() == "Confusion matrix (accuracy 66.7%, 6 samples)"
    assert_picture(plot.confusion_matrix(cm, tmp_path / "cm.png"), min_size=(400, 350))


def test_fractions_get_two_decimals():
    cm = np.array([[0.75, 0.25], [0.1, 0.9]])
    texts = cell_texts(confusion_matrix_figure(cm))
    assert texts[(0, 0)] == "0.75" and texts[(1, 0)] == "0.10"


def test_ten_classes_stay_readable(tmp_path):
    rng = np.random.default_rng(0)
    cm = rng.integers(0, 40, size=(10, 10))
    assert_picture(plot.confusion_matrix(cm, tmp_path / "cm10.png"), min_size=(800, 700))


@pytest.mark.parametrize(
    "cm, labels, message",
    [
        (np.zeros((2, 3)), None, r"must be square \(C, C\), got shape \(2, 3\)"),
        (np.array([[1, -1], [0, 2]]), None, "finite and >= 0"),
        (np.eye(2), ["a", "b", "c"], "3 labels for a 2x2 confusion matrix"),
    ],
)
def test_bad_matrices_are_named(cm, labels, message):
    with pytest.raises(ValueError, match=message):
        confusion_matrix_figure(cm, labels=labels)


def line_data(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    return X, (X[:, 0] > 0).astype(np.int64)


def test_predict_classes_reads_logits_and_class_scores():
    model = LogisticRegression(2)  # logit = 3 * x1: class 1 right of the vertical axis
    model.linear.weight.data[...] = [[3.0, 0.0]]
    X, y = line_data()
    np.testing.assert_array_equal(predict_classes(model, X), y)
    np.testing.assert_array_equal(predict_classes(model, X, threshold=100.0), np.zeros_like(y))
    assert model.training  # the mode is put back


def test_decision_regions_colour_the_plane_by_the_prediction(tmp_path):
    model = LogisticRegression(2)
    model.linear.weight.data[...] = [[3.0, 0.0]]
    X, y = line_data()
    y[:4] = 1 - y[:4]  # four points on the wrong side
    figure = decision_regions_figure(model, X, y, resolution=50)
    ax = figure.axes[0]
    assert ax.get_title() == "Decision regions (accuracy 95.0% on these 80 points)"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["class 0", "class 1", "misclassified (4)"]
    # The boundary drawn is the model's: the vertical line x1 = 0.
    boundary = np.concatenate([p.vertices for p in ax.collections[1].get_paths()])
    assert np.abs(boundary[:, 0]).max() < 0.1
    assert_picture(plot.decision_regions(model, X, y, tmp_path / "regions.png"))


def test_decision_regions_of_a_trained_classifier(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 2))
    y = (X[:, 0] ** 2 + X[:, 1] > 0.5).astype(np.int64)
    model = MLP([2, 16, 2])
    trainer = Trainer(
        model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), verbose=0
    )
    trainer.fit((X, y), epochs=40, batch_size=32, seed=0)
    predicted = predict_classes(model, X)
    np.testing.assert_array_equal(predicted, trainer.predict(X))  # a Module or its Trainer
    figure = decision_regions_figure(trainer, X, y, resolution=60, feature_names=("a", "b"))
    accuracy = np.mean(predicted == y)
    assert accuracy > 0.9
    assert (
        figure.axes[0].get_title()
        == f"Decision regions (accuracy {accuracy:.1%} on these 150 points)"
    )
    assert figure.axes[0].get_xlabel() == "a"
    assert_picture(plot.decision_regions(trainer, X, y, tmp_path / "mlp.png"))


def test_decision_regions_need_two_features():
    X, y = line_data()
    with pytest.raises(ValueError, match=r"needs X of shape \(N, 2\), got \(80, 3\)"):
        decision_regions_figure(LogisticRegression(3), np.c_[X, X[:, :1]], y)
    with pytest.raises(ValueError, match="X has 80 samples but y has 79"):
        decision_regions_figure(LogisticRegression(2), X, y[:-1])
