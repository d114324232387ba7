import numpy as np
import pytest

from descend import data
from descend.data.features import load_features
from descend.data.sets import unscale_targets


def test_builtin_set_by_name():
    iris = data.load("iris")
    assert (iris.name, iris.task, iris.n_classes, iris.X.shape) == ("iris", "classify", 3, (150, 4))
    digits = data.load("digits")
    assert digits.image_shape == (1, 8, 8)
    assert data.load("diabetes").task == "regress"


def test_unknown_name_suggests_the_nearest():
    with pytest.raises(ValueError, match="unknown data set 'irsi'; did you mean 'iris'"):
        data.load("irsi")
    with pytest.raises(ValueError, match="no/such.csv: no such file"):
        data.load("no/such.csv")


def _csv(tmp_path, rows, header="a,b,y"):
    path = tmp_path / "d.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return str(path)


def test_csv_task_is_inferred_from_the_target(tmp_path):
    labels = data.load(
        _csv(tmp_path, [f"{i},{i + 1},{'cat' if i % 2 else 'dog'}" for i in range(6)])
    )
    assert labels.task == "classify" and labels.class_names == ["cat", "dog"]
    assert labels.y.tolist() == [1, 0, 1, 0, 1, 0]
    whole = data.load(_csv(tmp_path, [f"{i},{i},{i % 3}" for i in range(9)]))
    assert whole.task == "classify" and whole.class_names == ["0", "1", "2"]
    reals = data.load(_csv(tmp_path, [f"{i},{i},{i * 0.37:.3f}" for i in range(30)]))
    assert reals.task == "regress" and reals.class_names is None


def test_csv_task_can_be_forced_and_is_checked(tmp_path):
    path = _csv(tmp_path, [f"{i},{i},{i % 3}" for i in range(9)])
    assert data.load(path, task="regress").y.dtype == np.float64
    many = _csv(tmp_path, [f"{i},{i},{i * 0.37:.3f}" for i in range(150)])
    with pytest.raises(ValueError, match="the target has 150 distinct values"):
        data.load(many, task="classify")
    with pytest.raises(ValueError, match="did you mean 'regress'"):
        data.load(path, task="regres")


def test_holdout_is_stratified_and_deterministic():
    iris = data.load("iris")
    a = data.holdout(iris, val_fraction=0.2, test_fraction=0.2, seed=3)
    b = data.holdout(iris, val_fraction=0.2, test_fraction=0.2, seed=3)
    assert (len(a.X_train), len(a.X_val), len(a.X_test)) == (90, 30, 30)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert np.bincount(a.y_test).tolist() == [10, 10, 10]
    none = data.holdout(iris, val_fraction=0.0, test_fraction=0.0)
    assert none.X_val is None and none.X_test is None and len(none.X_train) == 150


def test_scale_uses_training_statistics_and_targets_come_back():
    diabetes = data.load("diabetes")
    raw = data.holdout(diabetes, 0.2, 0.2, seed=0)
    scaled = data.scale(raw, diabetes)
    np.testing.assert_allclose(scaled.X_train.mean(axis=0), 0, atol=1e-12)
    assert abs(scaled.X_test.mean()) > 1e-6  # the test part's own mean is not removed
    np.testing.assert_allclose(scaled.y_train.std(), 1, rtol=1e-12)
    np.testing.assert_allclose(unscale_targets(scaled.y_test, scaled.target_scaler), raw.y_test)


def test_pixels_are_not_standardised():
    mnist_like = data.LoadedData(
        "px", np.random.default_rng(0).random((20, 1, 28, 28)), np.arange(20) % 2, "classify",
        [], ["0", "1"], (1, 28, 28), standardize=False,
    )  # fmt: skip
    splits = data.scale(data.holdout(mnist_like, 0.0, 0.25), mnist_like)
    assert splits.scaler is None and splits.X_train.min() >= 0


def test_a_standard_mnist_folder_keeps_its_own_test_part(tmp_path):
    from tests.data.test_mnist import write_pair

    train_images, train_labels = write_pair(tmp_path, "train", n=100, seed=1, compress=True)
    test_images, test_labels = write_pair(tmp_path, "t10k", n=20, seed=2)
    found = data.load(str(tmp_path))
    assert found.X.shape == (100, 1, 28, 28) and found.y.tolist() == train_labels.tolist()
    X_test, y_test = found.test
    np.testing.assert_array_equal(X_test[:, 0], test_images / np.float32(255))
    splits = data.holdout(found, val_fraction=0.2, test_fraction=0.2, seed=0)
    assert y_test.tolist() == test_labels.tolist() == splits.y_test.tolist()
    assert (len(splits.X_train), len(splits.X_val)) == (80, 20)  # validation from train


def test_an_mnist_folder_of_one_pair_is_split_as_before(tmp_path):
    from tests.data.test_mnist import write_pair

    write_pair(tmp_path, "t10k", n=100, seed=1)
    found = data.load(str(tmp_path))
    assert found.test is None and len(found.X) == 100
    splits = data.holdout(found, 0.2, 0.2, seed=0)
    assert (len(splits.X_train), len(splits.X_val), len(splits.X_test)) == (60, 20, 20)


def test_folders_that_are_not_one_mnist_set_are_named(tmp_path):
    from tests.data.test_mnist import write_pair

    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(ValueError, match=r"expected MNIST IDX files .* found notes.txt"):
        data.load(str(tmp_path))
    write_pair(tmp_path, "a", n=2)
    write_pair(tmp_path, "b", n=2)
    with pytest.raises(ValueError, match="holds MNIST files of a, b: expected one pair, or the"):
        data.load(str(tmp_path))


def test_load_features_by_name_skips_other_columns(tmp_path):
    path = tmp_path / "new.csv"
    path.write_text("label,b,a\ncat,2,1\n,4,3\n")  # a text target, even an empty cell
    np.testing.assert_array_equal(load_features(path, ["a", "b"]), [[1, 2], [3, 4]])
    path.write_text("x,y\n1,2\n")
    with pytest.warns(UserWarning, match=r"columns \(x, y\) are read by position as a, b"):
        np.testing.assert_array_equal(load_features(path, ["a", "b"]), [[1, 2]])
    with pytest.raises(ValueError, match=r"expected 3 features \(as in training: a, b, c\), got 2"):
        load_features(path, ["a", "b", "c"])
    path.write_text("a,b,x\n1,2,3\n")  # a feature missing: never read by position
    with pytest.raises(ValueError, match=r"new.csv has no column 'c', a feature of the run"):
        load_features(path, ["a", "b", "c"])
