"""Runs: what ``descend train`` does, as a library. A RunConfig names the data, model,
optimizer and schedule; ``prepare_run`` builds them; the Run trains and saves itself into
a folder; ``load_run`` reads the folder back into a model that predicts from raw inputs.

>>> import descend as ds
>>> run = ds.prepare_run(ds.RunConfig(data="iris", model="softmax", epochs=5))
>>> trainer = run.fit(run.trainer(verbose=0))
>>> sorted(run.scores(trainer))
['test', 'train', 'val']
"""

from descend.runs.build import build_loss, build_model, metric_names
from descend.runs.config import MODELS, RUN_OPTIONS, SCHEDULES, RunConfig
from descend.runs.outcome import divergence_advice, guessing_loss, guessing_warning
from descend.runs.run import (
    RUN_FILES,
    Run,
    RunCheckpoint,
    holds_run,
    new_run_folder,
    prepare_run,
)
from descend.runs.saved import SavedRun, load_run, open_run

__all__ = [
    "MODELS", "RUN_FILES", "RUN_OPTIONS", "SCHEDULES", "Run", "RunCheckpoint", "RunConfig",
    "SavedRun", "build_loss", "build_model", "divergence_advice", "guessing_loss",
    "guessing_warning", "holds_run", "load_run", "metric_names", "new_run_folder", "open_run",
    "prepare_run",
]  # fmt: skip
