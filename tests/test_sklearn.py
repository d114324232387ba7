"""descend.sklearn: scikit-learn's own checks, and the estimators in its tools."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, make_blobs
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import descend as ds
from descend import nn
from descend.sklearn import NeuralNetClassifier, NeuralNetRegressor

# Small and quick, yet good enough for the checks that ask for accuracy > 0.83 and R2 > 0.5.
FAST = {"hidden": (16,), "epochs": 20, "lr": 0.05}


@pytest.fixture(autouse=True)
def _array_api_dispatch(monkeypatch):
    # check_array_api_input skips unless SciPy's array API switch is on.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")


@parametrize_with_checks([NeuralNetClassifier(**FAST), NeuralNetRegressor(**FAST)])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def blobs(n=120, classes=3, seed=0):
    X, y = make_blobs(n_samples=n, centers=classes, n_features=4, random_state=seed)
    return StandardScaler().fit_transform(X), y


def test_fitted_attributes_and_predictions():
    X, y = blobs()
    labels = np.array(["ant", "bee", "cat"])[y]
    clf = NeuralNetClassifier(**FAST, random_state=0).fit(X, labels)
    assert list(clf.classes_) == ["ant", "bee", "cat"]
    assert clf.n_features_in_ == 4
    assert clf.n_iter_ == 20 == len(clf.loss_curve_) == len(clf.history_)
    assert clf.loss_curve_[-1] < clf.loss_curve_[0] / 5
    assert isinstance(clf.module_, ds.models.MLP) and clf.module_.sizes == [4, 16, 3]
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, labels) > 0.95


def test_random_state_makes_fit_repeatable():
    X, y = blobs()
    first = NeuralNetClassifier(**FAST, random_state=3).fit(X, y).predict_proba(X)
    again = NeuralNetClassifier(**FAST, random_state=3).fit(X, y).predict_proba(X)
    other = NeuralNetClassifier(**FAST, random_state=4).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_partial_fit_continues_training():
    X, y = blobs()
    clf = NeuralNetClassifier(hidden=(8,), lr=0.02, random_state=0)
    clf.partial_fit(X[:60], y[:60], classes=[0, 1, 2])
    weights = clf.module_.state_dict()
    for _ in range(4):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 5 and len(clf.loss_curve_) == 5
    assert clf.history_.epochs == [1, 2, 3, 4, 5]
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert not np.array_equal(clf.module_.state_dict()["0.weight"], weights["0.weight"])
    with pytest.raises(ValueError, match=r"labels \[7\] not among classes_"):
        clf.partial_fit(X[:2], [0, 7])


def test_early_stopping_keeps_a_validation_set():
    X, y = blobs(200)
    clf = NeuralNetClassifier(hidden=(8,), lr=0.1, epochs=300, early_stopping=True, random_state=1)
    clf.fit(X, y)
    assert clf.n_iter_ < 300  # stopped: 10 epochs without a lower validation loss
    assert len(clf.history_["val_loss"]) == clf.n_iter_
    with pytest.raises(ValueError, match="validation_fraction=0.1 of 1 samples leaves 1"):
        NeuralNetClassifier(early_stopping=True).fit(X[:1], y[:1])


def test_custom_module_and_optimizer():
    def network(n_features, n_outputs):
        return nn.Sequential(nn.Linear(n_features, 12), nn.Tanh(), nn.Linear(12, n_outputs))

    X, y = blobs()
    clf = NeuralNetClassifier(network, optimizer="momentum", lr=0.1, epochs=30, random_state=0)
    assert clf.fit(X, y).score(X, y) > 0.95
    assert [p.shape for p in clf.module_.parameters()] == [(12, 4), (12,), (3, 12), (3,)]
    assert isinstance(clf.optimizer_, ds.optim.SGD)
    sgd = NeuralNetRegressor(optimizer=ds.optim.SGD, lr=0.01, epochs=5).fit(X, y * 1.0)
    assert isinstance(sgd.optimizer_, ds.optim.SGD)


def test_bad_parameters_say_what_was_expected():
    X, y = blobs(20)
    cases = {
        "epochs must be a positive integer, got 0": {"epochs": 0},
        "batch_size must be 'auto' or a positive integer, got 'big'": {"batch_size": "big"},
        "lr must be a positive number, got -1": {"lr": -1},
        "hidden must be a sequence of positive integers": {"hidden": (10, 0)},
        "validation_fraction must be in": {"validation_fraction": 1.5},
    }
    for message, params in cases.items():
        with pytest.raises(ValueError, match=message):
            NeuralNetClassifier(**params).fit(X, y)
    with pytest.raises(TypeError, match="module must return a descend Module"):
        NeuralNetClassifier(module=lambda n, k: "net").fit(X, y)


def test_regressor_standardises_targets_and_handles_several():
    X, y = load_diabetes(return_X_y=True)
    reg = NeuralNetRegressor(hidden=(32,), lr=0.01, epochs=60, random_state=0)
    reg.fit(StandardScaler().fit_transform(X), y)
    np.testing.assert_allclose(reg.y_mean_, [y.mean()])
    assert reg.score(StandardScaler().fit_transform(X), y) > 0.45  # linear models: ~0.52
    Y = np.column_stack([y, -2 * y + 7])
    multi = NeuralNetRegressor(**FAST, random_state=0).fit(X, Y)
    assert multi.predict(X).shape == (len(X), 2) and multi.n_outputs_ == 2


def test_pipeline_grid_search_on_breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    pipeline = make_pipeline(
        StandardScaler(), NeuralNetClassifier(hidden=(32,), epochs=30, random_state=0)
    )
    search = GridSearchCV(pipeline, {"neuralnetclassifier__lr": [1e-4, 1e-3, 1e-2]}, cv=3)
    search.fit(X_train, y_train)
    assert search.best_params_["neuralnetclassifier__lr"] > 1e-4  # too slow to learn in 30
    assert search.score(X_test, y_test) > 0.95


def test_cross_val_score_and_clone():
    X, y = blobs(90)
    clf = NeuralNetClassifier(**FAST, random_state=0)
    scores = cross_val_score(clf, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.9
    clf.fit(X, y)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "module_")


def test_save_and_load_with_safe_files(tmp_path):
    X, y = blobs()
    labels = np.array(["ant", "bee", "cat"])[y]
    clf = NeuralNetClassifier(**FAST, random_state=0).fit(X, labels)
    path = clf.save(tmp_path / "clf.safetensors")
    assert path.read_bytes()[8:].lstrip().startswith(b"{")  # safetensors' JSON header
    loaded = NeuralNetClassifier.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(loaded.classes_, clf.classes_)
    assert loaded.get_params() == clf.get_params()
    assert loaded.loss_curve_ == clf.loss_curve_ and loaded.n_iter_ == clf.n_iter_
    # The optimizer state came along: training on continues exactly as it would have.
    clf.partial_fit(X, labels)
    loaded.partial_fit(X, labels)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))

    reg = NeuralNetRegressor(**FAST, random_state=0).fit(X, y * 3.0 + 1)
    back = NeuralNetRegressor.load(reg.save(tmp_path / "reg.npz"))
    np.testing.assert_array_equal(back.predict(X), reg.predict(X))


def test_loading_asks_for_the_code_it_cannot_store(tmp_path):
    def network(n_features, n_outputs):
        return nn.Sequential(nn.Linear(n_features, n_outputs))

    X, y = blobs()
    clf = NeuralNetClassifier(network, epochs=3).fit(X, y)
    path = clf.save(tmp_path / "custom.safetensors")
    with pytest.raises(ValueError, match="fitted with a module callable: pass it as module="):
        NeuralNetClassifier.load(path)
    loaded = NeuralNetClassifier.load(path, module=network)
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    with pytest.raises(ValueError, match="expected a saved NeuralNetRegressor"):
        NeuralNetRegressor.load(path)


def test_pickle_still_works():
    X, y = blobs()
    clf = NeuralNetClassifier(**FAST, random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_feature_names_from_a_data_frame(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = blobs()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = NeuralNetClassifier(**FAST).fit(frame, y)
    assert list(clf.feature_names_in_) == ["a", "b", "c", "d"]
    loaded = NeuralNetClassifier.load(clf.save(tmp_path / "f.safetensors"))
    assert list(loaded.feature_names_in_) == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(frame.rename(columns={"a": "z"}))


def test_save_writes_what_was_fitted_not_later_settings(tmp_path):
    X, y = blobs()
    clf = NeuralNetClassifier(**FAST, random_state=0).fit(X, y)
    clf.set_params(hidden=(64, 64), lr=0.5)  # settings for the next fit, not these weights
    loaded = NeuralNetClassifier.load(clf.save(tmp_path / "clf.safetensors"))
    assert loaded.hidden == (16,) and loaded.lr == 0.05
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_a_diverged_fit_warns_naming_the_lr():
    from sklearn.exceptions import ConvergenceWarning

    X, y = blobs()
    net = NeuralNetRegressor(hidden=(16,), epochs=5, optimizer="sgd", lr=1e6, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"NeuralNetRegressor diverged with lr=1e\+06: "):
        net.fit(X, y * 100.0)
    assert "diverged" in net.history_.events


def test_partial_fit_continues_the_trainers_counts_and_history():
    X, y = blobs()
    straight = NeuralNetClassifier(**{**FAST, "epochs": 4}, random_state=0).fit(X, y)
    parts = NeuralNetClassifier(**{**FAST, "epochs": 2}, random_state=0).fit(X, y)
    parts.partial_fit(X, y)
    parts.partial_fit(X, y)
    assert parts.n_iter_ == 4 and parts.history_.epochs == [1, 2, 3, 4]
    assert parts.history_["updates"] == straight.history_["updates"]  # update count goes on
    assert parts.loss_curve_[:2] == straight.loss_curve_[:2]
    # Each call shuffles with its own seed, so the later epochs differ a little.
    np.testing.assert_allclose(parts.loss_curve_, straight.loss_curve_, rtol=0.05)
