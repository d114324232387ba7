"""Run by ``mpiexec -n 2``: process 1 raises inside ``fit`` in update 3, catches the
exception itself and goes on to other work; process 0 waits in the next collective."""

import sys
import time

import problem

import descend as ds


def fail(trainer):
    raise RuntimeError("process 1 gives up")


ds.distributed.init(timeout=float(sys.argv[1]))
trainer, loader = problem.trainer(model_seed=0, callbacks=[problem.At(3, 1, fail)])
try:
    trainer.fit(loader, epochs=50)
except RuntimeError:
    time.sleep(120)  # busy elsewhere, never back to the job's collectives
