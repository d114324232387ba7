"""The local server: Bokeh's, in a thread of its own, behind a token as Jupyter's is.

Safe by default: it listens on 127.0.0.1 only, on a free port; every page and the
websocket need the random token of the URL it prints (kept afterwards in a cookie for
this port alone); a request whose ``Host`` is not this server's is refused, and so is a
websocket from another origin (the defences against DNS rebinding). ``host`` opens it
to other machines only when asked (the CLI warns).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import socket
import threading
from collections.abc import Callable

from bokeh.application import Application
from bokeh.application.handlers.function import FunctionHandler
from bokeh.server.auth_provider import AuthProvider
from bokeh.server.server import Server
from tornado.ioloop import IOLoop
from tornado.web import HTTPError
from tornado.websocket import WebSocketHandler

WILDCARDS = ("0.0.0.0", "::", "")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class LiveServer:
    """Serve Bokeh documents, one per page name, until :meth:`stop`.

    Parameters
    ----------
    pages : dict of str to callable
        ``{"run": make}``: ``make(doc)`` fills a new Bokeh document for each browser tab
        opening ``/run``.
    host : str
        The address to listen on: 127.0.0.1 (only this machine) unless asked.
    port : int
        0: a free port.
    """

    def __init__(self, pages: dict[str, Callable], host: str = "127.0.0.1", port: int = 0):
        if not pages:
            raise ValueError("a LiveServer needs at least one page")
        self.pages, self.host = dict(pages), host
        self.port = port or _free_port(host)
        self.token = secrets.token_urlsafe(24)
        self._cookie = f"descend-live-{self.port}"
        self._loop = None
        self._server = None
        failed: list[BaseException] = []
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(ready, failed), name="descend-live", daemon=True
        )
        self._thread.start()
        ready.wait()
        if failed:
            raise failed[0]

    def url(self, page: str | None = None) -> str:
        """The address of ``page`` (the first by default), with the token."""
        page = page or next(iter(self.pages))
        shown = "127.0.0.1" if self.host in WILDCARDS else self.host
        shown = f"[{shown}]" if ":" in shown else shown
        return f"http://{shown}:{self.port}/{page}?token={self.token}"

    def stop(self) -> None:
        """Close every connection and end the server's thread."""
        if self._loop is None:
            return
        loop = self._loop
        loop.call_soon_threadsafe(self._shutdown)
        self._thread.join(timeout=5)
        self._loop = None

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the server's thread ---------------------------------------------------------
    def _serve(self, ready: threading.Event, failed: list) -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        # A refused request is the defence working, not an error to print in the terminal.
        logging.getLogger("tornado.access").setLevel(logging.ERROR)
        logging.getLogger("bokeh.server.views.ws").setLevel(logging.ERROR)
        logging.getLogger("bokeh.server.util").setLevel(logging.ERROR)  # the CLI warns
        try:
            apps = {
                f"/{name}": Application(FunctionHandler(make)) for name, make in self.pages.items()
            }
            origins = (
                ["*"]
                if self.host in WILDCARDS
                else [f"{name}:{self.port}" for name in {*LOOPBACK[:2], self.host}]
            )
            self._server = Server(
                apps,
                io_loop=IOLoop.current(),
                address=self.host,
                port=self.port,
                allow_websocket_origin=origins,
                auth_provider=_TokenAuth(self._user),
                use_index=False,
                redirect_root=False,
            )
            self._server.start()
        except BaseException as error:  # noqa: BLE001 - handed to the thread that waits
            failed.append(error)
            ready.set()
            return
        loop = self._loop = asyncio.get_event_loop()
        ready.set()
        loop.run_forever()
        loop.close()

    def _shutdown(self) -> None:
        self._server.stop(wait=False)
        asyncio.get_event_loop().stop()

    def _user(self, handler) -> str | None:
        """Who asks: the viewer when the Host is this server and the token is right."""
        if not self._host_allowed(handler.request.host):
            return None
        given = handler.get_query_argument("token", None)
        if given is not None and self._is_token(given):
            if not isinstance(handler, WebSocketHandler):  # the page: keep it for the socket
                handler.set_cookie(self._cookie, self.token, httponly=True, samesite="Strict")
            return "viewer"
        kept = handler.get_cookie(self._cookie)
        if kept is not None and self._is_token(kept):
            return "viewer"
        return None

    def _is_token(self, text: str) -> bool:
        # As bytes: compare_digest refuses str with characters beyond ASCII.
        return hmac.compare_digest(text.encode("utf-8", "replace"), self.token.encode())

    def _host_allowed(self, host: str) -> bool:
        if self.host in WILDCARDS:  # open to the network on request: the token guards it
            return True
        name, _, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
        return port == str(self.port) and name.strip("[]") in {*LOOPBACK, self.host}


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class _TokenAuth(AuthProvider):
    """Bokeh's hook for users: the viewer with the token, or a 403 that says why."""

    def __init__(self, get_user: Callable):
        self._get_user = get_user
        super().__init__()

    @property
    def get_user(self):
        return self._get_user

    @property
    def get_login_url(self):
        return _refuse


def _refuse(handler):
    raise HTTPError(403, reason="Forbidden: open the address descend printed, with its token")
