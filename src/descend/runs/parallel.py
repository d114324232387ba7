"""A run in each process of an MPI job: the checks and the passes that the processes
share (``descend.distributed`` gives the collectives; this module knows what a run's
data is)."""

from __future__ import annotations

from descend import distributed
from descend.data.preprocessing import StandardScaler
from descend.data.shard import fingerprint, share


def check_same_data(found) -> None:
    """Refuse, in every process, data that differs between the processes of the job.

    Each process reads its own copy of the files; they must agree on the row count, the
    shape and a checksum of what was read (all of the features and targets of data
    held in memory; all targets and a sample of the rows of ``.npy`` files, which are
    read only in parts). The message names the process that differs. Nothing happens
    in one process.
    """
    if distributed.world_size() > 1:
        X = found.X if found.disk is None else found.disk
        distributed.check_same(fingerprint(X, found.y), what="data")


def fit_scaler(data, chunk_bytes: int = 32 << 20) -> StandardScaler:
    """Standardisation statistics of ``data``'s features (an ``NpyDataset``) in one
    streaming pass, shared out: each process reads its part of the rows, then the parts'
    statistics are merged in process order, so every process gets the same scaler (one
    process reads all rows). A bad value found by one process is raised in all."""
    mine = share(len(data), distributed.rank(), distributed.world_size())
    scaler = None
    with distributed.together("fit the scaler"):
        if mine.stop > mine.start:
            scaler = StandardScaler().fit_batches(data.chunks(mine, chunk_bytes))
    merged = None
    for part in distributed.allgather(scaler, "fit the scaler"):
        if part is not None:
            merged = part if merged is None else merged.merge(part)
    return merged
