"""``descend info``: what a run folder holds: model, parameters, settings, results."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from descend import runs
from descend.cli.common import format_table

DESCRIPTION = (
    "Describe a trained run: its layers and parameter counts, the resolved training "
    "settings, and the final metrics."
)
EXAMPLES = """\
example:
  descend info runs/digits-mlp
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR")


def run(args: argparse.Namespace) -> int:
    saved = runs.load_run(args.run_dir)
    n_parameters = sum(p.size for p in saved.model.parameters())
    print(f"run {saved.folder}")
    print(f"\nmodel ({n_parameters:,} parameters)\n{saved.model!r}")
    task = f"classify into {', '.join(saved.class_names)}" if saved.class_names else "regress"
    print(f"\ntask: {task}; inputs: {_shape(saved.input_shape)}")
    print(f"\nsettings (config.toml)\n{_settings(saved.config)}")
    history_path = saved.folder / "history.json"
    if history_path.is_file():
        history = json.loads(history_path.read_text())
        epochs = history.get("epoch", [])
        events = ", ".join(
            f"{k} {v}"
            for k, v in history.get("events", {}).items()
            if k != "diverged" and not k.startswith("diagnosis")  # said in full below
        )
        updates = (history.get("updates") or [0])[-1]
        print(
            f"\ntrained {_count(len(epochs), 'epoch')}, {_count(updates, 'update')}"
            + (f"; {events}" if events else "")
        )
    metrics_path = saved.folder / "metrics.json"
    if metrics_path.is_file():
        metrics = json.loads(metrics_path.read_text())
        diagnosis = metrics.pop("diagnosis", None)
        diverged = metrics.pop("diverged", None)
        print(f"\nfinal metrics\n{format_table(metrics)}")
        if diagnosis:
            print(diagnosis)
        if diverged:
            print(f"DIVERGED: {diverged}")
    return 0


def _settings(config: runs.RunConfig) -> str:
    """The settings of config.toml, with the learning rate the optimizer's default gave."""
    text = config.updated(lr=config.learning_rate).to_toml().rstrip()
    if config.lr is None:
        line = f"lr = {config.learning_rate!r}"
        text = text.replace(line, f"{line}  # {config.optimizer}'s default", 1)
    return text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _shape(shape: tuple) -> str:
    return " x ".join(map(str, shape)) + (" features" if len(shape) == 1 else " images")
