"""Preparing features and targets: standardisation and one-hot encoding."""

from __future__ import annotations

import numpy as np

from descend.data.validation import check_finite, check_labels, check_not_empty, to_numpy
from descend.tensor import get_default_dtype


class StandardScaler:
    """Standardise features: subtract the mean and divide by the standard deviation.

    Fit it on the training set only, then apply the same transformation to validation
    and test data, so that nothing about them leaks into training.

    ``z = (x - mean_) / scale_``, with ``scale_`` the population standard deviation
    (``ddof=0``, as scikit-learn) and 1 for constant features, so they map to 0.

    Parameters
    ----------
    with_mean : bool
        Subtract the mean.
    with_std : bool
        Divide by the standard deviation.

    Attributes
    ----------
    mean_, var_, scale_ : ndarray, shape X.shape[1:]
        Learned by :meth:`fit`, one value per feature (per pixel for images).
    n_samples_seen_ : int

    Examples
    --------
    >>> X_train = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 10.0]])
    >>> X_test = np.array([[3.0, 20.0]])
    >>> scaler = StandardScaler().fit(X_train)
    >>> scaler.mean_, scaler.scale_            # the constant feature keeps scale 1
    (array([ 3., 10.]), array([1.63299316, 1.        ]))
    >>> state = scaler.state_dict()            # plain arrays: np.savez without pickle
    >>> StandardScaler().load_state_dict(state).transform(X_test)
    array([[ 0., 10.]])

    Data too large for memory is fitted in one streaming pass, batch by batch:

    >>> np.save("X.npy", X_train)
    >>> streamed = StandardScaler().fit_batches(ds.data.load_npy("X.npy").chunks())
    >>> np.allclose(streamed.var_, scaler.var_)
    True
    """

    def __init__(self, with_mean: bool = True, with_std: bool = True):
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X) -> StandardScaler:
        """Learn each feature's mean and standard deviation from ``X`` (N, ...)."""
        self._forget()
        return self.partial_fit(X)

    def partial_fit(self, X) -> StandardScaler:
        """Add the samples ``X`` to the statistics learned so far (one batch of a stream).

        Means and variances are kept in float64 and combined batch by batch with Chan,
        Golub and LeVeque's update, so fitting batch by batch equals fitting all samples
        at once up to rounding, in one pass, holding one batch at a time.
        """
        X = self._check(X, fitting=True)
        mean, var = X.mean(axis=0, dtype=np.float64), X.var(axis=0, dtype=np.float64)
        self._add(len(X), mean, var, X.dtype)
        return self

    def fit_batches(self, batches) -> StandardScaler:
        """Learn the statistics from an iterable of batches of samples, in one pass."""
        self._forget()
        for X in batches:
            self.partial_fit(X)
        if not hasattr(self, "mean_"):
            raise ValueError("StandardScaler.fit_batches got no batches")
        return self

    def merge(self, other: StandardScaler) -> StandardScaler:
        """Add the statistics ``other`` learned from other samples (another process's
        share of the data); returns ``self``."""
        other._check_fitted()
        mean = getattr(other, "_mean64", None)
        var = getattr(other, "_var64", None)
        if mean is None:  # restored from a state_dict: only the stored precision is left
            mean, var = other.mean_.astype(np.float64), other.var_.astype(np.float64)
        self._add(other.n_samples_seen_, mean, var, other.mean_.dtype)
        return self

    def _add(self, n: int, mean: np.ndarray, var: np.ndarray, dtype) -> None:
        if hasattr(self, "mean_"):
            if mean.shape != self.mean_.shape:
                raise ValueError(
                    f"StandardScaler was fitted on features of shape {self.mean_.shape}, "
                    f"got more samples with {mean.shape}"
                )
            mean_a = getattr(self, "_mean64", None)
            var_a = getattr(self, "_var64", None)
            if mean_a is None:
                mean_a, var_a = self.mean_.astype(np.float64), self.var_.astype(np.float64)
            n_a, total = self.n_samples_seen_, self.n_samples_seen_ + n
            delta = mean - mean_a
            mean = mean_a + delta * (n / total)
            var = (var_a * n_a + var * n + np.square(delta) * (n_a * n / total)) / total
            n = total
        self._mean64, self._var64, self.n_samples_seen_ = mean, var, int(n)
        self.mean_ = mean.astype(dtype)
        self.var_ = var.astype(dtype)
        self.scale_ = _safe_scale(np.sqrt(self.var_))

    def _forget(self) -> None:
        for name in ("mean_", "var_", "scale_", "n_samples_seen_", "_mean64", "_var64"):
            self.__dict__.pop(name, None)

    def transform(self, X) -> np.ndarray:
        """``X`` standardised with the statistics learned by :meth:`fit` (a new array)."""
        X = self._check(X)
        # The statistics take X's dtype, so float32 data stays float32.
        out = X - self.mean_.astype(X.dtype) if self.with_mean else X.copy()
        if self.with_std:
            out /= self.scale_.astype(X.dtype)
        return out

    def fit_transform(self, X) -> np.ndarray:
        """:meth:`fit` to ``X``, then :meth:`transform` it."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z) -> np.ndarray:
        """Back from standardised values to the original units."""
        Z = self._check(Z, name="Z")
        out = Z * self.scale_.astype(Z.dtype) if self.with_std else Z.copy()
        if self.with_mean:
            out += self.mean_.astype(Z.dtype)
        return out

    def state_dict(self) -> dict[str, np.ndarray]:
        """The learned statistics as arrays (safe to save with safetensors or ``np.savez``)."""
        self._check_fitted()
        return {
            "mean_": self.mean_.copy(),
            "var_": self.var_.copy(),
            "scale_": self.scale_.copy(),
            "n_samples_seen_": np.array(self.n_samples_seen_, dtype=np.int64),
        }

    def load_state_dict(self, state: dict) -> StandardScaler:
        """Restore the statistics saved by :meth:`state_dict`; returns ``self``."""
        missing = [k for k in ("mean_", "var_", "scale_", "n_samples_seen_") if k not in state]
        if missing:
            raise ValueError(f"StandardScaler state is missing {missing}")
        mean, var, scale = (np.asarray(state[k]) for k in ("mean_", "var_", "scale_"))
        if not mean.shape == var.shape == scale.shape:
            raise ValueError(
                f"StandardScaler state has mean_ {mean.shape}, var_ {var.shape} and "
                f"scale_ {scale.shape}: expected one shape"
            )
        self._forget()
        self.mean_, self.var_, self.scale_ = mean.copy(), var.copy(), scale.copy()
        self.n_samples_seen_ = int(np.asarray(state["n_samples_seen_"]))
        return self

    def __repr__(self) -> str:
        return f"StandardScaler(with_mean={self.with_mean}, with_std={self.with_std})"

    def _check_fitted(self) -> None:
        if not hasattr(self, "mean_"):
            raise RuntimeError(
                "StandardScaler is not fitted yet: call fit(X_train) before transform"
            )

    def _check(self, X, fitting: bool = False, name: str = "X") -> np.ndarray:
        X = to_numpy(X, name)
        if X.ndim < 2:
            raise ValueError(
                f"StandardScaler expected {name} of shape (samples, features), got shape "
                f"{X.shape}; use X.reshape(-1, 1) for a single feature"
            )
        if X.dtype.kind != "f":
            X = X.astype(np.float64)
        check_not_empty(X, name)
        check_finite(X, name)
        if not fitting:
            self._check_fitted()
            if X.shape[1:] != self.mean_.shape:
                raise ValueError(
                    f"StandardScaler was fitted on features of shape {self.mean_.shape}, "
                    f"got {name} with {X.shape[1:]}"
                )
        return X


def _safe_scale(std: np.ndarray) -> np.ndarray:
    """Standard deviations with near-zero ones set to 1 (constant features stay 0)."""
    tiny = 10 * np.finfo(std.dtype).eps
    return np.where(std < tiny, np.ones_like(std), std)


def one_hot(y, n_classes: int | None = None, dtype=None) -> np.ndarray:
    """Class labels as one-hot rows: row ``i`` has a 1 in column ``y[i]``.

    Parameters
    ----------
    y : array_like or Tensor of int, shape (N,)
    n_classes : int, optional
        Number of columns C; ``max(y) + 1`` unless given.
    dtype : numpy dtype, optional
        The default float dtype unless given.

    Returns
    -------
    ndarray, shape (N, C)

    Examples
    --------
    >>> one_hot([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    labels = check_labels(y, n_classes)
    if labels.ndim != 1:
        raise ValueError(f"one_hot expected labels of shape (N,), got shape {labels.shape}")
    if n_classes is None:
        n_classes = int(labels.max()) + 1 if labels.size else 0
    out = np.zeros((labels.size, n_classes), dtype=dtype or get_default_dtype())
    out[np.arange(labels.size), labels] = 1
    return out
