"""`DemoSite`: the shop on a stdlib threading HTTP server, in a background thread.

Each connection gets a daemon thread. `stop()` sets `SiteState.stopping` (so streaming
handlers end), stops accepting, closes the listening socket and shuts down every open
connection, so it returns promptly even while a request hangs.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import timedelta
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .messages import Handler, Request, Response, SiteState
from .pages import not_found
from .router import Router
from .routes import build_routes

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20
"""Largest request body read, in bytes; the demo only receives small forms."""


class DemoSite:
    """The demo shop (plus any `extra_routes`) served on `host:port`; port 0 picks a free one."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        extra_routes: Mapping[str, Handler] | None = None,
        latency: timedelta = timedelta(0),
    ) -> None:
        self.host = host
        self.port = port
        self.latency = latency
        self.routes: dict[str, Handler] = {**build_routes(), **(extra_routes or {})}
        self.state = SiteState()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """`http://host:port`, without a trailing slash; only while started."""
        if self._server is None:
            raise RuntimeError("the demo site is not started")
        host, port = self._server.server_name, self._server.server_port
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def start(self) -> str:
        """Start serving in a background thread and return the base URL."""
        with self._lock:
            if self._server is not None:
                raise RuntimeError("the demo site is already started")
            self.state.stopping.clear()
            server = _Server((self.host, self.port), Router(self.routes), self.state, self.latency)
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"demo-site:{server.server_port}",
                daemon=True,
            )
            self._server, self._thread = server, thread
            thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving, end hanging requests and release the port; does nothing if stopped."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        self.state.stopping.set()
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Serve until Ctrl-C or `stop()` from another thread; starts the site if needed."""
        if self._server is None:
            self.start()
        try:
            self.state.stopping.wait()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> DemoSite:
        """Start the site unless it already is (so `with start_site() as site:` works)."""
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # browsers open several connections at once

    def __init__(
        self, address: tuple[str, int], router: Router, state: SiteState, latency: timedelta
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.router = router
        self.state = state
        self.latency = latency.total_seconds()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def server_bind(self) -> None:
        # Not HTTPServer.server_bind: it resolves the host's FQDN, which can stall on a bad
        # resolver, and the name is only used for logging.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def track(self, conn: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("demo site connection from %s failed", client_address, exc_info=True)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections give their thread back after this

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, open_=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: no access log

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        try:
            request = self._request()
            if self.server.latency and self.server.state.stopping.wait(self.server.latency):
                self.close_connection = True
                return
            self._send(self._respond(request), head=self.command == "HEAD")
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True  # the client went away

    def _request(self) -> Request:
        url = urlsplit(self.path)
        raw_length = self.headers.get("Content-Length", "0").strip()
        length = int(raw_length) if raw_length.isdigit() else 0
        body = self.rfile.read(min(length, MAX_BODY)) if length > 0 else b""
        if length > MAX_BODY:
            self.close_connection = True
        form: dict[str, str] = {}
        if self.headers.get_content_type() == "application/x-www-form-urlencoded":
            form = _first(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return Request(
            method="GET" if self.command == "HEAD" else self.command,
            path=unquote(url.path) or "/",
            query=_first(parse_qsl(url.query, keep_blank_values=True)),
            form=form,
            cookies=_cookies(self.headers.get_all("Cookie") or []),
            headers={k.lower(): v for k, v in self.headers.items()},
            site=self.server.state,
        )

    def _respond(self, request: Request) -> Response:
        found = self.server.router.match(request.path)
        if found is None:
            return not_found(request)
        handler, params = found
        try:
            return handler(replace(request, params=params))
        except Exception:
            log.exception("demo site handler for %s failed", request.path)
            return Response.text("Internal server error", 500)

    def _send(self, response: Response, *, head: bool) -> None:
        body = response.body.encode() if isinstance(response.body, str) else response.body
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        if isinstance(body, bytes):
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
            return
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            if not head:
                for chunk in body:
                    self.wfile.write(chunk)
                    self.wfile.flush()
        finally:
            _close(body)


def _first(pairs: list[tuple[str, str]]) -> dict[str, str]:
    result: dict[str, str] = {}
    for key, value in pairs:
        result.setdefault(key, value)
    return result


def _cookies(headers: list[str]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for header in headers:
        try:
            jar.load(header)
        except CookieError:
            continue
    return {name: morsel.value for name, morsel in jar.items()}


def _close(body: Iterable[bytes]) -> None:
    close = getattr(body, "close", None)
    if callable(close):
        close()
