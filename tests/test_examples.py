import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_linear_regression_example_learns_the_true_weights():
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "linear_regression.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    costs = [float(c) for c in re.findall(r"cost\s+([\d.]+)", result.stdout)]
    assert len(costs) > 5 and costs[-1] < costs[0] / 50
    assert all(later <= earlier + 1e-6 for earlier, later in zip(costs, costs[1:]))
    learned = re.search(r"learned\s+w0 = ([-+\d.]+)\s+w1 = ([-+\d.]+)", result.stdout)
    w0, w1 = float(learned.group(1)), float(learned.group(2))
    assert abs(w0 - 4.0) < 0.1 and abs(w1 + 2.5) < 0.1
