"""What ``import descend`` costs: the package imports its parts when they are first used."""

import subprocess
import sys

import pytest

HEAVY = ("matplotlib", "tqdm", "sklearn", "scipy", "mpi4py", "onnx", "tensorboardX")


def loaded_after(code: str) -> list[str]:
    """The modules outside the standard library that ``code`` leaves loaded (fresh process)."""
    script = (
        f"import sys\n{code}\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] not in "
        "sys.stdlib_module_names and not m.startswith('_'))))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1].split()


def test_import_descend_loads_nothing_else():
    assert loaded_after("import descend") == ["descend"]


def test_training_loads_no_optional_library():
    code = (
        "import descend as ds\n"
        "X, y = ds.data.load_iris()\n"
        "model = ds.models.MLP([4, 8, 3])\n"
        "optimizer = ds.optim.Adam(model.parameters())\n"
        "loss, bar = ds.nn.CrossEntropyLoss(), ds.ProgressBar()\n"
        "trainer = ds.Trainer(model, loss, optimizer, callbacks=[bar])\n"
        "trainer.fit(X, y, epochs=1)"
    )
    loaded = {name.split(".")[0] for name in loaded_after(code)}
    assert "numpy" in loaded
    assert not loaded & set(HEAVY)


@pytest.mark.parametrize("argv", [["--version"], ["--help"]])
def test_version_and_help_import_no_numpy(argv):
    code = f"from descend.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"
    assert [m for m in loaded_after(code) if not m.startswith("descend")] == []


def test_public_names_resolve_and_functions_win_over_their_modules():
    # descend.tensor is a module and ds.tensor a function: importing the module first
    # must not turn ds.tensor into it.
    import descend as ds
    import descend.explain  # noqa: F401
    import descend.tensor  # noqa: F401

    assert callable(ds.tensor) and callable(ds.explain) and callable(ds.gradcheck)
    assert ds.tensor([1.0]).shape == (1,)
    for name in ds.__all__:
        if name not in ("onnx",):  # needs the onnx extra's package only when exporting
            assert getattr(ds, name) is not None
    assert set(dir(ds)) == set(ds.__all__)
    assert ds.allocator.keep_freed_memory  # a submodule outside __all__ imports on use too
    with pytest.raises(AttributeError, match="no attribute 'tensr'"):
        ds.tensr  # noqa: B018
