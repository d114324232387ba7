import re

from tests.cli.conftest import descend
from tests.plot.png import assert_picture


def test_landscape_compares_learning_rates(tmp_path):
    result = descend("landscape", "--compare", "lr", "--out", "lr.png", cwd=tmp_path, check=True)
    out = result.stdout
    # least squares on the generated data
    assert "global minimum at (1.5587, 2.0667), cost 0.2881 (least squares)" in out
    rows = re.findall(
        r"^lr=(\S+) \((too small|good|too large)\)\s+(\d+)\s+(\S+)   (.*)$", out, re.M
    )
    assert [row[1] for row in rows] == ["too small", "good", "too large"]
    (_, _, n_small, _, end_small), (_, _, n_good, cost_good, end_good), large = rows
    assert int(n_small) == int(n_good) == 40
    assert end_small.startswith("did not settle: ")
    assert end_good == "global minimum at (1.5587, 2.0667), cost 0.2881"
    assert large[4] == "diverged" and float(large[3]) > 1000 * float(cost_good)
    assert "wrote lr.png" in out
    assert_picture(tmp_path / "lr.png", min_size=(1200, 550))


def test_landscape_of_optimizers_on_logistic_regression(tmp_path):
    result = descend("landscape", "--compare", "optimizers", "--model", "logistic",
                     "--epochs", "20", cwd=tmp_path, check=True)  # fmt: skip
    for name in ("SGD", "momentum 0.9", "Nesterov 0.9", "AdaGrad", "RMSProp", "Adam"):
        assert re.search(rf"^{name} lr=\S+\s+20\s", result.stdout, re.M), name
    assert_picture(tmp_path / "landscape-logistic-optimizers.png", min_size=(1200, 550))


def test_landscape_strategies_by_default(tmp_path):
    result = descend("landscape", "--epochs", "3", "--batch-size", "10", "--start=-4,5",
                     cwd=tmp_path, check=True)  # fmt: skip
    out = result.stdout
    assert "start (-4, 5)" in out
    assert re.search(r"^batch GD \(all 40\)\s+3\s", out, re.M)
    assert re.search(r"^mini-batch \(10\)\s+12\s", out, re.M)
    assert re.search(r"^SGD \(batch 1\)\s+120\s", out, re.M)
    assert_picture(tmp_path / "landscape-linear-strategies.png", min_size=(1200, 550))


def test_landscape_names_bad_options(tmp_path):
    result = descend("landscape", "--compare", "optimiser", cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown comparison 'optimiser'; did you mean 'optimizers'?" in result.stderr
    result = descend("landscape", "--lrs", "0.1,0.2,0.3", cwd=tmp_path)
    assert result.returncode == 2 and "--lrs sets the three learning rates" in result.stderr
    result = descend("landscape", "--start", "1", cwd=tmp_path)
    assert result.returncode == 2 and "expected 2 comma-separated numbers" in result.stderr
    assert not list(tmp_path.glob("*.png"))
    result = descend("landscape", "--model", "rosenbrok", cwd=tmp_path)
    assert result.returncode == 2 and "did you mean 'rosenbrock'?" in result.stderr
    result = descend("landscape", "--model", "himmelblau", "--compare", "strategies", cwd=tmp_path)
    assert result.returncode == 2 and "needs samples to batch" in result.stderr
    assert not list(tmp_path.glob("*.png"))


def test_landscape_local_minimum(tmp_path):
    """Plain SGD stops in the local minimum; momentum and Nesterov carry past it."""
    result = descend("landscape", "--model", "local-minimum", cwd=tmp_path, check=True)
    out = result.stdout
    assert "local minimum at (0.5445, 0.6283), cost 0.1232" in out.splitlines()[2]
    ends = dict(re.findall(r"^(\S+(?: 0\.9)?) lr=\S+\s+100\s+\S+   (.*)$", out, re.M))
    assert ends["SGD"] == "local minimum at (0.5445, 0.6283), cost 0.1232"
    assert ends["momentum 0.9"] == ends["Nesterov 0.9"]
    assert ends["momentum 0.9"] == "global minimum at (-1.4037, 1.0123), cost 0.06049"
    assert "wrote landscape-local-minimum-optimizers.png" in out
    assert_picture(tmp_path / "landscape-local-minimum-optimizers.png", min_size=(1200, 550))


def test_landscape_several_starts(tmp_path):
    result = descend("landscape", "--model", "himmelblau", "--compare", "lr", "--epochs", "40",
                     "--start=-1,1", "--start", "1,-1", cwd=tmp_path, check=True)  # fmt: skip
    out = result.stdout
    assert "start A (-1, 1), cost" in out and "start B (1, -1), cost" in out
    good = dict(re.findall(r"^lr=\S+ \(good\) from ([AB])\s+40\s+\S+   (.*)$", out, re.M))
    assert good == {
        "A": "global minimum at (-2.8051, 3.1313), cost 0",
        "B": "global minimum at (3.5844, -1.8481), cost 0",
    }
    assert_picture(tmp_path / "landscape-himmelblau-lr.png", min_size=(1200, 550))


def test_a_start_too_far_out_is_one_line(tmp_path):
    result = descend("landscape", "--start=1e308,1e308", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        "descend landscape: error: start (1e+308, 1e+308) is too far out: the cost there "
        "overflows (beyond 1.8e+308); choose a start nearer the minimum at (1.559, 2.067)\n"
    )
    result = descend("landscape", "--start=1e100,1", cwd=tmp_path)
    assert result.returncode == 2
    assert "the model's float32 weights cannot hold it (at most 3.4e+38)" in result.stderr
    assert not list(tmp_path.iterdir())


def test_a_far_start_is_not_said_to_reach_the_minimum(tmp_path):
    # The picture spans 1e20; settling is still judged near the minimum.
    result = descend("landscape", "--start=1e20,1", "--epochs", "3", cwd=tmp_path, check=True)
    rows = re.findall(r"^(batch GD|mini-batch|SGD).*   (.*)$", result.stdout, re.M)
    assert len(rows) == 3 and all(end.startswith("did not settle") for _, end in rows), rows
