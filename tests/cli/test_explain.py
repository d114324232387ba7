from tests.cli.conftest import descend


def test_explain_prints_one_step_with_its_numbers(tmp_path):
    out = descend("explain", cwd=tmp_path, check=True).stdout
    assert out.startswith("One step of gradient descent, written out: linear regression")
    assert "J = (20.2500 + 25.0000 + 72.2500 + 81.0000) / 4 = 49.6250" in out
    assert out.count("agree") == 3
    assert "J = 12.6970   (was 49.6250: lower by 36.9280)" in out


def test_explain_logistic_until_converged(tmp_path):
    out = descend(
        "explain", "--model", "logistic", "--steps", "3000", cwd=tmp_path, check=True
    ).stdout
    assert "p = sigmoid(z), z = w1*x1 + w2*x2 + b" in out
    assert "Converged at step" in out


def test_explain_names_bad_options(tmp_path):
    result = descend("explain", "--model", "logistc", cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown model 'logistc'; did you mean 'logistic'?" in result.stderr
    result = descend("explain", "--steps", "0", cwd=tmp_path)
    assert result.returncode == 2 and "--steps must be a positive integer" in result.stderr
