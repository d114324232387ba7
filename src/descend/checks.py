"""Checks of settings shared across the library, each with the one message it gives."""

from __future__ import annotations

import numbers


def positive_int(value, name: str) -> int:
    """``value`` as an int when it is a whole number of at least 1, else a ValueError.

    A bool is not a number here; NumPy integers are.

    >>> positive_int(3, "epochs")
    3
    >>> positive_int(0, "epochs")
    Traceback (most recent call last):
    ...
    ValueError: epochs must be a positive integer, got 0
    """
    if not is_positive_int(value):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def is_positive_int(value) -> bool:
    """Whether ``value`` is a whole number of at least 1 (not a bool)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1
