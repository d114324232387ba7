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


def test_the_helps_too_large_example_really_goes_up(tmp_path):
    help_text = descend("explain", "--help", cwd=tmp_path, check=True).stdout
    assert "descend explain --lr 0.1                a learning rate too large" in help_text
    out = descend("explain", "--lr", "0.1", cwd=tmp_path, check=True).stdout
    assert "J = 107.5491   (was 49.6250: HIGHER by 57.9241: the learning rate is too large)" in out
    assert out.rstrip().endswith("stable below lr = 2/L = 0.0809, L = 24.72 being its largest "
                                 "curvature; try lr=0.04.")  # fmt: skip


def test_a_huge_lr_gets_advice_from_the_curvature(tmp_path):
    out = descend("explain", "--lr", "1e300", "--steps", "5", cwd=tmp_path, check=True).stdout
    last = out.rstrip().splitlines()[-1]
    assert last.startswith("Diverged at step 1: the cost went from 49.6250 to inf")
    assert last.endswith("try lr=0.04.") and "1e+299" not in out
    result = descend("explain", "--lr", "inf", cwd=tmp_path)
    assert result.returncode == 2 and "--lr must be a positive, finite number" in result.stderr
