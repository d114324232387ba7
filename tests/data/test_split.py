import numpy as np
import pytest

import descend as ds
from descend.data import load_digits, train_test_split


def test_sizes_follow_scikit_learn_rounding():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    assert len(X_test) == 3 and len(X_train) == 7  # ceil(2.5)
    assert len(train_test_split(X, y, test_size=4)[1]) == 4
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(10))
    np.testing.assert_array_equal(X_train[:, 0] // 2, y_train)  # rows stay paired


def test_random_state_reproducible_and_library_seed_used_without_it():
    X = np.arange(100)
    a = train_test_split(X, random_state=3)
    b = train_test_split(X, random_state=3)
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert not np.array_equal(a[1], train_test_split(X, random_state=4)[1])
    ds.manual_seed(11)
    c = train_test_split(X)
    ds.manual_seed(11)
    assert np.array_equal(c[1], train_test_split(X)[1])
    rng = np.random.default_rng(0)
    assert len(train_test_split(X, random_state=rng)[1]) == 20


def test_no_shuffle_keeps_order():
    X_train, X_test = train_test_split(np.arange(10), test_size=0.3, shuffle=False)
    assert X_train.tolist() == list(range(7)) and X_test.tolist() == [7, 8, 9]


def test_stratified_keeps_class_proportions():
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
    assert len(X_test) == 360 and len(X_train) == 1437
    expected = np.bincount(y) * 0.2
    assert np.all(np.abs(np.bincount(y_test, minlength=10) - expected) < 1)
    assert np.bincount(y_train).sum() + np.bincount(y_test).sum() == len(y)
    assert not np.all(np.diff(y_test) >= 0)  # shuffled, not grouped by class


def test_stratified_unbalanced_and_text_labels():
    y = np.array(["a"] * 90 + ["b"] * 10)
    X = np.arange(100)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=1
    )
    assert (y_test == "b").sum() == 3 and (y_test == "a").sum() == 27
    assert np.array_equal(y[X_test], y_test)


def test_stratified_over_many_seeds():
    y = np.repeat([0, 1, 2], [7, 11, 13])
    for seed in range(20):
        y_test = train_test_split(y, stratify=y, test_size=0.4, random_state=seed)[1]
        counts = np.bincount(y_test, minlength=3)
        assert counts.sum() == 13
        assert np.all(np.abs(counts - np.array([7, 11, 13]) * 13 / 31) < 1)


def test_errors():
    X, y = np.zeros((10, 2)), np.arange(10)
    with pytest.raises(ValueError, match="X has 10 samples but y has 9"):
        train_test_split(X, y[:9])
    with pytest.raises(ValueError, match="X is empty"):
        train_test_split(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="gives 10 test and 0 training samples"):
        train_test_split(X, test_size=10)
    with pytest.raises(ValueError, match=r"fraction in \(0, 1\) or a count, got 1.5"):
        train_test_split(X, test_size=1.5)
    with pytest.raises(ValueError, match="stratify needs shuffle=True"):
        train_test_split(X, y, stratify=y, shuffle=False)
    with pytest.raises(ValueError, match="class 9 has only 1 sample"):
        train_test_split(X, y, stratify=np.r_[np.zeros(9, dtype=int), 9])
    with pytest.raises(ValueError, match="3 classes needs at least 3 samples in each set"):
        train_test_split(X, stratify=np.repeat([0, 1, 2], [4, 3, 3]), test_size=2)
    with pytest.raises(ValueError, match="random_state must be"):
        train_test_split(X, random_state="zero")
    with pytest.raises(ValueError, match="X has 10 samples but stratify has 3"):
        train_test_split(X, stratify=[0, 1, 0])
