"""Choosing by name: a value from a list of known names, with a "did you mean" for typos."""

from __future__ import annotations

import difflib


def closest(kind: str, value: str, options) -> str:
    """``value`` if it is one of ``options``; else a ValueError suggesting the nearest.

    >>> closest("optimizer", "adam", ("sgd", "adam"))
    'adam'
    >>> closest("optimizer", "adma", ("sgd", "adam"))
    Traceback (most recent call last):
    ...
    ValueError: unknown optimizer 'adma'; did you mean 'adam'? (choose from sgd, adam)
    """
    if value in options:
        return value
    near = difflib.get_close_matches(str(value), [str(o) for o in options], n=1, cutoff=0.5)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise ValueError(f"unknown {kind} {value!r}{hint} (choose from {', '.join(options)})")
