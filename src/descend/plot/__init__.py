"""Pictures of the descent (matplotlib, PNG files, no display needed).

- :func:`learning_curves`: loss and the main metric against epoch, events marked;
- :func:`compare_curves`: several runs' learning curves in one picture;
- :func:`loss_landscape`: the cost of a two-weight model, its minima and the real paths
  of several optimizers, batch strategies or learning rates, as
  :func:`descend.landscape.compute_landscape` measured them (re-exported here);
- :func:`lr_find`: the loss against the learning rate of a range test (``ds.lr_find``);
- :func:`gradients`: gradient norms, update sizes and weight norms per layer, as a
  ``GradientMonitor`` recorded them;
- :func:`decision_regions` and :func:`confusion_matrix` for classifiers;
- :func:`predicted_vs_true` for regressors.

Every function writes a PNG atomically and returns its path.

>>> X, y = ds.data.load_iris()
>>> model = ds.models.SoftmaxRegression(4, 3)
>>> trainer = ds.Trainer(model, ds.nn.CrossEntropyLoss(),
...                      ds.optim.SGD(model.parameters(), lr=0.01), verbose=0)
>>> history = trainer.fit(X, y, epochs=5, val=(X[::5], y[::5]))
>>> ds.plot.learning_curves(history, "curves.png")
PosixPath('curves.png')
"""

from descend.landscape import Landscape, compute_landscape, make_data
from descend.plot.classifier import confusion_matrix, decision_regions
from descend.plot.compare import compare_curves
from descend.plot.curves import learning_curves
from descend.plot.gradients import gradients
from descend.plot.landscape import loss_landscape
from descend.plot.lr_range import lr_find
from descend.plot.regression import predicted_vs_true

__all__ = [
    "Landscape",
    "compare_curves",
    "compute_landscape",
    "confusion_matrix",
    "decision_regions",
    "gradients",
    "learning_curves",
    "loss_landscape",
    "lr_find",
    "make_data",
    "predicted_vs_true",
]
