"""Ready-made models, from linear regression to LeNet-5: plain Modules for the one Trainer."""

from __future__ import annotations

from descend import nn

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU}


class LinearRegression(nn.Module):
    """``y = X @ w + b``; with one output the prediction has shape (N,), like its target.

    Train with ``nn.MSELoss()``. Weights start at zero: the cost is a convex bowl, so
    any start reaches the same bottom.
    """

    def __init__(self, n_features: int, n_outputs: int = 1):
        super().__init__()
        self.n_outputs = n_outputs
        self.linear = nn.Linear(n_features, n_outputs)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, x):
        out = self.linear(x)
        return out.reshape(-1) if self.n_outputs == 1 else out


class LogisticRegression(nn.Module):
    """One logit per sample, shape (N,); train with ``nn.BCEWithLogitsLoss()``.

    ``sigmoid(logit)`` is the probability of class 1. Weights start at zero (convex cost).
    """

    def __init__(self, n_features: int):
        super().__init__()
        self.linear = nn.Linear(n_features, 1)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, x):
        return self.linear(x).reshape(-1)


class SoftmaxRegression(nn.Module):
    """Multinomial logistic regression: one logit per class, shape (N, C).

    Train with ``nn.CrossEntropyLoss()`` (softmax and log-loss fused). Weights start at zero.
    """

    def __init__(self, n_features: int, n_classes: int):
        super().__init__()
        self.linear = nn.Linear(n_features, n_classes)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, x):
        return self.linear(x)


class MLP(nn.Sequential):
    """A multi-layer perceptron: ``sizes[0]`` inputs, hidden layers, ``sizes[-1]`` outputs.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths including input and output, e.g. ``[784, 256, 128, 10]``.
    activation : {'relu', 'tanh', 'sigmoid', 'leaky_relu'}
        Between layers (not after the last, which gives logits or values).
    dropout : float
        Dropout probability after each hidden activation (0: none).

    Examples
    --------
    >>> list(MLP([784, 256, 128, 10]).state_dict())[:3]  # PyTorch's keys
    ['0.weight', '0.bias', '2.weight']
    """

    def __init__(self, sizes, activation: str = "relu", dropout: float = 0.0):
        sizes = list(sizes)
        if len(sizes) < 2 or any(not isinstance(n, int) or n < 1 for n in sizes):
            raise ValueError(f"MLP needs at least two positive layer sizes, got {sizes}")
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; choose from {', '.join(_ACTIVATIONS)}"
            )
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(sizes) - 2:
                layers.append(_ACTIVATIONS[activation]())
                if dropout:
                    layers.append(nn.Dropout(dropout))
        super().__init__(*layers)
        self.sizes = sizes


class LeNet5(nn.Module):
    """LeNet-5 for 28x28 images: two convolutions with pooling, then three dense layers.

    conv 5x5 (pad 2) -> ReLU -> maxpool 2 -> conv 5x5 -> ReLU -> maxpool 2 -> flatten
    -> 400-120-84-n_classes. Input shape (N, in_channels, 28, 28); output logits (N, C).
    """

    def __init__(self, in_channels: int = 1, n_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(400, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, n_classes),
        )

    def forward(self, x):
        if x.ndim == 3:  # (N, 28, 28): one channel
            x = x.reshape(x.shape[0], 1, *x.shape[1:])
        return self.classifier(self.features(x))
