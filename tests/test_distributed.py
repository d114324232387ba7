"""Data parallelism with real processes: ``mpiexec -n P`` runs the workers in tests/mpi.

Each launch starts P Python interpreters, so each checks several things at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import descend as ds
from descend.extras import install_command
from tests.mpi import problem

WORKERS = Path(__file__).parent / "mpi"


def mpiexec(n: int, *command, timeout: float = 60, cwd=None) -> subprocess.CompletedProcess:
    """Run ``command`` in ``n`` processes with the mpiexec of this Python's environment."""
    launcher = Path(sys.executable).parent / "mpiexec"
    if not launcher.exists():
        pytest.fail(f"no mpiexec next to {sys.executable}: pip install 'descend[mpi]'")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_", "MPI"))}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1]), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [str(launcher), "-n", str(n), *map(str, command)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=cwd,
    )


def single_process_reference():
    trainer, loader = problem.trainer(model_seed=100)
    trainer.fit(loader, epochs=3, val=problem.validation())
    return problem.weights(trainer.model), problem.records(trainer.history)


@pytest.fixture(scope="module")
def reference():
    old = ds.get_default_dtype()
    try:
        return single_process_reference()
    finally:
        ds.set_default_dtype(old)


@pytest.mark.parametrize("processes", [2, 3])
def test_data_parallel_training_equals_one_process(processes, reference, tmp_path):
    done = mpiexec(processes, sys.executable, WORKERS / "train_worker.py", tmp_path)
    assert done.returncode == 0, done.stderr
    weights, records = reference
    for rank in range(processes):  # every process ends with one process's weights
        mine = np.load(tmp_path / f"weights{rank}.npz")
        assert sorted(mine) == sorted(weights)
        for name, expected in weights.items():
            np.testing.assert_allclose(mine[name], expected, rtol=1e-9, atol=1e-12)
    history = json.loads((tmp_path / "history.json").read_text())
    assert history.keys() == records.keys()
    for key, values in records.items():
        np.testing.assert_allclose(history[key], values, rtol=1e-9, err_msg=key)
    assert len(history["step_loss"]) == 3 * 4  # 49 samples, batch 16: 4 updates per epoch
    for rank in range(processes):
        results = json.loads((tmp_path / f"results{rank}.json").read_text())
        assert results["stopped_at"] == [3, 1], "a stop in one process stops all at once"
        assert results["interrupted"] == [True, 6]
        assert results["resumed_equal"] and results["resumed_history_equal"]
        assert results["scaler_equal"] and results["disk_equal"]
        assert results["bn_buffers_equal"] and results["train_step_equal"]
        message, steps = results["refused"]
        assert steps == 0 and message == (
            f"process {processes - 1} holds different training data than process 0: 48 "
            f"samples of shape (5,) in batches of 16, against 49 samples of shape (5,) in "
            f"batches of 16; every process must read the same training data"
        )
    # each process read its share of every batch from the file, and no row twice
    rows = [
        json.loads((tmp_path / f"results{r}.json").read_text())["rows_read"]
        for r in range(processes)
    ]
    assert sum(rows) == 3 * problem.N
    assert max(rows) - min(rows) <= 3 * 4  # at most one row more per batch


@pytest.mark.parametrize("how", ["kill", "raise"])
def test_a_process_that_dies_ends_the_job(how, tmp_path):
    start = time.perf_counter()
    done = mpiexec(2, sys.executable, WORKERS / "fault_worker.py", tmp_path, how, timeout=60)
    assert time.perf_counter() - start < 60
    assert done.returncode != 0
    if how == "raise":
        assert done.stderr.count("RuntimeError: process 1 gives up") == 1, done.stderr
    # process 0 wrote its log after epoch 1 and was stopped before the end of epoch 2:
    # the file is whole, never half written
    lines = (tmp_path / "history.csv").read_text().splitlines()
    assert len(lines) == 2 and lines[1].startswith("1,")
    assert [p.name for p in tmp_path.iterdir()] == ["history.csv"]


def test_an_exception_caught_in_one_process_ends_the_job_after_the_timeout(tmp_path):
    start = time.perf_counter()
    done = mpiexec(2, sys.executable, WORKERS / "caught_worker.py", 3, timeout=60)
    took = time.perf_counter() - start
    assert done.returncode != 0 and took < 30, (took, done.stderr)
    lines = [line for line in done.stderr.splitlines() if "descend.distributed" in line]
    assert len(lines) == 1, done.stderr  # one line, from the process left waiting
    assert lines[0].startswith("descend.distributed: process 0 waited 3 s for the other ")
    assert "agree on stopping" in lines[0] and "DESCEND_MPI_TIMEOUT" in lines[0]


def test_importing_the_trainer_loads_neither_the_npy_reader_nor_mpi():
    script = (
        "import sys, descend.train\n"
        "print([m for m in ('descend.data.npy', 'mpi4py') if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


def test_the_trainer_trains_alone_unless_given_a_strategy():
    model = ds.models.MLP([2, 1])
    alone = ds.Trainer(model, ds.nn.MSELoss(), ds.optim.SGD(model.parameters()))
    assert type(alone.parallel) is ds.distributed.SingleProcess
    given = ds.distributed.SingleProcess()
    made = ds.Trainer(model, ds.nn.MSELoss(), ds.optim.SGD(model.parameters()), parallel=given)
    assert made.parallel is given


def test_without_mpi4py_init_names_the_extra_in_one_line():
    script = (
        "import sys; sys.modules['mpi4py'] = None\n"  # as if mpi4py were not installed
        "import descend as ds\n"
        "assert (ds.distributed.rank(), ds.distributed.world_size()) == (0, 1)\n"
        "try:\n    ds.distributed.init()\n"
        "except ImportError as error:\n    print(error)\n"
    )
    run = [sys.executable, "-c", script]
    done = subprocess.run(run, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"descend.distributed needs mpi4py and an MPI library: {install_command('mpi')}\n"
    )


def test_what_mpiexec_says_is_read_without_importing_mpi(monkeypatch):
    from descend import distributed

    for name in ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert distributed.launched() == 1 and distributed.is_main()
    monkeypatch.setenv("PMI_SIZE", "4")
    monkeypatch.setenv("PMI_RANK", "2")
    assert distributed.launched() == 4 and not distributed.is_main()
    assert distributed.world_size() == 1  # no job joined: a Trainer trains alone
    assert type(distributed.strategy()) is distributed.SingleProcess


def test_the_plan_gives_the_true_shares_of_a_batch_larger_than_the_set():
    from descend.train.progress import describe_plan

    plan = {"n_samples": 4, "batch_size": 32, "updates_per_epoch": 1, "epochs": 2}
    assert describe_plan({**plan, "processes": 3}).startswith(
        "4 samples, 3 processes, global full batch (1-2 per process): 1 update per epoch"
    )
    plan = {"n_samples": 180, "batch_size": 32, "updates_per_epoch": 6, "epochs": 2}
    assert "global batch 32 (16 per process)" in describe_plan({**plan, "processes": 2})


def test_descend_distributed_offers_the_collectives_it_is_built_on():
    from descend import collectives, distributed

    for name in distributed.__all__:
        assert hasattr(distributed, name), name
    for name in ("init", "rank", "world_size", "is_main", "launched", "abort", "allreduce",
                 "broadcast", "allgather", "agree", "check_same", "together"):  # fmt: skip
        assert getattr(distributed, name) is getattr(collectives, name), name
