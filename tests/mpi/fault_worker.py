"""Run by ``mpiexec -n 2``: process 1 dies in update 6 (epoch 2) while process 0 writes a
CSV log after every epoch. ``kill``: SIGKILL, as the kernel's OOM killer would;
``raise``: an uncaught exception."""

import os
import signal
import sys
from pathlib import Path

import problem

import descend as ds


def die(trainer):
    if sys.argv[2] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    raise RuntimeError("process 1 gives up")


ds.distributed.init()
log = ds.CSVLogger(Path(sys.argv[1]) / "history.csv")
trainer, loader = problem.trainer(model_seed=0, callbacks=[log, problem.At(6, 1, die)])
trainer.fit(loader, epochs=50)
