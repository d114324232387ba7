"""The browser view: a run as it trains, and the playground, served locally by Bokeh.

It computes nothing the library does not already: a run's page shows its History (the
data of ``history.json``), the playground's paths are :mod:`descend.landscape` runs of
descend's own optimizers. Bokeh is an optional extra (``descend[live]``)
and is imported only when a page is served.

- :func:`serve_run`: the page of a run, fed by a :class:`~descend.live.feed.Feed`
  (a training in this process: :class:`descend.callbacks.LiveView`; a run folder,
  still training or done: :class:`~descend.live.feed.FolderFeed`);
- :func:`serve_playground`: the loss landscape with controls.
"""

from __future__ import annotations


def check_installed() -> None:
    """An ImportError naming the extra when Bokeh is missing."""
    try:
        import bokeh  # noqa: F401
    except ImportError:
        from descend.extras import install_command

        raise ImportError(f"the live view needs Bokeh: {install_command('live')}") from None


def serve_run(feed, host: str = "127.0.0.1", port: int = 0):
    """Serve the page of the run ``feed`` follows; returns the running LiveServer."""
    check_installed()
    from descend.live.run_page import make_run_page
    from descend.live.server import LiveServer

    return LiveServer({"run": make_run_page(feed)}, host, port)


def serve_playground(host: str = "127.0.0.1", port: int = 0):
    """Serve the playground; returns the running LiveServer."""
    check_installed()
    from descend.live.playground_page import make_playground_page
    from descend.live.server import LiveServer

    return LiveServer({"playground": make_playground_page}, host, port)
