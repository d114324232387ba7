"""scikit-learn estimators around descend: ``NeuralNetClassifier`` and ``NeuralNetRegressor``.

They follow scikit-learn's contract (``check_estimator`` passes): ``__init__`` only
stores its arguments, ``fit`` validates the data, builds a fresh network and trains it
with descend's Trainer, and learns the attributes that end in ``_``. So they work in
``Pipeline``, ``GridSearchCV`` and ``cross_val_score``, and survive ``clone``.

>>> from sklearn.datasets import load_iris
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> from descend.sklearn import NeuralNetClassifier
>>> X, y = load_iris(return_X_y=True)
>>> net = NeuralNetClassifier(hidden=(16,), epochs=50, lr=0.01, random_state=0)
>>> make_pipeline(StandardScaler(), net).fit(X, y).score(X, y) > 0.9
True

Anchors: scikit-learn's ``MLPClassifier`` (parameter names, ``partial_fit``,
``loss_curve_``) and skorch (a network module given by the user).
"""

from __future__ import annotations

try:
    import sklearn  # noqa: F401
except ImportError:  # scikit-learn is an extra: descend itself does not need it
    from descend.extras import install_command

    message = f"descend.sklearn needs scikit-learn: {install_command('sklearn')}"
    raise ImportError(message) from None

from descend.sklearn.estimators import NeuralNetClassifier, NeuralNetRegressor

__all__ = ["NeuralNetClassifier", "NeuralNetRegressor"]
