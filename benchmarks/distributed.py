"""Data-parallel training over MPI: where a step's time goes, and an epoch on a 4 GB file.

Parts (all by default):

- ``steps``: the MLP 784-256-128-10 (Adam, float32) at global batch 128 and 512, in 1
  process and in 2 (``mpiexec -n 2``), one BLAS thread per process, plus 1 process
  with 2 threads. Median time per step split into compute (forward, backward,
  optimizer step), the gradient Allreduce as the step sees it (waiting for the slower
  process included), and the stop-flag agreement; the Allreduce of the same buffer
  alone after a barrier; samples per second.
- ``compute``: compute per step of the MLP and LeNet-5 in one process with one thread,
  at batches 8 to 512 per process, and when each parameter's gradient is delivered
  during backward (what overlapping a bucketed Allreduce with backward could hide);
  the numbers behind docs/scaling.md.
- ``load``: the run of ``descend train --hidden 256,256 --batch-size 128 --epochs 30``
  (the built-in digits, Adam, accuracy, a validation set), in 1 process and in 2, on
  idle cores and beside ``--busy`` processes that keep every core busy (each in a
  session of its own, as another user's jobs: Linux schedules sessions as groups).
  Training seconds (the epochs' times), and for 2 processes the milliseconds each
  process waits per step in the gradient Allreduce and the stop-flag agreement.
- ``bigdata``: a 4 GB ``X.npy`` (1.28 M rows of 784 float32) written to disk, then one
  epoch of the MLP at batch 512 from it in 1 and 2 processes, with the streaming
  scaler pass first: time and peak resident memory of every process. The files are
  deleted afterwards.

    flock /tmp/descend-bench.lock python benchmarks/distributed.py [--part steps]
        [--dir /work/bench-data] [--steps 60] [--busy 8]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MLP_SIZES = [784, 256, 128, 10]
ROWS_4GB = 1_280_000  # x 784 float32 = 4.01 GB


# -- the driver: launches workers under mpiexec and prints tables ----------------------
def launch(processes: int, threads: int | None, *args) -> list[dict]:
    """Run this script's worker in ``processes`` MPI processes; their JSON results (with
    ``threads`` None, each process uses the threads descend picks)."""
    mpiexec = Path(sys.executable).parent / "mpiexec"
    env = dict(os.environ)
    if threads is not None:
        env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    with tempfile.TemporaryDirectory() as out:
        command = [str(mpiexec), "-n", str(processes), sys.executable, __file__, "--worker"]
        subprocess.run([*command, *map(str, args), "--out", out], check=True, env=env)
        return [json.loads(p.read_text()) for p in sorted(Path(out).glob("rank*.json"))]


def steps_table(n_steps: int, rounds: int) -> None:
    print(
        f"MLP 784-256-128-10, Adam, float32: median per step (ms), best of {rounds} runs; "
        "a process's slower of its ranks"
    )
    header = (
        f"{'batch':>6} {'procs':>5} {'threads':>7} {'per proc':>8} {'compute':>8} "
        f"{'allreduce':>9} {'agree':>6} {'step':>7} {'alone':>6} {'samples/s':>10}"
    )
    print(header)
    configs = [(b, p, t) for b in (128, 512) for p, t in ((1, 1), (1, 2), (2, 1))]
    runs = {c: [] for c in configs}
    for round_ in range(rounds):  # each configuration once per round, a new one first
        turn = round_ % len(configs)
        for batch, processes, threads in configs[turn:] + configs[:turn]:
            ranks = launch(processes, threads, "steps", "--batch", batch, "--steps", n_steps)
            runs[batch, processes, threads].append(max(ranks, key=lambda r: r["step"]))
    for (batch, processes, threads), found in runs.items():
        r = min(found, key=lambda f: f["step"])  # the least disturbed run
        print(
            f"{batch:>6} {processes:>5} {threads:>7} {batch // processes:>8} "
            f"{r['compute'] * 1e3:>8.2f} {r['allreduce'] * 1e3:>9.3f} "
            f"{r['agree'] * 1e3:>6.3f} {r['step'] * 1e3:>7.2f} "
            f"{r['alone'] * 1e3:>6.3f} {batch / r['step']:>10.0f}"
        )
    r = launch(2, 1, "latency")[0]
    print(
        f"Allreduce alone, 2 processes here (shared memory): 16 bytes {r['small'] * 1e6:.1f} us; "
        f"{r['bytes'] / 1e6:.2f} MB {r['large'] * 1e3:.3f} ms, i.e. "
        f"{r['bytes'] / r['large'] / 1e9:.2f} GB/s as 2(P-1)/P x bytes / time"
    )


def compute_table(rounds: int, saved: Path | None = None) -> None:
    """Measure (or read the measurements kept in ``saved``), print them and the projection."""
    if saved is not None and saved.exists():
        r = json.loads(saved.read_text())
    else:
        found = [launch(1, 1, "compute")[0] for _ in range(rounds)]
        r = found[0]
        for name in ("mlp", "lenet"):  # each time the least disturbed of the runs
            r[name] = {k: min(f[name][k] for f in found) for k in r[name]}
        if saved is not None:
            saved.write_text(json.dumps(r))
    print(
        f"compute per step, 1 process, 1 thread (ms): forward+backward+Adam step, "
        f"best of {rounds} runs"
    )
    print(f"{'batch':>6} {'MLP':>8} {'LeNet-5':>8}")
    for batch in r["batches"]:
        print(f"{batch:>6} {r['mlp'][str(batch)] * 1e3:>8.2f} {r['lenet'][str(batch)] * 1e3:>8.2f}")
    for name in ("mlp", "lenet"):
        ready = r[f"{name}_ready"]
        print(
            f"{name}: {r[f'{name}_params']} parameters; when each gradient is computed and "
            f"delivered during backward (batch {r['ready_batch']}, fractions of backward time)"
        )
        for computed, delivered, nbytes, param in ready:
            print(f"   {computed:6.3f} {delivered:6.3f} {nbytes:>9d} B  {param}")
    projection_table(r)


# The networks the projection assumes: bandwidth in bytes/s, per-message latency in s.
NETWORKS = {"10 Gb/s (TCP, 20 us)": (10e9 / 8, 20e-6), "100 Gb/s (RDMA, 2 us)": (100e9 / 8, 2e-6)}


def ring_allreduce(nbytes: float, processes: int, bandwidth: float, latency: float) -> float:
    """2(P-1)/P x bytes / bandwidth + 2(P-1) x latency."""
    p = processes
    return 2 * (p - 1) / p * nbytes / bandwidth + 2 * (p - 1) * latency


def agreement(processes: int, latency: float) -> float:
    """The 8-byte stop-flag Allreduce of every step: log2(P) rounds of one message."""
    return np.ceil(np.log2(processes)) * latency


def overlapped(ready, backward, processes, bandwidth, latency) -> float:
    """Communication left after backward when gradients go out in buckets as soon as
    every gradient in the bucket is computed, one bucket after another. Layers (weight
    and bias) are grouped into consecutive buckets in the best of all possible ways:
    more buckets start sending earlier but pay the latency term once each."""
    layers: dict[float, int] = {}
    for computed, _, size, _ in ready:
        layers[computed] = layers.get(computed, 0) + size
    order = sorted(layers.items())
    best = float("inf")
    for cuts in range(2 ** (len(order) - 1)):  # a cut after layer i when bit i is set
        clock, size = 0.0, 0
        for i, (computed, nbytes) in enumerate(order):
            size += nbytes
            if i == len(order) - 1 or cuts >> i & 1:
                send = ring_allreduce(size, processes, bandwidth, latency)
                clock = max(clock, computed * backward) + send
                size = 0
        best = min(best, max(0.0, clock - backward))
    return best


def projection_table(r: dict) -> None:
    print(
        "\nprojected scaling efficiency, per-process batch b fixed (global batch P x b): "
        "compute / (compute + Allreduce + agreement); in brackets with the best buckets "
        "sent during backward (DDP-style overlap); then the batch per process where "
        "efficiency reaches 50% and 90% (compute fitted as a + b x per-sample cost)"
    )
    for name, label in (("mlp", "MLP 784-256-128-10"), ("lenet", "LeNet-5")):
        nbytes = 4 * r[f"{name}_params"]
        print(f"{label}: {r[f'{name}_params']} parameters, {nbytes / 1e6:.3f} MB of gradients")
        columns = [(net, p) for net in NETWORKS for p in (8, 64)]
        print(
            f"{'b':>5} {'compute ms':>10} "
            + " ".join(f"{f'{n[:8]} P={p}':>17}" for n, p in columns)
        )
        for batch in r["batches"]:
            compute = r[name][str(batch)]
            backward = r[name][f"backward{batch}"]
            cells = []
            for net, processes in columns:
                bandwidth, latency = NETWORKS[net]
                flags = agreement(processes, latency)
                plain = ring_allreduce(nbytes, processes, bandwidth, latency)
                hidden = overlapped(r[f"{name}_ready"], backward, processes, bandwidth, latency)
                cells.append(
                    f"{compute / (compute + plain + flags):>8.0%} "
                    f"[{compute / (compute + hidden + flags):>5.0%}]"
                )
            print(f"{batch:>5} {compute * 1e3:>10.2f} " + " ".join(f"{c:>17}" for c in cells))
        fit = np.polyfit(r["batches"], [r[name][str(b)] for b in r["batches"]], 1)
        for net in NETWORKS:
            bandwidth, latency = NETWORKS[net]
            for processes in (8, 64):
                comm = ring_allreduce(nbytes, processes, bandwidth, latency)
                comm += agreement(processes, latency)
                at = {e: (comm * e / (1 - e) - fit[1]) / fit[0] for e in (0.5, 0.9)}
                said = ", ".join(
                    f"{e:.0%} at b = {b:.0f}" if b >= 1 else f"{e:.0%} at any b"
                    for e, b in at.items()
                )
                print(f"   {net}, P={processes}: {comm * 1e3:.3f} ms per step; {said}")


def load_table(busy: int, rounds: int) -> None:
    print(
        "digits MLP 64-256-256-10, Adam, batch 128, 30 epochs (360 steps): "
        f"training s, median of {rounds} runs; for 2 processes the wait per step (ms) in "
        "the gradient Allreduce and the stop agreement, the slower process"
    )
    print(f"{'busy':>4} {'procs':>5} {'train s':>8} {'allreduce':>9} {'agree':>6}  load")
    for hogs in (0, busy):
        spinning = [
            subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
            for _ in range(hogs)
        ]
        try:
            runs = {1: [], 2: []}
            for round_ in range(rounds):
                for processes in (1, 2) if round_ % 2 == 0 else (2, 1):
                    ranks = launch(processes, None, "load")
                    runs[processes].append(max(ranks, key=lambda r: r["train"]))
            load = os.getloadavg()[0]
        finally:
            for process in spinning:
                process.kill()
                process.wait()
        for processes, found in runs.items():
            train = statistics.median(r["train"] for r in found)
            waits = (
                ""
                if processes == 1
                else "".join(
                    f" {statistics.median(r[k] for r in found) * 1e3:>{w}.2f}"
                    for k, w in (("allreduce", 9), ("agree", 6))
                )
            )
            print(f"{hogs:>4} {processes:>5} {train:>8.2f}{waits or ' ' * 17}  {load:.1f}")


def bigdata_table(folder: Path) -> None:
    usage = shutil.disk_usage(folder)
    if usage.free < 10e9:
        raise SystemExit(f"{folder}: {usage.free / 1e9:.1f} GB free, need 10 GB")
    X_path, y_path = folder / "X.npy", folder / "y.npy"
    try:
        start = time.perf_counter()
        write_big(X_path, y_path)
        print(
            f"wrote {X_path} ({X_path.stat().st_size / 1e9:.2f} GB) and {y_path} in "
            f"{time.perf_counter() - start:.0f} s"
        )
        print(
            f"{'procs':>5} {'scaler pass s':>13} {'epoch s':>8} {'samples/s':>9} "
            f"{'accuracy':>8}  peak RSS of each process (MB)"
        )
        for processes in (1, 2):
            ranks = launch(processes, 1, "bigdata", "--dir", folder)
            r = ranks[0]
            peaks = ", ".join(f"{q['peak_mb']:.0f}" for q in ranks)
            print(
                f"{processes:>5} {r['scaler']:>13.1f} {r['epoch']:>8.1f} "
                f"{r['samples'] / r['epoch']:>9.0f} {r['accuracy']:>8.3f}  {peaks}"
            )
    finally:
        X_path.unlink(missing_ok=True)
        y_path.unlink(missing_ok=True)


def write_big(X_path: Path, y_path: Path, rows: int = ROWS_4GB, chunk: int = 65536) -> None:
    """Standard-normal features written chunk by chunk (never all in memory); the class of
    a row is the arg-max of its first 10 features, so there is something to learn."""
    rng = np.random.default_rng(0)
    y = np.empty(rows, dtype=np.int64)
    with open(X_path, "wb") as f:
        header = {"descr": "<f4", "fortran_order": False, "shape": (rows, 784)}
        np.lib.format.write_array_header_1_0(f, header)
        for start in range(0, rows, chunk):
            block = rng.standard_normal((min(chunk, rows - start), 784), dtype=np.float32)
            y[start : start + len(block)] = block[:, :10].argmax(axis=1)
            f.write(block.tobytes())
    np.save(y_path, y)


# -- the workers: run in each MPI process ------------------------------------------------
def mlp_trainer(seed: int = 0):
    import descend as ds

    ds.manual_seed(seed)
    model = ds.models.MLP(MLP_SIZES)
    optimizer = ds.optim.Adam(model.parameters(), lr=1e-3)
    return model, ds.nn.CrossEntropyLoss(), optimizer


def worker_steps(batch: int, n_steps: int) -> dict:
    """The Trainer's step written out with clocks between its parts."""
    import descend as ds

    ds.distributed.init()
    parallel = ds.distributed.strategy()
    model, loss, optimizer = mlp_trainer()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch * 20, 784), dtype=np.float32)
    y = rng.integers(0, 10, len(X))
    loader = ds.data.DataLoader(ds.data.TensorDataset(X, y), batch, shuffle=True, seed=0)
    loader = parallel.start(model, loss, loader)
    parts = {"compute": [], "allreduce": [], "agree": [], "step": []}
    clock = time.perf_counter
    while len(parts["step"]) < n_steps + 10:
        for Xb, yb in loader:
            t0 = clock()
            optimizer.zero_grad()
            cost = loss(model(Xb), yb)
            cost.backward()
            t1 = clock()
            parallel.reduce(optimizer, cost.item(), len(Xb))
            t2 = clock()
            optimizer.step()
            t3 = clock()
            parallel.agree(False, False)
            t4 = clock()
            for key, value in (
                ("compute", t1 - t0 + t3 - t2),
                ("allreduce", t2 - t1),
                ("agree", t4 - t3),
                ("step", t4 - t0),
            ):
                parts[key].append(value)
    result = {k: statistics.median(v[10:]) for k, v in parts.items()}
    result["alone"] = allreduce_alone(sum(p.data.size for p in model.parameters()) + 7)
    return result


def allreduce_alone(size: int, repeats: int = 50, dtype=np.float32) -> float:
    """Median time of an in-place Allreduce of ``size`` numbers, all processes lined up."""
    import descend as ds

    comm = ds.distributed.init()
    if comm.Get_size() == 1:
        return 0.0
    from mpi4py import MPI

    buffer = np.ones(size, dtype=dtype)
    times = []
    for _ in range(repeats):
        comm.Barrier()
        start = time.perf_counter()
        comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def worker_latency() -> dict:
    size = sum(a * b + b for a, b in zip(MLP_SIZES, MLP_SIZES[1:]))
    return {
        "small": allreduce_alone(2, 200, np.float64),
        "large": allreduce_alone(size),
        "bytes": 4 * size,
    }


def worker_compute() -> dict:
    import descend as ds
    from descend.tensor import autograd

    result = {"batches": [8, 32, 128, 512], "mlp": {}, "lenet": {}}
    builders = {
        "mlp": (lambda: ds.models.MLP(MLP_SIZES), (784,)),
        "lenet": (lambda: ds.models.LeNet5(1, 10), (1, 28, 28)),
    }
    rng = np.random.default_rng(0)
    for name, (build, shape) in builders.items():
        ds.manual_seed(0)
        model = build()
        result[f"{name}_params"] = sum(p.data.size for p in model.parameters())
        loss = ds.nn.CrossEntropyLoss()
        optimizer = ds.optim.Adam(model.parameters(), lr=1e-3)
        for batch in result["batches"]:
            X = rng.standard_normal((batch, *shape), dtype=np.float32)
            y = rng.integers(0, 10, batch)
            steps, backwards = [], []
            for _ in range(25 if batch <= 128 else 10):
                start = time.perf_counter()
                optimizer.zero_grad()
                cost = loss(model(X), y)
                middle = time.perf_counter()
                cost.backward()
                backwards.append(time.perf_counter() - middle)
                optimizer.step()
                steps.append(time.perf_counter() - start)
            result[name][str(batch)] = statistics.median(steps[3:])
            result[name][f"backward{batch}"] = statistics.median(backwards[3:])
        result[f"{name}_ready"] = gradient_delivery(model, loss, shape, autograd)
    result["ready_batch"] = 128
    return result


def gradient_delivery(model, loss, shape, autograd, batch: int = 128) -> list:
    """When, as fractions of the backward pass, each parameter's gradient is computed (its
    consumer op's backward returns) and delivered (the walk reaches the leaf and stores
    ``.grad``), with its size in bytes: what a DDP-style bucketed Allreduce could start
    sending while backward goes on. Measured by wrapping the graph's backward closures
    and the engine's leaf accumulation (benchmark instrumentation only)."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((batch, *shape), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    names = {id(p): name for name, p in model.named_parameters()}
    original = autograd._accumulate
    runs = []
    for _ in range(7):
        computed, delivered = {}, {}
        model.zero_grad()
        cost = loss(model(X), y)
        for node in graph(cost):
            leaves = [id(q) for q in node._parents if id(q) in names]
            if leaves:
                node._backward = stamped(node._backward, leaves, computed)

        def accumulate(node, g, seen, delivered=delivered):
            original(node, g, seen)
            delivered[id(node)] = time.perf_counter()

        autograd._accumulate = accumulate
        try:
            start = time.perf_counter()
            cost.backward()
            length = time.perf_counter() - start
        finally:
            autograd._accumulate = original
        runs.append(
            {k: ((computed[k] - start) / length, (delivered[k] - start) / length) for k in names}
        )
    sizes = {id(p): p.data.nbytes for p in model.parameters()}
    rows = [
        (
            statistics.median(run[k][0] for run in runs),
            statistics.median(run[k][1] for run in runs),
            sizes[k],
            names[k],
        )
        for k in names
    ]
    return sorted(rows)


def graph(root) -> list:
    """Every node of the graph behind ``root`` that has a backward."""
    seen, stack, nodes = set(), [root], []
    while stack:
        node = stack.pop()
        if id(node) in seen or node._backward is None:
            continue
        seen.add(id(node))
        nodes.append(node)
        stack.extend(node._parents)
    return nodes


def stamped(backward, leaves: list, computed: dict):
    def timed(g):
        grads = backward(g)
        now = time.perf_counter()
        for leaf in leaves:
            computed[leaf] = now  # the last consumer to run completes the gradient
        return grads

    return timed


def worker_load() -> dict:
    """The CLI's digits run, with the wait inside each collective of descend summed by
    what it waits for (benchmark instrumentation: the watched wait is wrapped)."""
    from contextlib import contextmanager

    import descend as ds
    from descend import collectives

    waited: dict[str, float] = {}
    watched = collectives._bounded

    @contextmanager
    def timed(what):
        start = time.perf_counter()
        with watched(what):
            yield
        waited[what] = waited.get(what, 0.0) + time.perf_counter() - start

    collectives._bounded = timed
    ds.distributed.init()
    X, y = ds.data.load_digits()
    X_train, X_val, y_train, y_val = ds.data.train_test_split(X, y, random_state=0)
    scaler = ds.data.StandardScaler().fit(X_train)
    X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)
    ds.manual_seed(0)
    model = ds.models.MLP([64, 256, 256, 10])
    optimizer = ds.optim.Adam(model.parameters(), lr=1e-3)
    trainer = ds.Trainer(
        model, ds.nn.CrossEntropyLoss(), optimizer, metrics=["accuracy"], verbose=0,
        parallel=ds.distributed.strategy(),
    )  # fmt: skip
    history = trainer.fit(X_train, y_train, epochs=30, batch_size=128, val=(X_val, y_val))
    return {
        "train": sum(history["time"]),
        "allreduce": waited.get("sum the gradients of a batch", 0.0) / trainer.step,
        "agree": waited.get("agree on stopping", 0.0) / trainer.step,
    }


def worker_bigdata(folder: Path) -> dict:
    import descend as ds
    from descend.runs.parallel import fit_scaler

    ds.distributed.init()
    data = ds.data.load_npy(folder / "X.npy", folder / "y.npy")
    start = time.perf_counter()
    scaler = fit_scaler(data)
    scaler_time = time.perf_counter() - start
    data.transform = scaler.transform
    model, loss, optimizer = mlp_trainer()
    parallel = ds.distributed.strategy()
    trainer = ds.Trainer(model, loss, optimizer, metrics=["accuracy"], verbose=0, parallel=parallel)
    loader = ds.data.DataLoader(data, batch_size=512, shuffle=True, seed=0)
    start = time.perf_counter()
    history = trainer.fit(loader, epochs=1)
    epoch_time = time.perf_counter() - start
    status = Path("/proc/self/status").read_text()
    peak_kb = int(status.split("VmHWM:")[1].split()[0])
    return {
        "scaler": scaler_time,
        "epoch": epoch_time,
        "samples": len(data),
        "peak_mb": peak_kb / 1024,
        "loss": history["loss"][-1],
        "accuracy": history["accuracy"][-1],
    }


def worker(args) -> None:
    import descend as ds

    if args.worker == "steps":
        result = worker_steps(args.batch, args.steps)
    elif args.worker == "latency":
        result = worker_latency()
    elif args.worker == "compute":
        result = worker_compute()
    elif args.worker == "load":
        result = worker_load()
    else:
        result = worker_bigdata(Path(args.dir))
    rank = ds.distributed.rank()
    (Path(args.out) / f"rank{rank}.json").write_text(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["steps", "compute", "load", "bigdata"], action="append")
    parser.add_argument("--busy", type=int, default=8, help="busy processes for --part load")
    parser.add_argument("--dir", type=Path, default=Path("/work/bench-data"))
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--compute-json", type=Path, help="keep the compute measurements here (or reuse them)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    parts = args.part or ["steps", "compute", "load", "bigdata"]
    if "steps" in parts:
        steps_table(args.steps, args.rounds)
    if "compute" in parts:
        compute_table(args.rounds, args.compute_json)
    if "load" in parts:
        load_table(args.busy, args.rounds)
    if "bigdata" in parts:
        args.dir.mkdir(parents=True, exist_ok=True)
        bigdata_table(args.dir)


if __name__ == "__main__":
    main()
