"""``descend playground``: the loss landscape in the browser, with controls to steer the descent."""

from __future__ import annotations

import argparse

from descend.cli.view import add_server_options, check_server_options, serve

NAME = "playground"
HELP = "steer gradient descent on a loss landscape in the browser (descend[live])"
DESCRIPTION = (
    "Serve a page on this machine with a two-weight loss landscape (linear, logistic, "
    "local-minimum, rosenbrock, himmelblau) and controls: the optimizer and its learning "
    "rate, momentum and betas, the strategy (batch, mini-batch with its size, stochastic) "
    "and the number of steps; a click on the contour sets the start. Each path is computed "
    "by descend's own optimizers on the server, with the downhill direction at each step; "
    "kept runs are overlaid and a table gives each run's final cost and the minimum it "
    "reached. Served on 127.0.0.1 with a random token in its address; Ctrl-C ends it. "
    "Needs the extra descend[live]."
)
EXAMPLES = """\
examples:
  descend playground                         prints the address to open
  descend playground --port 8765
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_options(parser)


def run(args: argparse.Namespace) -> int:
    from descend import live

    check_server_options(args)
    return serve(lambda: live.serve_playground(args.host, args.port), "playground")
