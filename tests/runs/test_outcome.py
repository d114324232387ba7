"""What a finished run's numbers say: the warning of a loss at the level of guessing, in
the units the loss sees."""

import numpy as np
import pytest

from descend import runs
from descend.runs.outcome import AT_GUESSING
from descend.train import History
from tests.cli.conftest import descend

DIGITS = runs.RunConfig()
CODES = np.repeat(np.arange(10), 18)  # ten classes, equally often: guessing gives log(10)


def _history(losses):
    return History.from_dict({"epoch": list(range(1, len(losses) + 1)), "loss": losses})


def test_a_loss_barely_below_guessing_is_called_so_with_its_numbers():
    """2.258 against log(10) = 2.302 is lower, if barely: not "no lower than guessing"."""
    warning = runs.guessing_warning(DIGITS, "classify", CODES, _history([2.33, 2.29, 2.258]))
    assert warning == (
        "the training loss ended at 2.258, barely below the 2.303 that guessing from the class "
        "frequencies gives (98.1% of it): the model has learned little. Try a larger --lr "
        "(now 0.001) or more --epochs"
    )


def test_a_loss_at_or_above_guessing_has_learned_nothing():
    warning = runs.guessing_warning(DIGITS, "classify", CODES, _history([2.35, 2.34, 2.31]))
    assert warning.startswith(
        "the training loss ended at 2.31, no lower than guessing from the class frequencies "
        "gives (2.303): the model has learned nothing. Try a larger --lr"
    )
    assert (
        runs.guessing_warning(DIGITS, "classify", CODES, _history([2.3, AT_GUESSING * 2.2])) is None
    )


def test_regression_is_judged_against_the_standardised_targets_variance():
    y = np.random.default_rng(0).normal(size=200)
    y = (y - y.mean()) / y.std()  # as the run trains on them: variance 1
    assert runs.guessing_loss("regress", y) == pytest.approx(1.0)
    config = runs.RunConfig(data="diabetes", lr=1e-9)
    assert runs.guessing_warning(config, "regress", y, _history([1.07, 1.065])) is not None
    assert runs.guessing_warning(config, "regress", y, _history([0.5, 0.04])) is None


@pytest.fixture(scope="module")
def small_targets(tmp_path_factory):
    """An .npy regression whose targets vary by 0.08: a variance of 0.0057, in raw units."""
    folder = tmp_path_factory.mktemp("npy")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5)).astype(np.float32)
    y = 0.05 * X @ np.array([1, -1, 0.5, 0.2, 0.3]) + 0.01 * rng.normal(size=600) + 0.5
    np.save(folder / "X.npy", X)
    np.save(folder / "y.npy", y.astype(np.float32))
    return folder


def test_an_npy_regression_that_fits_gets_no_warning_and_one_that_cannot_learn_does(
    small_targets, tmp_path
):
    """Its standardised loss (0.016, R² 0.98) was compared with the raw variance 0.0057."""
    data = ("train", "--data", str(small_targets), "--out")
    good = descend(*data, "good", "--epochs", "10", cwd=tmp_path, check=True)
    assert "warning" not in good.stderr
    stuck = descend(*data, "stuck", "--epochs", "3", "--lr", "1e-9", cwd=tmp_path, check=True)
    assert stuck.stderr.strip().splitlines()[-1].startswith("warning: the training loss ended at ")
    assert "no lower than predicting the mean gives (1): the model has learned nothing" in (
        stuck.stderr
    )
