import re

from tests.cli.conftest import descend
from tests.plot.png import assert_picture


def test_landscape_compares_learning_rates(tmp_path):
    result = descend("landscape", "--compare", "lr", "--out", "lr.png", cwd=tmp_path, check=True)
    out = result.stdout
    assert "minimum at (1.5587, 2.0667)" in out  # least squares on the generated data
    rows = re.findall(
        r"^lr=(\S+) \((too small|good|too large)\)\s+(\d+)\s+(\S+)\s+(\S+)(.*)$", out, re.M
    )
    assert [row[1] for row in rows] == ["too small", "good", "too large"]
    (_, _, n_small, _, _, _), (_, _, n_good, cost_good, dist_good, _), large = rows
    assert int(n_small) == int(n_good) == 40
    assert float(dist_good) < 0.1 and "diverged" in large[5]
    assert float(large[3]) > 1000 * float(cost_good)
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
