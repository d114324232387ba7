"""Every docstring example in descend runs, as scikit-learn runs its own.

Collected: each module under src/descend except ``descend.cli`` (its help texts are
checked by the CLI tests) and ``descend.__main__`` (it runs the CLI on import). The
examples see ``ds``, ``nn``, ``F`` and ``np`` besides their module's own names, run in
a fresh temporary folder (files they write land there) and start, as every test does,
from a seeded generator and float32 (tests/conftest.py).
"""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import descend as ds
import descend.nn.functional as F
from descend import nn

LEFT_OUT = ("descend.cli", "descend.__main__")


def _module_names() -> list[str]:
    names = ["descend"] + [m.name for m in pkgutil.walk_packages(ds.__path__, "descend.")]
    return sorted(n for n in names if not n.startswith(LEFT_OUT))


def _docstrings() -> list:
    finder = doctest.DocTestFinder(exclude_empty=True)
    params = []
    for name in _module_names():
        module = importlib.import_module(name)
        for test in finder.find(module, name):
            if not test.examples:
                continue
            params.append(pytest.param(test, id=test.name))
    return params


@pytest.mark.parametrize("test", _docstrings())
def test_docstring_examples_run(test, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    test.globs = {**test.globs, "ds": ds, "nn": nn, "F": F, "np": np}
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    report = []
    result = runner.run(test, out=report.append)
    assert result.failed == 0, "".join(report)


def test_every_module_is_collected():
    names = _module_names()
    for expected in ("descend.tensor.tensor", "descend.nn.functional.conv", "descend.train"):
        assert expected in names
    assert not any(n.startswith("descend.cli") for n in names)
