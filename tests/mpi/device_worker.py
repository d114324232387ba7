"""Run by ``mpiexec -n P`` with a device name: data-parallel training with the model on
that device ('strict', the CI stand-in for a GPU; 'cuda' on a GPU machine, each process
taking GPU ``rank % device_count()``). Writes each process's final weights.
"""

import sys
from pathlib import Path

import numpy as np
import problem

import descend as ds
from tests import strict

out, name = Path(sys.argv[1]), sys.argv[2]
strict.register()
ds.distributed.init()
rank = ds.distributed.rank()
trainer, loader = problem.trainer(model_seed=100 + rank)
device = ds.backend.choose(name, rank)
trainer.model.to(device)
trainer.fit(loader, epochs=3, val=problem.validation())
assert trainer.model.device == device, trainer.model.device
weights = {k: ds.backend.to_host(v) for k, v in problem.weights(trainer.model).items()}
np.savez(out / f"weights{rank}.npz", **weights)
