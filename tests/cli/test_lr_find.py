import re

from tests.cli.conftest import descend
from tests.plot.png import assert_picture


def test_lr_find_suggests_a_learning_rate_and_draws_the_curve(tmp_path):
    result = descend("lr-find", "--data", "iris", "--model", "softmax", "--optimizer", "sgd",
                     "--batch-size", "16", "--steps", "60", cwd=tmp_path, check=True)  # fmt: skip
    out = result.stdout
    assert "softmax on iris, sgd, batch 16: lr from 1e-07 to 10 over 60 updates" in out
    suggestion = float(re.search(r"suggested lr: (\S+)", out).group(1))
    assert 1e-4 < suggestion < 10
    assert f"--optimizer sgd --batch-size 16 --lr {suggestion:.2g}" in out
    assert re.search(r"^\s+1\.0e-07\s+\d+\.\d{4}$", out, re.M)  # the loss at each decade
    assert_picture(tmp_path / "lr-find-iris-softmax.png")
    assert not (tmp_path / "runs").exists()  # a look, not a run


def test_lr_find_names_bad_options(tmp_path):
    result = descend("lr-find", "--start-lr", "1", "--end-lr", "0.1", cwd=tmp_path)
    assert result.returncode == 2 and "need 0 < --start-lr < --end-lr" in result.stderr


def test_lr_find_has_no_options_it_would_ignore(tmp_path):
    text = descend("lr-find", "--help", cwd=tmp_path, check=True).stdout
    for option in ("--lr ", "--epochs", "--scheduler", "--early-stopping"):
        assert option not in text, option
    assert "--batch-size" in text and "--start-lr" in text
    for option, value in (("--epochs", "5"), ("--scheduler", "cosine"), ("--lr", "0.1"),
                          ("--early-stopping", "3")):  # fmt: skip
        result = descend("lr-find", option, value, cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr == (
            f"descend lr-find: error: unrecognized arguments: {option} {value} "
            "(see descend lr-find --help)\n"
        )
    assert not list(tmp_path.iterdir())
