"""``descend view``: a run folder in the browser, followed as it grows."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from descend.cli.common import UsageError

NAME = "view"
HELP = "see a run in the browser, live while it trains (descend[live])"
DESCRIPTION = (
    "Serve the page of a run folder on this machine: the loss of every update under the "
    "epochs' train and validation loss, the metrics, the learning rate, per-layer gradient "
    "norms and update-to-weight ratios with vanishing / exploding gradients flagged, the "
    "diagnosis and the progress. A run still training in another process is followed as its "
    "folder grows (its checkpoint is written after every epoch). The page is served on "
    "127.0.0.1 with a random token in its address; only that run folder's data is shown. "
    "Ctrl-C ends it. Needs the extra descend[live]."
)
EXAMPLES = """\
examples:
  descend view runs/digits-mlp                   prints the address to open
  descend train --out runs/a & descend view runs/a   follow a run while it trains
  descend view runs/a --host 0.0.0.0 --port 8765     open to other machines (token still needed)
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="the run folder")
    add_server_options(parser)


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only); another opens "
        "the page to other machines, still behind the token",
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")


def run(args: argparse.Namespace) -> int:
    from descend import live

    check_server_options(args)
    from descend.live.feed import FolderFeed

    feed = FolderFeed(args.run_dir)  # a ValueError naming the folder when it holds no run
    return serve(lambda: live.serve_run(feed, args.host, args.port), f"run {args.run_dir}")


def check_server_options(args: argparse.Namespace) -> None:
    from descend import live

    try:
        live.check_installed()
    except ImportError as missing:
        raise UsageError(str(missing)) from None
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be from 0 to 65535 (0: a free port), got {args.port}")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"warning: --host {args.host} opens the page to other machines; anyone who has "
            "its address with the token can see it",
            file=sys.stderr,
        )


def serve(start, what: str) -> int:
    """Start the server, print its address, serve until Ctrl-C."""
    try:
        server = start()
    except OSError as error:
        raise UsageError(f"cannot serve the page: {error.strerror or error}") from None
    print(f"{what}: open {server.url()}  (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
