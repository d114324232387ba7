"""`descend train` as a whole process, against the same run written with PyTorch.

    python benchmarks/startup.py [--rounds 5] [--epochs 1]

Each round runs, one after the other, in fresh subprocesses writing to fresh folders:

- ``descend train --epochs E --out TMP`` (the defaults: an MLP on the built-in digits);
- ``benchmarks/startup_torch.py`` (the same run as a plain PyTorch script: same data file,
  split, scaling, model, optimizer, batch, evaluation, files and pictures);
- the same script with ``--no-pictures`` (no matplotlib at all), the fairest floor.

Every process is timed from its start to its exit, and split by when its lines arrive
(the children run unbuffered): start-up until the plan line (stdout), training until the
last ``epoch N/N`` line (stderr), saving after it. descend's saving thus also holds the
final scores on the three parts and the last epoch's checkpoint; the script's holds the
same. Also the CPU seconds each process used (user + system), which a busy machine
stretches less than wall time. Prints the medians and the ratios descend / PyTorch
(whole process, wall time). State ``uptime`` with them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).parent
EPOCH_LINE = re.compile(r"^epoch \d+/\d+ ")
PARTS = ("whole", "start-up", "training", "saving", "cpu")


def descend_command(out: Path, epochs: int) -> list[str]:
    found = shutil.which("descend", path=str(Path(sys.executable).parent))
    start = [found] if found else [sys.executable, "-m", "descend"]
    return [*start, "train", "--epochs", str(epochs), "--out", str(out)]


def torch_command(out: Path, epochs: int, pictures: bool = True) -> list[str]:
    script = [sys.executable, str(HERE / "startup_torch.py"), str(out), "--epochs", str(epochs)]
    return script if pictures else [*script, "--no-pictures"]


def timed(command: list[str]) -> dict:
    """Run ``command``; its whole time, its start-up, training and saving parts, and its
    CPU time (seconds)."""
    lines = []  # (seconds since start, stream, text)

    def read(stream, name):
        for line in stream:
            lines.append((time.perf_counter() - start, name, line))

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    readers = [
        threading.Thread(target=read, args=(process.stdout, "out")),
        threading.Thread(target=read, args=(process.stderr, "err")),
    ]
    for reader in readers:
        reader.start()
    _, wait_status, usage = os.wait4(process.pid, 0)  # wait, and the child's CPU time
    whole = time.perf_counter() - start
    status = process.returncode = os.waitstatus_to_exitcode(wait_status)
    for reader in readers:
        reader.join()
    if status != 0:
        said = "".join(text for _, _, text in lines)
        raise SystemExit(f"{' '.join(command)} exited with {status}:\n{said}")
    plan = next(t for t, name, _ in lines if name == "out")
    trained = max(t for t, name, text in lines if name == "err" and EPOCH_LINE.match(text))
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "whole": whole,
        "start-up": plan,
        "training": trained - plan,
        "saving": whole - trained,
        "cpu": cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    runners = {
        "descend train": lambda out: descend_command(out, args.epochs),
        "PyTorch script": lambda out: torch_command(out, args.epochs),
        "PyTorch, no pictures": lambda out: torch_command(out, args.epochs, pictures=False),
    }
    times = {name: {part: [] for part in PARTS} for name in runners}
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(args.rounds):
            for i, (name, command) in enumerate(runners.items()):
                split = timed(command(Path(folder) / f"{round_}-{i}"))
                for part, seconds in split.items():
                    times[name][part].append(seconds)
    median = {
        name: {part: statistics.median(seconds) for part, seconds in parts.items()}
        for name, parts in times.items()
    }
    print(f"--epochs {args.epochs}, median of {args.rounds} rounds, seconds")
    print(f"{'':22}" + "".join(f"{part:>10}" for part in PARTS) + f"{'ratio':>8}")
    ours = median["descend train"]["whole"]
    for name, parts in median.items():
        ratio = ours / parts["whole"]
        print(f"{name:22}" + "".join(f"{parts[p]:10.2f}" for p in PARTS) + f"{ratio:8.2f}")
    print("ratio: descend train's whole process / this one's")


if __name__ == "__main__":
    main()
