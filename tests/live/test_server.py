"""The server is safe by default: the token, the Host check, no file from a CDN."""

import urllib.error
import urllib.request

import pytest

from descend.live import serve_playground


@pytest.fixture(scope="module")
def server():
    with serve_playground() as running:
        yield running


def _get(url: str, host: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_it_listens_on_127_0_0_1_with_a_random_token(server):
    assert server.url().startswith(f"http://127.0.0.1:{server.port}/playground?token=")
    assert len(server.token) >= 32
    with serve_playground() as other:
        assert other.token != server.token


def test_the_page_with_the_token_comes_with_bokehs_own_script_from_this_server(server):
    status, page = _get(server.url())
    assert status == 200
    assert 'src="/static/js/bokeh.min.js?' in page  # served by this server: works offline
    assert "cdn." not in page and "http://" not in page and "https://" not in page
    script = page.split('src="', 2)[1].split('"')[0]
    status, code = _get(f"http://127.0.0.1:{server.port}{script}")
    assert status == 200 and len(code) > 100_000


@pytest.mark.parametrize("query", ["", "?token=wrong", "?token=", "?token=%C3%A9t%C3%A9"])
def test_a_request_without_the_right_token_is_refused(server, query):
    status, body = _get(f"http://127.0.0.1:{server.port}/playground{query}")
    assert status == 403
    assert "token" in body and "bokeh" not in body.lower()


def test_another_host_is_refused_even_with_the_token(server):
    # DNS rebinding: evil.example resolving to 127.0.0.1 sends its own name as Host.
    status, _ = _get(server.url(), host=f"evil.example:{server.port}")
    assert status == 403
    assert _get(server.url(), host=f"localhost:{server.port}")[0] == 200


def test_a_websocket_from_another_origin_is_refused(server):
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.ioloop import IOLoop
    from tornado.websocket import websocket_connect

    url = f"ws://127.0.0.1:{server.port}/playground/ws?token={server.token}"

    async def connect(origin):
        request = HTTPRequest(url, headers={"Origin": origin})
        try:
            connection = await websocket_connect(request)
        except HTTPClientError as error:
            return error.code
        connection.close()
        return 101

    assert IOLoop.current().run_sync(lambda: connect("http://evil.example")) == 403


def test_only_pages_it_serves_answer(server):
    status, _ = _get(f"http://127.0.0.1:{server.port}/../../etc/passwd?token={server.token}")
    assert status == 404


def test_opened_to_the_network_it_still_needs_the_token():
    with serve_playground(host="0.0.0.0") as wide:
        assert _get(f"http://127.0.0.1:{wide.port}/playground")[0] == 403
        assert _get(wide.url(), host=f"some-machine:{wide.port}")[0] == 200
