"""What both estimators share: parameters, building a network, training it with the
Trainer, saving and loading."""

from __future__ import annotations

import copy
import os
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from descend import io, models, nn, optim
from descend.backend import choose
from descend.checks import is_positive_int, positive_int
from descend.data import DataLoader, TensorDataset
from descend.tensor import Tensor, get_default_dtype, manual_seed, no_grad
from descend.train import EarlyStopping, History, Trainer

_PATIENCE = 10  # epochs without a better validation loss before early stopping
_DTYPES = (np.float64, np.float32)  # features as they come if floating, else float64


class _NeuralNet(BaseEstimator):
    """What both estimators share: parameters, building, training, saving."""

    _multi_output = False  # whether y may have several columns

    def __init__(
        self,
        module=None,
        hidden=(100,),
        activation: str = "relu",
        optimizer="adam",
        lr: float = 1e-3,
        batch_size="auto",
        epochs: int = 200,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        random_state=None,
        verbose: int = 0,
        device: str = "cpu",
    ):
        self.module = module
        self.hidden = hidden
        self.activation = activation
        self.optimizer = optimizer
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    # -- what a subclass says --------------------------------------------------------
    def _loss(self) -> nn.Module:
        raise NotImplementedError

    def _targets(self, y, first: bool) -> np.ndarray:
        """``y`` as the loss takes it; ``first``: learn the encoding (classes, scale)."""
        raise NotImplementedError

    # -- fitting ---------------------------------------------------------------------
    def fit(self, X, y):
        """Train a freshly initialised network for ``epochs`` epochs on ``(X, y)``.

        Returns ``self``. With ``early_stopping``, a stratified ``validation_fraction``
        of the data is held out and training stops after 10 epochs without a lower
        validation loss, keeping the best weights. A run that diverges keeps the last
        good weights and raises a ``ConvergenceWarning`` naming the lr.
        """
        self._check_parameters()
        X, y = validate_data(self, X, y, dtype=_DTYPES, multi_output=self._multi_output)
        y = self._targets(y, first=True)
        self._initialize(X.shape[1])
        return self._train(X, y, self.epochs, early_stopping=self.early_stopping)

    def partial_fit(self, X, y, **kwargs):
        """One more epoch on ``(X, y)``, continuing from the current weights and optimizer
        state (a fresh network on the first call). No early stopping here."""
        first = not hasattr(self, "module_")
        if first:
            self._check_parameters()
        X, y = validate_data(
            self, X, y, dtype=_DTYPES, multi_output=self._multi_output, reset=first
        )
        y = self._targets(y, first, **kwargs)
        if first:
            self._initialize(X.shape[1])
        return self._train(X, y, 1, early_stopping=False)

    def _initialize(self, n_features: int) -> None:
        """A fresh network and optimizer, seeded by ``random_state``, and no training yet.

        The parameters they are made from are kept: ``save`` writes those, whatever
        ``set_params`` changed since.
        """
        self._seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        manual_seed(self._seed)  # the weights' initialisation (and dropout masks)
        self._fitted_params = self.get_params(deep=False)
        self.module_ = self._build(n_features, self.n_outputs_).to(choose(self.device))
        self.optimizer_ = self._make_optimizer()
        self.history_ = History()
        self._trainer_state = None

    def _train(self, X, y, epochs: int, early_stopping: bool):
        """``epochs`` more epochs, continuing the Trainer of earlier calls from its state
        (epoch and update counts, history, optimizer, callbacks)."""
        X = X.astype(get_default_dtype(), copy=False)
        callbacks, val = [], None
        if early_stopping:
            X, X_val, y, y_val = self._split(X, y)
            callbacks.append(EarlyStopping("val_loss", patience=_PATIENCE, restore_best=True))
            val = (X_val, y_val)
        trainer = Trainer(
            self.module_, self._loss(), self.optimizer_, callbacks=callbacks, verbose=self.verbose
        )
        if self._trainer_state is not None:
            trainer.load_state_dict(self._trainer_state)
        batch = min(200, len(X)) if self.batch_size == "auto" else min(self.batch_size, len(X))
        loader = DataLoader(
            TensorDataset(X, y), batch_size=batch, shuffle=True, seed=self._seed + trainer.epoch
        )
        before = trainer.history.events.get("diverged")
        trainer.fit(loader, epochs=epochs, val=val)
        self._trainer_state = trainer.state_dict()
        self.history_ = trainer.history
        diverged = trainer.history.events.get("diverged")
        if diverged is not None and diverged != before:
            lr = self.optimizer_.param_groups[0]["lr"]
            message = f"{type(self).__name__} diverged with lr={lr:g}: {diverged}"
            warnings.warn(message, ConvergenceWarning, stacklevel=3)  # at the fit call
        return self

    @property
    def n_iter_(self) -> int:
        """Epochs trained, by ``fit`` and the ``partial_fit`` calls after it."""
        return len(self.history_)

    @property
    def loss_curve_(self) -> list[float]:
        """The training loss of each epoch."""
        return [float(v) for v in self.history_.records.get("loss", [])]

    def _build(self, n_features: int, n_outputs: int) -> nn.Module:
        if self.module is None:
            return models.MLP([n_features, *self.hidden, n_outputs], activation=self.activation)
        module = self.module(n_features, n_outputs)
        if not isinstance(module, nn.Module):
            raise TypeError(
                f"module must return a descend Module for ({n_features} features, "
                f"{n_outputs} outputs), got {type(module).__name__}"
            )
        return module.to(get_default_dtype())

    def _make_optimizer(self):
        params = list(self.module_.parameters())
        if isinstance(self.optimizer, str):
            return optim.get(self.optimizer, params, lr=self.lr)
        return self.optimizer(params, lr=self.lr)

    def _split(self, X, y):
        n_val = int(np.ceil(self.validation_fraction * len(X)))
        if n_val < 1 or n_val >= len(X):
            raise ValueError(
                f"early_stopping needs a validation set and a training set: "
                f"validation_fraction={self.validation_fraction} of {len(X)} samples "
                f"leaves {n_val} for validation"
            )
        stratify = y if is_classifier(self) else None
        if stratify is not None and np.bincount(y).min() < 2:
            stratify = None  # a class with one sample cannot be split both ways
        return train_test_split(X, y, test_size=n_val, random_state=self._seed, stratify=stratify)

    def _check_parameters(self) -> None:
        def bad(name, expected):
            value = getattr(self, name)
            raise ValueError(f"{name} must be {expected}, got {value!r}")

        positive_int(self.epochs, "epochs")
        if self.batch_size != "auto" and not is_positive_int(self.batch_size):
            bad("batch_size", "'auto' or a positive integer")
        if isinstance(self.lr, bool) or not isinstance(self.lr, int | float) or self.lr <= 0:
            bad("lr", "a positive number")
        if not 0 < self.validation_fraction < 1:
            bad("validation_fraction", "in (0, 1)")
        if self.module is None and not all(is_positive_int(n) for n in self.hidden):
            bad("hidden", "a sequence of positive integers (the hidden layer widths)")
        if self.module is not None and not callable(self.module):
            bad("module", "None or a callable (n_features, n_outputs) -> Module")

    # -- predicting ------------------------------------------------------------------
    def _outputs(self, X) -> np.ndarray:
        """The network's raw outputs for ``X``, computed in float64.

        A float64 copy of the network gives every row the same numbers whether it is
        predicted alone or in a batch (float32 matrix products round differently).
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        module = copy.deepcopy(self.module_).to("cpu", np.float64).eval()
        with no_grad():
            parts = [module(Tensor(X[i : i + 1024])).data for i in range(0, len(X), 1024)]
        return np.concatenate(parts)

    # -- keeping ---------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write the fitted estimator to a descend file (``.safetensors`` or ``.npz``).

        The weights and the optimizer's state are arrays; the parameters (except a
        ``module`` callable), classes and feature names are JSON in the metadata.
        Nothing in the file can execute code; ``load`` reads it back.
        """
        check_is_fitted(self)
        fitted = self._fitted_params  # what the network was made with, not later set_params
        params = {k: v for k, v in fitted.items() if k not in ("module", "optimizer")}
        meta = {
            "estimator": type(self).__name__,
            "params": {**params, "hidden": list(fitted["hidden"])},
            "optimizer": fitted["optimizer"] if isinstance(fitted["optimizer"], str) else None,
            "custom_module": fitted["module"] is not None,
            "n_features_in_": int(self.n_features_in_),
            "n_outputs_": int(self.n_outputs_),
            "seed": self._seed,
            **self._fitted_metadata(),
        }
        if hasattr(self, "feature_names_in_"):
            meta["feature_names_in_"] = [str(n) for n in self.feature_names_in_]
        state = {"module": self.module_.state_dict(), "trainer": self._trainer_state}
        return io.save(state, path, metadata=meta)

    @classmethod
    def load(cls, path: str | os.PathLike, module=None, optimizer=None):
        """The estimator ``save`` wrote to ``path``, ready to predict or train on.

        Pass the same ``module`` callable (and ``optimizer``, if not a name) that it was
        fitted with, since code is never stored in the file.
        """
        meta = io.load_metadata(path)
        if meta.get("estimator") != cls.__name__:
            raise ValueError(
                f"{path}: expected a saved {cls.__name__}, got {meta.get('estimator')}"
            )
        if meta["custom_module"] and module is None:
            raise ValueError(f"{path} was fitted with a module callable: pass it as module=")
        if meta["optimizer"] is None and optimizer is None:
            raise ValueError(f"{path} was fitted with an optimizer callable: pass it as optimizer=")
        params = dict(meta["params"], hidden=tuple(meta["params"]["hidden"]))
        estimator = cls(**params, module=module, optimizer=optimizer or meta["optimizer"])
        estimator.n_features_in_, estimator.n_outputs_ = meta["n_features_in_"], meta["n_outputs_"]
        if "feature_names_in_" in meta:
            estimator.feature_names_in_ = np.asarray(meta["feature_names_in_"], dtype=object)
        estimator._load_fitted_metadata(meta)
        estimator._initialize(estimator.n_features_in_)
        estimator._seed = meta["seed"]
        state = io.load(path)
        io.check_weights(state.get("module"), dict(estimator.module_.named_parameters()), path)
        estimator.module_.load_state_dict(state["module"])
        # The Trainer of the next partial_fit continues from this state.
        estimator._trainer_state = state["trainer"]
        estimator.optimizer_.load_state_dict(state["trainer"]["optimizer"])
        estimator.history_ = History.from_dict(state["trainer"]["history"])
        return estimator

    def _fitted_metadata(self) -> dict:
        raise NotImplementedError

    def _load_fitted_metadata(self, meta: dict) -> None:
        raise NotImplementedError
