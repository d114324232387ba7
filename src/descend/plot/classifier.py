"""Pictures of a classifier: its decision regions in 2-D, and a confusion matrix."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from descend.plot._figure import colour, new_figure, save
from descend.tensor import Tensor, get_default_dtype, no_grad


def predict_classes(model, X: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """Class labels of ``X`` from a Trainer, an object with ``predict``, or a Module.

    A Module's output of shape (N, C) gives the argmax; one output per sample gives
    class 1 where it exceeds ``threshold`` (0 for logits, 0.5 for probabilities).
    The Module is evaluated in eval mode without a graph, and its mode is restored.
    """
    if hasattr(model, "predict"):  # a Trainer or a scikit-learn-style estimator
        return np.asarray(model.predict(X)).reshape(len(X))
    if not callable(model):
        raise TypeError(f"expected a Module, a Trainer or an estimator, got {type(model).__name__}")
    was_training = getattr(model, "training", None)
    if was_training is not None:
        model.eval()
    try:
        with no_grad():
            out = model(Tensor(np.asarray(X, dtype=_input_dtype(model))))
    finally:
        if was_training is not None:
            model.train(was_training)
    out = out.data if isinstance(out, Tensor) else np.asarray(out)
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1)
    return (out.reshape(len(X)) > threshold).astype(np.int64)


def _input_dtype(model) -> np.dtype:
    """The dtype of the model's weights (inputs must match: descend never upcasts)."""
    parameters = getattr(model, "parameters", None)
    first = next(iter(parameters()), None) if callable(parameters) else None
    return first.dtype if first is not None else get_default_dtype()


def decision_regions(
    model,
    X,
    y,
    path: str | os.PathLike,
    threshold: float = 0.0,
    resolution: int = 300,
    feature_names: tuple[str, str] = ("feature 1", "feature 2"),
    title: str | None = None,
) -> Path:
    """Colour the plane by the class a 2-D classifier predicts, with the data on top.

    Parameters
    ----------
    model : Module, Trainer, or an object with ``predict``
        A Module with outputs (N, C) is read by argmax; with one output per sample,
        class 1 is where the output exceeds ``threshold``.
    X : array_like, shape (N, 2)
    y : array_like, shape (N,)
        True class labels (integers).
    path : str or PathLike
    threshold : float
        0 for a model that outputs logits, 0.5 for probabilities.
    resolution : int
        Grid points per axis.
    feature_names : (str, str)
        Axis labels.
    title : str, optional

    Examples
    --------
    >>> X, y = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([0, 1, 0, 1])
    >>> model = ds.models.LogisticRegression(2)
    >>> ds.plot.decision_regions(model, X, y, "regions.png").name
    'regions.png'
    """
    return save(
        decision_regions_figure(
            model,
            X,
            y,
            threshold=threshold,
            resolution=resolution,
            feature_names=feature_names,
            title=title,
        ),
        path,
    )


def decision_regions_figure(
    model,
    X,
    y,
    threshold: float = 0.0,
    resolution: int = 300,
    feature_names: tuple[str, str] = ("feature 1", "feature 2"),
    title: str | None = None,
) -> Figure:
    """The figure of :func:`decision_regions`, not yet saved (to inspect or edit)."""
    X = np.asarray(X.data if isinstance(X, Tensor) else X)
    y = np.asarray(y.data if isinstance(y, Tensor) else y).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_regions needs X of shape (N, 2), got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.1 * np.maximum(hi - lo, 1e-9)
    g0 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    g1 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    G0, G1 = np.meshgrid(g0, g1)
    grid = np.column_stack([G0.ravel(), G1.ravel()])
    regions = predict_classes(model, grid, threshold).reshape(G0.shape)
    predicted = predict_classes(model, X, threshold)

    classes = np.union1d(np.unique(y), np.unique(regions))
    index = {c: i for i, c in enumerate(classes)}
    colours = [colour(i) for i in range(len(classes))]
    figure = new_figure(7, 6)
    ax = figure.subplots()
    ax.contourf(
        G0,
        G1,
        np.vectorize(index.get)(regions),
        levels=np.arange(len(classes) + 1) - 0.5,
        cmap=ListedColormap(colours),
        alpha=0.25,
    )
    ax.contour(
        G0,
        G1,
        np.vectorize(index.get)(regions),
        levels=np.arange(len(classes)) + 0.5,
        colors="black",
        linewidths=1.2,
    )
    for c in classes:
        mine = y == c
        ax.scatter(
            X[mine, 0],
            X[mine, 1],
            s=28,
            color=colours[index[c]],
            edgecolor="black",
            linewidth=0.6,
            label=f"class {c}",
        )
    wrong = predicted != y
    if wrong.any():
        ax.scatter(
            X[wrong, 0],
            X[wrong, 1],
            s=90,
            facecolor="none",
            edgecolor="#CC0000",
            linewidth=1.4,
            label=f"misclassified ({wrong.sum()})",
        )
    accuracy = float(np.mean(~wrong))
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    ax.set_title(title or f"Decision regions (accuracy {accuracy:.1%} on these {len(X)} points)")
    ax.legend(fontsize="small", framealpha=0.9, loc="best")
    return figure


def confusion_matrix(
    cm,
    path: str | os.PathLike,
    labels=None,
    title: str | None = None,
) -> Path:
    """Draw a confusion matrix (rows: true class, columns: predicted) with counts in cells.

    Parameters
    ----------
    cm : array_like, shape (C, C)
        Counts, e.g. from ``ds.metrics.confusion_matrix(y_true, y_pred)`` (normalised
        fractions work too: they are printed with two decimals).
    path : str or PathLike
    labels : sequence, optional
        Class names for the axes (default 0 .. C-1).
    title : str, optional
        Default: "Confusion matrix" with the accuracy (the diagonal's share).

    Examples
    --------
    >>> cm = ds.metrics.confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])  # true, predicted
    >>> ds.plot.confusion_matrix(cm, "confusion.png", labels=["a", "b", "c"]).name
    'confusion.png'
    """
    return save(confusion_matrix_figure(cm, labels=labels, title=title), path)


def confusion_matrix_figure(
    cm,
    labels=None,
    title: str | None = None,
) -> Figure:
    """The figure of :func:`confusion_matrix`, not yet saved (to inspect or edit)."""
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.size == 0:
        raise ValueError(f"a confusion matrix must be square (C, C), got shape {cm.shape}")
    if not np.isfinite(cm).all() or (cm < 0).any():
        raise ValueError("a confusion matrix holds counts or fractions: finite and >= 0")
    n = cm.shape[0]
    labels = [str(c) for c in (range(n) if labels is None else labels)]
    if len(labels) != n:
        raise ValueError(f"{len(labels)} labels for a {n}x{n} confusion matrix")
    size = min(4 + 0.55 * n, 14)
    figure = new_figure(size + 1.2, size)
    ax = figure.subplots()
    image = ax.imshow(cm, cmap="Blues", vmin=0)
    figure.colorbar(
        image, ax=ax, shrink=0.8, label="count" if cm.dtype.kind in "iu" else "fraction"
    )
    integers = cm.dtype.kind in "iu" or np.all(cm == np.round(cm))
    font = "medium" if n <= 10 else ("small" if n <= 20 else "xx-small")
    for i in range(n):
        for j in range(n):
            value = cm[i, j]
            text = f"{int(value)}" if integers else f"{value:.2f}"
            dark = value > 0.5 * cm.max()
            ink = "white" if dark else ("#9a9a9a" if value == 0 else "black")
            ax.text(j, i, text, ha="center", va="center", fontsize=font, color=ink)
    ax.set_xticks(range(n), labels, rotation=45 if max(len(s) for s in labels) > 3 else 0)
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title is None:
        total = int(cm.sum())
        title = (
            f"Confusion matrix (accuracy {np.trace(cm) / total:.1%}, {total} samples)"
            if integers and total
            else "Confusion matrix"
        )
    ax.set_title(title)
    return figure
