"""What the live view costs: training watched in the browser, the page's delay, a playground path.

1. Overhead: one epoch of an MLP 784-256-128-10 at batch 128 trained as ``descend train``
   trains it (with a GradientMonitor), without and with a LiveView whose page is open in
   headless Chromium; the two take turns in one process, rotating which goes first (as
   benchmarks/monitor.py does); the median seconds per epoch and the per-round ratios
   (median and quartiles, wall and CPU time of this process).
2. Delay: from an update's end in training to the page holding its loss (a listener on
   the page's source notes when each batch of data arrives), median and worst.
3. Playground: a 200-step path (descend's optimizer, the landscape's outcome, the
   gradients for the arrows), median milliseconds per problem.

    flock /tmp/bench.lock python benchmarks/live.py [--rounds 11] [--samples 60000]

Needs descend[live] and Debian's chromium and chromium-driver.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np
from monitor import SIZES, epoch_seconds, quartiles  # benchmarks/monitor.py, beside this file

import descend as ds
from descend.train import GradientMonitor, LiveView

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
]
LISTEN = """
const source = Bokeh.documents[0].get_model_by_name('steps');
window.arrivals = [];
source.change.connect(() => window.arrivals.push([Date.now(), source.data.loss.length]));
source.streaming.connect(() => window.arrivals.push([Date.now(), source.data.loss.length]));
"""


def browser(profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class _Stamps(ds.callbacks.Callback):
    def reset(self):
        self.times = []

    def on_batch_end(self, step, logs):
        self.times.append(time.time())


def overhead(X, y, rounds: int, live: LiveView) -> None:
    unwatched = LiveView(announce=False)
    configs = {
        "GradientMonitor": lambda: [GradientMonitor(print_warnings=False)],
        "GradientMonitor + LiveView (no page open)": lambda: [
            GradientMonitor(print_warnings=False),
            unwatched,
        ],
        "GradientMonitor + LiveView (watched)": lambda: [
            GradientMonitor(print_warnings=False),
            live,
        ],
    }
    epoch_seconds(X[:2048], y[:2048], [])
    times = {name: [] for name in configs}
    names = list(configs)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            times[name].append(epoch_seconds(X, y, configs[name]()))
    print(f"1. MLP {'-'.join(map(str, SIZES))}, batch 128, {len(X)} samples, {rounds} rounds")
    base = times[names[0]]
    for name, values in times.items():
        wall = quartiles([v[0] / b[0] for v, b in zip(values, base)])
        cpu = quartiles([v[1] / b[1] for v, b in zip(values, base)])
        median = statistics.median(v[0] for v in values)
        print(f"  {name:42s} median {median:6.3f} s/epoch; ratio wall {wall}, CPU {cpu}")

    unwatched.stop()


def delay(X, y, driver, live: LiveView) -> None:
    stamps = _Stamps()
    driver.execute_script(LISTEN)
    epoch_seconds(X, y, [GradientMonitor(print_warnings=False), live, stamps])
    time.sleep(1.0)
    arrivals = driver.execute_script("return window.arrivals")
    seen = np.array([a[1] for a in arrivals])
    at = np.array([a[0] / 1000 for a in arrivals])
    delays = []
    for k, done in enumerate(stamps.times, start=1):
        first = np.argmax(seen >= k) if (seen >= k).any() else None
        if first is not None:
            delays.append(at[first] - done)
    print(
        f"2. update to page: median {statistics.median(delays) * 1e3:.0f} ms, worst "
        f"{max(delays) * 1e3:.0f} ms over {len(delays)} updates "
        f"({len(arrivals)} arrivals for {len(stamps.times)} updates)"
    )


def playground() -> None:
    from descend.live.playground import Settings, board, path

    print("3. a 200-step playground path (median of 15):")
    for problem, optimizer in [
        ("linear", "sgd"),
        ("logistic", "adam"),
        ("local-minimum", "momentum"),
        ("rosenbrock", "adam"),
        ("himmelblau", "rmsprop"),
    ]:
        board(problem)
        settings = Settings(problem=problem, optimizer=optimizer, lr=0.01, steps=200)
        times = []
        for _ in range(15):
            start = time.perf_counter()
            path(settings)
            times.append(time.perf_counter() - start)
        print(f"  {problem:14s} {optimizer:9s} {statistics.median(times) * 1e3:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--only", choices=("overhead", "delay", "playground"))
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.samples, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], args.samples)
    if args.only in (None, "playground"):
        playground()
    if args.only == "playground":
        return
    live = LiveView(announce=False, name="benchmark")
    with tempfile.TemporaryDirectory() as profile:
        driver = browser(profile)
        try:
            driver.get(live.url)
            while not driver.execute_script("return Bokeh.documents.length > 0"):
                time.sleep(0.05)
            if args.only in (None, "delay"):
                delay(X[:12800], y[:12800], driver, live)
            if args.only in (None, "overhead"):
                overhead(X, y, args.rounds, live)
        finally:
            driver.quit()
            live.stop()


if __name__ == "__main__":
    main()
