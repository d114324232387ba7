"""Neural-network building blocks: Module, layers, losses (``descend.nn``).

``descend.nn.functional`` has the same operations as functions, ``descend.nn.init``
the weight initialisers.
"""

from descend.nn import functional, init
from descend.nn.activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from descend.nn.container import ModuleList, Sequential
from descend.nn.conv import Conv1d, Conv2d
from descend.nn.dropout import Dropout
from descend.nn.flatten import Flatten
from descend.nn.linear import Linear
from descend.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from descend.nn.module import Module, Parameter
from descend.nn.normalization import BatchNorm1d, BatchNorm2d
from descend.nn.pooling import AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d

__all__ = [
    "AvgPool1d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "HuberLoss",
    "L1Loss",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool1d",
    "MaxPool2d",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "functional",
    "init",
]
