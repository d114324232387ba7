import io

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler as SkScaler

import descend as ds
from descend.data import StandardScaler, one_hot

RNG = np.random.default_rng(7)


def test_matches_scikit_learn():
    X = RNG.normal(3, 5, (200, 6))
    X[:, 2] = 4.0  # constant feature: scale 1, maps to 0
    X_test = RNG.normal(3, 5, (50, 6))
    ours, theirs = StandardScaler().fit(X), SkScaler().fit(X)
    np.testing.assert_allclose(ours.mean_, theirs.mean_)
    np.testing.assert_allclose(ours.var_, theirs.var_)
    np.testing.assert_allclose(ours.scale_, theirs.scale_)
    np.testing.assert_allclose(ours.transform(X_test), theirs.transform(X_test))
    np.testing.assert_allclose(ours.fit_transform(X), theirs.fit_transform(X))
    assert ours.n_samples_seen_ == 200


@pytest.mark.parametrize(("with_mean", "with_std"), [(False, True), (True, False), (False, False)])
def test_options_match_scikit_learn(with_mean, with_std):
    X = RNG.normal(1, 2, (40, 3))
    ours = StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    theirs = SkScaler(with_mean=with_mean, with_std=with_std).fit(X)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X))
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(X)), X)


def test_fit_on_train_only_and_inverse():
    X_train, X_test = RNG.normal(10, 2, (100, 2)), RNG.normal(10, 2, (30, 2))
    scaler = StandardScaler().fit(X_train)
    Z = scaler.transform(X_train)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(X_test)), X_test)
    assert not np.shares_memory(Z, X_train)


def test_float32_stays_float32_and_ints_become_float64():
    X = RNG.normal(size=(20, 3))
    scaler = StandardScaler().fit(X)
    assert scaler.transform(X.astype(np.float32)).dtype == np.float32
    assert StandardScaler().fit_transform(np.arange(6).reshape(3, 2)).dtype == np.float64
    assert StandardScaler().fit(X.astype(np.float32)).mean_.dtype == np.float32


def test_images_scale_per_pixel():
    X = RNG.normal(size=(10, 1, 4, 4))
    scaler = StandardScaler().fit(X)
    assert scaler.mean_.shape == (1, 4, 4)
    np.testing.assert_allclose(scaler.transform(X).mean(axis=0), 0, atol=1e-12)


def test_state_dict_round_trip_without_pickle():
    X = RNG.normal(size=(30, 4))
    scaler = StandardScaler().fit(X)
    buffer = io.BytesIO()
    np.savez(buffer, **scaler.state_dict())
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as saved:
        restored = StandardScaler().load_state_dict(dict(saved))
    np.testing.assert_array_equal(restored.transform(X), scaler.transform(X))
    assert restored.n_samples_seen_ == 30
    with pytest.raises(ValueError, match=r"missing \['scale_', 'n_samples_seen_'\]"):
        StandardScaler().load_state_dict({"mean_": 0, "var_": 1})
    bad = {**scaler.state_dict(), "scale_": np.ones(3)}
    with pytest.raises(ValueError, match="expected one shape"):
        StandardScaler().load_state_dict(bad)


def test_errors():
    with pytest.raises(RuntimeError, match=r"not fitted yet: call fit\(X_train\)"):
        StandardScaler().transform(np.zeros((2, 2)))
    scaler = StandardScaler().fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"fitted on features of shape \(2,\), got X with \(3,\)"):
        scaler.transform(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        StandardScaler().fit(np.zeros(5))
    with pytest.raises(ValueError, match="X has 1 NaN or infinite value; the first in row 1"):
        StandardScaler().fit([[1.0], [np.nan]])
    with pytest.raises(ValueError, match="X is empty"):
        StandardScaler().fit(np.zeros((0, 2)))


def test_accepts_tensors():
    X = ds.tensor(RNG.normal(size=(8, 2)))
    assert StandardScaler().fit_transform(X).shape == (8, 2)


def test_one_hot():
    out = one_hot([0, 2, 1, 2])
    assert out.dtype == np.float32 and out.shape == (4, 3)
    np.testing.assert_array_equal(out, np.eye(3)[[0, 2, 1, 2]])
    assert one_hot(np.array([1]), n_classes=4).tolist() == [[0, 1, 0, 0]]
    assert one_hot(ds.tensor(np.array([0, 1])), dtype=np.float64).dtype == np.float64
    ds.set_default_dtype(np.float64)
    assert one_hot([1.0, 0.0]).dtype == np.float64


def test_one_hot_errors():
    with pytest.raises(ValueError, match=r"in \[0, 3\) for 3 classes; got 3"):
        one_hot([0, 3], n_classes=3)
    with pytest.raises(ValueError, match="integer class labels, got 0.5"):
        one_hot([0.5])
    with pytest.raises(ValueError, match=r"shape \(N,\)"):
        one_hot([[0, 1]])


def test_partial_fit_in_batches_equals_fit_on_everything():
    rng = np.random.default_rng(1)
    X = rng.normal(1e4, 3.0, size=(103, 5))  # a large mean: a naive sum of squares would lose it
    streamed = StandardScaler()
    for start in range(0, 103, 10):
        streamed.partial_fit(X[start : start + 10])
    at_once = StandardScaler().fit(X)
    assert streamed.n_samples_seen_ == 103
    np.testing.assert_allclose(streamed.mean_, at_once.mean_, rtol=1e-13)
    np.testing.assert_allclose(streamed.var_, at_once.var_, rtol=1e-9)
    np.testing.assert_allclose(streamed.transform(X), at_once.transform(X), atol=1e-9)
    # fit_batches forgets what came before; fit after partial_fit does too
    again = StandardScaler().fit(X[:3]).fit_batches(X[i : i + 7] for i in range(0, 103, 7))
    np.testing.assert_allclose(again.var_, at_once.var_, rtol=1e-9)
    assert StandardScaler().partial_fit(X[:50]).fit(X[50:]).n_samples_seen_ == 53


def test_float32_batches_keep_float64_statistics_between_them():
    X = np.random.default_rng(2).normal(5.0, 0.01, size=(4000, 3)).astype(np.float32)
    streamed = StandardScaler().fit_batches(X[i : i + 100] for i in range(0, 4000, 100))
    exact = X.astype(np.float64).var(axis=0)
    assert streamed.var_.dtype == np.float32
    np.testing.assert_allclose(streamed.var_, exact, rtol=1e-5)


def test_merge_combines_the_statistics_of_two_parts():
    X = np.random.default_rng(3).normal(size=(60, 2, 3))  # image-shaped features
    part = StandardScaler().fit(X[:25]).merge(StandardScaler().fit(X[25:]))
    at_once = StandardScaler().fit(X)
    np.testing.assert_allclose(part.mean_, at_once.mean_, rtol=1e-13)
    np.testing.assert_allclose(part.var_, at_once.var_, rtol=1e-12)
    restored = StandardScaler().load_state_dict(StandardScaler().fit(X[25:]).state_dict())
    np.testing.assert_allclose(
        StandardScaler().fit(X[:25]).merge(restored).var_, at_once.var_, rtol=1e-12
    )


def test_streaming_errors():
    with pytest.raises(ValueError, match="got no batches"):
        StandardScaler().fit_batches([])
    scaler = StandardScaler().fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"fitted on features of shape \(3,\), got more .* \(2,\)"):
        scaler.partial_fit(np.ones((4, 2)))
    with pytest.raises(ValueError, match="NaN"):
        scaler.partial_fit(np.array([[1.0, np.nan, 2.0]]))
