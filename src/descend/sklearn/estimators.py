"""The two estimators: a classifier (cross-entropy on one logit per class) and a
regressor (mean squared error on standardised targets)."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets, unique_labels

from descend import nn
from descend.nn import functional as F
from descend.sklearn.network import _NeuralNet
from descend.tensor import Tensor, get_default_dtype


class NeuralNetClassifier(ClassifierMixin, _NeuralNet):
    """A neural-network classifier trained by descend, with scikit-learn's interface.

    Cross-entropy on one logit per class; ``predict_proba`` is their softmax.

    Parameters
    ----------
    module : callable, optional
        ``module(n_features, n_classes) -> Module`` giving logits (N, n_classes); by
        default an ``MLP`` with the ``hidden`` layer widths and ``activation``.
    hidden : tuple of int
        Widths of the default MLP's hidden layers.
    activation : {'relu', 'tanh', 'sigmoid', 'leaky_relu'}
    optimizer : str or callable
        A name for ``descend.optim.get`` (``'adam'``, ``'sgd'``, ``'momentum'``, ...) or
        a callable ``(params, lr=...) -> Optimizer``.
    lr : float
    batch_size : int or 'auto'
        'auto': ``min(200, n_samples)``, as scikit-learn's MLP.
    epochs : int
        Passes over the data per ``fit``.
    early_stopping : bool
        Hold out ``validation_fraction`` of the data; stop when its loss has not
        improved for 10 epochs and keep the best weights.
    validation_fraction : float
    random_state : int, RandomState or None
        Seeds the initial weights and the shuffling; an int makes ``fit`` repeatable.
    verbose : int
        0: silent; 1: a progress bar.
    device : str
        Where ``fit`` trains: 'cpu' (default), 'cuda', 'cuda:N' or 'auto' (a GPU if
        there is one). Predictions are computed on the CPU, in float64.

    Attributes
    ----------
    classes_ : ndarray
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When ``X`` had column names.
    module_ : Module
    optimizer_ : Optimizer
    history_ : History
        Per-epoch losses (and validation losses with early stopping).
    n_iter_ : int
        Epochs trained.
    loss_curve_ : list of float
        The training loss of each epoch.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = NeuralNetClassifier(hidden=(16,), epochs=50, lr=0.01, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).sum(axis=1)
    array([1., 1.])
    >>> clf.save("iris-net.safetensors")
    PosixPath('iris-net.safetensors')
    >>> NeuralNetClassifier.load("iris-net.safetensors").score(X, y) == clf.score(X, y)
    True
    """

    def _loss(self) -> nn.Module:
        return nn.CrossEntropyLoss()

    def _targets(self, y, first: bool, classes=None) -> np.ndarray:
        check_classification_targets(y)
        if first:
            self.classes_ = unique_labels(y) if classes is None else unique_labels(classes)
            self.n_outputs_ = len(self.classes_)
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"y has labels {unknown.tolist()} not among classes_ {self.classes_}")
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class in ``classes_`` order, shape (n_samples, n_classes)."""
        return F.softmax(Tensor(self._outputs(X)), dim=1).data

    def predict(self, X) -> np.ndarray:
        """The most probable class of each sample."""
        labels = np.argmax(self._outputs(X), axis=1)
        return self.classes_[labels]

    def partial_fit(self, X, y, classes=None):
        """One epoch on ``(X, y)``; ``classes`` lists every label on the first call
        (default: the labels of this first ``y``)."""
        return super().partial_fit(X, y, classes=classes)

    def _fitted_metadata(self) -> dict:
        return {"classes_": self.classes_.tolist(), "classes_dtype": self.classes_.dtype.str}

    def _load_fitted_metadata(self, meta: dict) -> None:
        self.classes_ = np.asarray(meta["classes_"], dtype=np.dtype(meta["classes_dtype"]))


class NeuralNetRegressor(RegressorMixin, _NeuralNet):
    """A neural-network regressor trained by descend, with scikit-learn's interface.

    Mean squared error on standardised targets: ``fit`` learns each target's mean and
    standard deviation, the network predicts in those units, and ``predict`` turns
    them back. One output per target; ``y`` may be (n_samples,) or (n_samples, k).

    Parameters and attributes are those of :class:`NeuralNetClassifier` (without
    ``classes_``; ``module`` is ``module(n_features, n_targets)``), plus

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    y_mean_, y_scale_ : ndarray of shape (n_outputs_,)
        The targets' mean and standard deviation, learned by ``fit``.
    """

    _multi_output = True

    def _loss(self) -> nn.Module:
        return nn.MSELoss()

    def _targets(self, y, first: bool) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        if first:
            self._single = y.ndim == 1
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
            self.y_mean_ = y.reshape(len(y), -1).mean(axis=0)
            scale = y.reshape(len(y), -1).std(axis=0)
            self.y_scale_ = np.where(scale > 0, scale, 1.0)
        columns = y.reshape(len(y), -1)
        if columns.shape[1] != self.n_outputs_:
            raise ValueError(f"expected {self.n_outputs_} targets, got {columns.shape[1]}")
        return ((columns - self.y_mean_) / self.y_scale_).astype(get_default_dtype())

    def predict(self, X) -> np.ndarray:
        """Predicted targets, shape (n_samples,) for one target, else (n_samples, k)."""
        values = self._outputs(X) * self.y_scale_ + self.y_mean_
        return values[:, 0] if self._single else values

    def _fitted_metadata(self) -> dict:
        return {
            "y_mean_": self.y_mean_.tolist(),
            "y_scale_": self.y_scale_.tolist(),
            "single": self._single,
        }

    def _load_fitted_metadata(self, meta: dict) -> None:
        self.y_mean_, self.y_scale_ = np.asarray(meta["y_mean_"]), np.asarray(meta["y_scale_"])
        self._single = meta["single"]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
