import numpy as np
import pytest
from sklearn import metrics as sk

import descend as ds
from descend import metrics

SEEDS = range(6)


def labels(seed, n=60, classes=3):
    rng = np.random.default_rng(seed)
    return rng.integers(0, classes, n), rng.integers(0, classes, n)


@pytest.mark.parametrize("seed", SEEDS)
def test_accuracy_and_confusion_matrix(seed):
    t, p = labels(seed, classes=4)
    assert metrics.accuracy(t, p) == pytest.approx(sk.accuracy_score(t, p))
    np.testing.assert_array_equal(metrics.confusion_matrix(t, p), sk.confusion_matrix(t, p))
    for normalize in ("true", "pred", "all"):
        np.testing.assert_allclose(
            metrics.confusion_matrix(t, p, normalize=normalize),
            sk.confusion_matrix(t, p, normalize=normalize),
        )
    order = [3, 0, 2]
    np.testing.assert_array_equal(
        metrics.confusion_matrix(t, p, labels=order), sk.confusion_matrix(t, p, labels=order)
    )


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
def test_multiclass_scores(seed, average):
    t, p = labels(seed, classes=4)
    p[p == 3] = 2  # a class never predicted: zero division in precision
    for ours, theirs in (
        (metrics.precision, sk.precision_score),
        (metrics.recall, sk.recall_score),
        (metrics.f1, sk.f1_score),
    ):
        expected = theirs(t, p, average=average, zero_division=0.0)
        np.testing.assert_allclose(ours(t, p, average=average), expected)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("pos_label", [0, 1])
def test_binary_scores(seed, pos_label):
    t, p = labels(seed, n=40, classes=2)
    for ours, theirs in (
        (metrics.precision, sk.precision_score),
        (metrics.recall, sk.recall_score),
        (metrics.f1, sk.f1_score),
    ):
        expected = theirs(t, p, pos_label=pos_label)
        assert ours(t, p, pos_label=pos_label) == pytest.approx(expected)


def test_binary_text_labels_and_degenerate_cases():
    t = ["spam", "ham", "spam", "ham"]
    p = ["spam", "spam", "spam", "ham"]
    assert metrics.precision(t, p, pos_label="spam") == pytest.approx(2 / 3)
    assert metrics.recall(t, p, pos_label="spam") == 1.0
    assert metrics.f1([0, 0], [0, 0]) == 0.0  # no positive anywhere: 0/0
    assert metrics.precision([1, 1], [0, 0], zero_division=1.0) == 1.0
    assert metrics.accuracy(t, p) == 0.75


def test_labels_argument_for_missing_classes():
    t, p = [0, 1, 1], [0, 1, 0]
    expected = sk.f1_score(t, p, average="macro", labels=[0, 1, 2], zero_division=0.0)
    assert metrics.f1(t, p, average="macro", labels=[0, 1, 2]) == pytest.approx(expected)


def test_scores_of_logits_and_tensors_use_argmax():
    logits = ds.tensor([[2.0, 0.1, 0.3], [0.0, 0.2, 1.5], [0.1, 3.0, 0.0]])
    y = ds.tensor(np.array([0, 2, 2]))
    assert metrics.accuracy(y, logits) == pytest.approx(2 / 3)
    one_hot = np.eye(3)[[0, 2, 2]]
    assert metrics.accuracy(one_hot, logits) == pytest.approx(2 / 3)
    assert metrics.confusion_matrix(y, logits).tolist() == [[1, 0, 0], [0, 0, 0], [0, 1, 1]]
    assert metrics.accuracy([1.0, 0.0], np.array([[1], [0]])) == 1.0
    scores = ds.tensor([[-1.0], [2.0], [-0.5], [0.3]])
    y = np.array([0, 1, 1, 0])
    assert metrics.f1(y, scores > 0) == pytest.approx(sk.f1_score(y, [0, 1, 0, 1]))


def test_classification_errors():
    with pytest.raises(ValueError, match="y_true has 3 samples but y_pred has 2"):
        metrics.accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="y_true is empty"):
        metrics.accuracy([], [])
    with pytest.raises(
        ValueError, match=r"got 0.7 in row 1; .* \(y_prob >= 0.5\) .* \(logits > 0\)"
    ):
        metrics.f1([0, 1], [0.0, 0.7])
    with pytest.raises(ValueError, match=r"average='binary' needs two classes, the labels hold 3"):
        metrics.f1([0, 1, 2], [0, 1, 2])
    with pytest.raises(ValueError, match=r"pos_label=1 is not one of the classes \['a', 'b'\]"):
        metrics.precision(["a", "b"], ["b", "a"])
    with pytest.raises(ValueError, match="average must be one of"):
        metrics.recall([0, 1], [0, 1], average="samples")
    with pytest.raises(ValueError, match="mix text and numeric labels"):
        metrics.accuracy(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match="must both be text or both be numbers"):
        metrics.confusion_matrix(["a", "b"], ["b", "b"], labels=[0, 1])
    with pytest.raises(ValueError, match="normalize must be"):
        metrics.confusion_matrix([0], [0], normalize="rows")
    with pytest.raises(ValueError, match="y_pred has 1 NaN"):
        metrics.accuracy([0, 1], [0, np.nan])


@pytest.mark.parametrize("seed", SEEDS)
def test_log_loss_multiclass(seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 4, 50)
    t[:4] = range(4)
    logits = rng.normal(0, 3, (50, 4))
    prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert metrics.log_loss(t, prob) == pytest.approx(sk.log_loss(t, prob), rel=1e-12)
    prob32 = prob.astype(np.float32)
    prob32 /= prob32.sum(axis=1, keepdims=True)
    assert metrics.log_loss(t, ds.tensor(prob32)) == pytest.approx(sk.log_loss(t, prob32), rel=1e-5)


@pytest.mark.parametrize("seed", SEEDS)
def test_log_loss_binary_one_column(seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, 30)
    p = rng.uniform(0, 1, 30)
    p[0], p[1] = 0.0, 1.0  # clipped to eps, as scikit-learn
    assert metrics.log_loss(t, p) == pytest.approx(sk.log_loss(t, p), rel=1e-12)
    assert metrics.log_loss(t, p[:, None]) == pytest.approx(sk.log_loss(t, p), rel=1e-12)


def test_log_loss_label_mapping():
    prob = np.array([[0.1, 0.9], [0.8, 0.2], [0.7, 0.3], [0.35, 0.65]])
    t = ["spam", "ham", "ham", "spam"]
    assert metrics.log_loss(t, prob) == pytest.approx(sk.log_loss(t, prob))
    # Integer classes 0..C-1 index the columns even when a class is absent from y_true.
    prob3 = np.array([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])
    expected = sk.log_loss([1, 0], prob3, labels=[0, 1, 2])
    assert metrics.log_loss([1, 0], prob3) == pytest.approx(expected)
    expected = sk.log_loss([5, 7], prob3, labels=[5, 6, 7])
    assert metrics.log_loss([5, 7], prob3, labels=[7, 5, 6]) == pytest.approx(expected)


def test_log_loss_errors():
    with pytest.raises(
        ValueError, match=r"probabilities in \[0, 1\], got values from -1 to 2.*softmax"
    ):
        metrics.log_loss([0, 1], [[2.0, -1.0], [0.5, 0.5]])
    with pytest.raises(ValueError, match="rows must sum to 1, row 1 sums to 0.9"):
        metrics.log_loss([0, 1], [[0.5, 0.5], [0.5, 0.4]])
    with pytest.raises(ValueError, match=r"3 columns but the classes are \[5, 7\]; pass labels"):
        metrics.log_loss([5, 7], [[0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])
    with pytest.raises(ValueError, match="y_true holds 9, not one of labels"):
        metrics.log_loss([9, 5], [[0.5, 0.5], [0.5, 0.5]], labels=[5, 6])
    with pytest.raises(ValueError, match="y_true has 2 samples but y_prob has 1"):
        metrics.log_loss([0, 1], [[0.5, 0.5]])


@pytest.mark.parametrize("seed", SEEDS)
def test_regression_metrics(seed):
    rng = np.random.default_rng(seed)
    t, p = rng.normal(size=40), rng.normal(size=40)
    assert metrics.mse(t, p) == pytest.approx(sk.mean_squared_error(t, p), rel=1e-12)
    assert metrics.mae(t, p) == pytest.approx(sk.mean_absolute_error(t, p), rel=1e-12)
    assert metrics.r2(t, p) == pytest.approx(sk.r2_score(t, p), rel=1e-12)
    T, P = rng.normal(size=(40, 3)), rng.normal(size=(40, 3))
    assert metrics.mse(T, P) == pytest.approx(sk.mean_squared_error(T, P), rel=1e-12)
    assert metrics.mae(T, P) == pytest.approx(sk.mean_absolute_error(T, P), rel=1e-12)
    assert metrics.r2(T, P) == pytest.approx(sk.r2_score(T, P), rel=1e-12)
    np.testing.assert_allclose(
        metrics.r2(T, P, multioutput="raw_values"), sk.r2_score(T, P, multioutput="raw_values")
    )


def test_regression_shapes_tensors_and_constant_targets():
    t = np.array([1.0, 2.0, 3.0])
    column = ds.tensor(np.array([[1.5], [2.0], [2.0]], dtype=np.float32))
    assert metrics.mse(t, column) == pytest.approx(sk.mean_squared_error(t, column.data[:, 0]))
    assert metrics.r2(column, t) == pytest.approx(sk.r2_score(column.data[:, 0], t))
    assert metrics.r2([2.0, 2.0], [2.0, 2.0]) == 1.0
    assert metrics.r2([2.0, 2.0], [2.0, 3.0]) == 0.0
    assert np.isnan(metrics.r2([1.0], [2.0]))
    assert metrics.mae([1, 2], [2, 2]) == 0.5


def test_regression_errors():
    with pytest.raises(ValueError, match="y_true has 3 samples but y_pred has 2"):
        metrics.mse([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(
        ValueError, match=r"y_true has shape \(2, 2\) but y_pred has shape \(2, 3\)"
    ):
        metrics.mae(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="y_pred has 1 NaN or infinite value; the first in row 1"):
        metrics.r2([1.0, 2.0], [1.0, np.inf])
    with pytest.raises(ValueError, match="multioutput must be"):
        metrics.r2([1.0, 2.0], [1.0, 2.0], multioutput="variance_weighted")
    with pytest.raises(ValueError, match="must hold numbers"):
        metrics.mse(["a"], ["b"])


def test_all_lists_the_public_metrics():
    assert sorted(metrics.__all__) == [
        "accuracy",
        "confusion_matrix",
        "f1",
        "log_loss",
        "mae",
        "mse",
        "precision",
        "r2",
        "recall",
    ]
    assert all(callable(getattr(metrics, name)) for name in metrics.__all__)
