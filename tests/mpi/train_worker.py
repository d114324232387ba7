"""Run by ``mpiexec -n P``: trains the test problem data-parallel and writes what it saw.

Checks, in one launch (each Python start costs a second):
1. exactness: processes that built their models with different seeds train together;
   each writes its final weights, process 0 its History (the test compares them with
   one process's run);
2. a stop decided in the last process alone is made by all;
3. an interruption in the last process alone, a checkpoint written by process 0 and read
   back by all, and a resumed run: bit-identical to a run never interrupted;
4. data in .npy files: the scaler fitted by parts equals the scaler of all rows, and
   training from the files, each process reading only its rows, equals training from
   the arrays;
5. BatchNorm: each process normalises with its own batch, and validation uses process
   0's running averages, which every process then holds;
6. ``train_step`` called by hand outside ``fit``, each process with its share of a
   batch, takes the step one process takes on the whole batch;
7. a training set with a row fewer in the last process is refused by ``fit`` in every
   process, naming that process, before any step (it would hang: one update fewer).
"""

import json
import sys
from pathlib import Path

import numpy as np
import problem

import descend as ds
from descend.runs.parallel import fit_scaler

out = Path(sys.argv[1])
ds.distributed.init()
rank, size = ds.distributed.rank(), ds.distributed.world_size()

# 1. exactness
trainer, loader = problem.trainer(model_seed=100 + rank)
trainer.fit(loader, epochs=3, val=problem.validation())
np.savez(out / f"weights{rank}.npz", **problem.weights(trainer.model))
if rank == 0:
    (out / "history.json").write_text(json.dumps(problem.records(trainer.history)))

# 2. a stop decided by one process
stop = problem.At(3, size - 1, lambda t: setattr(t, "stop_training", True))
stopped, loader = problem.trainer(model_seed=3, callbacks=[stop])
stopped.fit(loader, epochs=3)
results = {"stopped_at": [stopped.step, stopped.epoch]}

# 3. interrupted in one process, resumed from process 0's checkpoint
whole, loader = problem.trainer(model_seed=4, loader_seed=2)
whole.fit(loader, epochs=3, val=problem.validation())
interrupt = problem.At(6, size - 1, lambda t: t.interrupt())
first, loader = problem.trainer(model_seed=4, loader_seed=2, callbacks=[interrupt])
first.fit(loader, epochs=3, val=problem.validation())
results["interrupted"] = [first.interrupted, first.step]
checkpoint = out / "checkpoint.safetensors"
if rank == 0:
    state = {"model": first.model.state_dict(), "trainer": first.state_dict()}
    ds.io.save({**state, "loader": loader.state_dict()}, checkpoint)
ds.distributed.init().Barrier()
state = ds.io.load(checkpoint)
second, loader = problem.trainer(model_seed=50 + rank, loader_seed=9)
second.model.load_state_dict(state["model"])
second.load_state_dict(state["trainer"])
loader.load_state_dict(state["loader"])
second.fit(loader, epochs=3 - second.epoch, val=problem.validation())
results["resumed_equal"] = all(
    np.array_equal(a, b)
    for a, b in zip(problem.weights(second.model).values(), problem.weights(whole.model).values())
)
results["resumed_history_equal"] = problem.records(second.history) == problem.records(whole.history)

# 4. data on disk
X, y = problem.data()
if rank == 0:
    np.save(out / "X.npy", X)
    np.save(out / "y.npy", y)
ds.distributed.init().Barrier()
disk = problem.CountingNpy(out / "X.npy", out / "y.npy", dtype=np.float64)
scaler, everything = fit_scaler(disk), ds.data.StandardScaler().fit(X)
results["scaler_equal"] = bool(
    np.allclose(scaler.mean_, everything.mean_, rtol=1e-13, atol=0)
    and np.allclose(scaler.var_, everything.var_, rtol=1e-12, atol=0)
)
from_disk, loader = problem.trainer(model_seed=100 + rank, dataset=disk)
from_disk.fit(loader, epochs=3, val=problem.validation())
results["disk_equal"] = all(
    np.array_equal(a, b)
    for a, b in zip(
        problem.weights(from_disk.model).values(), problem.weights(trainer.model).values()
    )
)
results["rows_read"] = disk.rows_read

# 5. BatchNorm (48 samples: a last batch of one row would leave BatchNorm one value)
ds.manual_seed(rank)
bn = ds.nn.Sequential(ds.nn.Linear(problem.FEATURES, 8), ds.nn.BatchNorm1d(8), ds.nn.ReLU(),
                      ds.nn.Linear(8, problem.CLASSES))  # fmt: skip
normed = ds.Trainer(bn, ds.nn.CrossEntropyLoss(), ds.optim.SGD(bn.parameters(), lr=0.1),
                    verbose=0, parallel=ds.distributed.strategy())  # fmt: skip
normed.fit(X[:48], y[:48], epochs=1, batch_size=problem.BATCH, val=problem.validation(), seed=0)
means = ds.distributed.allgather(bn[1].running_mean)
results["bn_buffers_equal"] = all(np.array_equal(m, means[0]) for m in means)

# 6. train_step by hand
by_hand, _ = problem.trainer(model_seed=8)
reference = problem.trainer(model_seed=8)[0].model  # the same weights, stepped alone
optimizer = ds.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
mine = ds.data.shard.share(10, rank, size)
by_hand.train_step(ds.tensor(X[mine]), ds.tensor(y[mine]))
optimizer.zero_grad()
ds.nn.CrossEntropyLoss()(reference(ds.tensor(X[:10])), ds.tensor(y[:10])).backward()
optimizer.step()
results["train_step_equal"] = all(
    np.allclose(a.data, b.data, rtol=1e-12, atol=1e-15)
    for a, b in zip(by_hand.model.parameters(), reference.parameters())
)

# 7. different data in one process
X7, y7 = problem.data()
if rank == size - 1:
    X7, y7 = X7[1:], y7[1:]
refused, _ = problem.trainer(model_seed=8)
try:
    refused.fit(X7, y7, epochs=1, batch_size=problem.BATCH)
except ValueError as error:
    results["refused"] = [str(error), refused.step]
(out / f"results{rank}.json").write_text(json.dumps(results))
