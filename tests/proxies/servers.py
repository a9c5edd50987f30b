"""Small servers on 127.0.0.1 for proxy tests: forwarding HTTP proxies that misbehave on purpose,
and a target that records which proxy each request came through.

```
async with LoopbackProxy("auth", credentials=("user", "pw")) as proxy, EchoTarget() as target:
    ...  # proxy.url, proxy.seen, target.seen
```
A proxy forwards absolute-form requests (`GET http://host/path`) and tunnels CONNECT, one
request per connection, adding `X-Trawler-Proxy: <name>` to what it forwards. Modes:
`forward`; `deny` answers `status` (403) to everything; `drop` closes the connection unanswered.
`SocksProxy` speaks SOCKS5 (RFC 1928, with RFC 1929 user name and password) in the same modes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Self
from urllib.parse import quote, urlsplit

PROXY_HEADER = "x-trawler-proxy"
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "upgrade"}
)


@dataclass(frozen=True)
class Seen:
    """One request a server received; `answer` is the status sent back, 0 when none was."""

    method: str
    target: str
    headers: dict[str, str]
    answer: int


@dataclass
class _Head:
    method: str
    target: str
    headers: dict[str, str]
    raw_headers: list[tuple[str, str]] = field(default_factory=list)


async def _read_head(reader: asyncio.StreamReader) -> _Head | None:
    try:
        data = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = data.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    raw = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if line]
    pairs = [(name, value) for name, value in raw]
    return _Head(method, target, {n.lower(): v for n, v in pairs}, pairs)


def _response(status: int, reason: str, body: bytes = b"", headers: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status} {reason}\r\n{headers}Content-Length: {len(body)}\r\n"
        "Content-Type: text/plain\r\nConnection: close\r\n\r\n"
    ).encode() + body


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


class _Server:
    """Starts on a free port, tracks its connections and closes them all on exit."""

    def __init__(self) -> None:
        self.port = 0
        self.seen: list[Seen] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            await self._handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


class LoopbackProxy(_Server):
    """A forwarding HTTP proxy for tests; `seen` lists every request with its answer."""

    def __init__(
        self,
        name: str,
        *,
        mode: Literal["forward", "deny", "drop"] = "forward",
        status: int = 403,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        self.mode = mode
        self.status = status
        self.credentials = credentials

    @property
    def server(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The proxy URL, with its credentials if it has any."""
        if self.credentials is None:
            return self.server
        user, password = (quote(part, safe="") for part in self.credentials)
        return f"http://{user}:{password}@127.0.0.1:{self.port}"

    @property
    def served(self) -> list[Seen]:
        """The requests passed on to their target."""
        return [seen for seen in self.seen if seen.answer not in (0, 407, self._denied)]

    @property
    def _denied(self) -> int:
        return self.status if self.mode == "deny" else -1

    def _authorized(self, headers: dict[str, str]) -> bool:
        if self.credentials is None:
            return True
        token = base64.b64encode(":".join(self.credentials).encode()).decode()
        return headers.get("proxy-authorization", "") == f"Basic {token}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await _read_head(reader)
        if head is None:
            return

        def record(answer: int) -> None:
            self.seen.append(Seen(head.method, head.target, head.headers, answer))

        if self.mode == "drop":
            record(0)
            return
        if not self._authorized(head.headers):
            record(407)
            writer.write(
                _response(
                    407,
                    "Proxy Authentication Required",
                    b"proxy credentials needed",
                    'Proxy-Authenticate: Basic realm="trawler-test"\r\n',
                )
            )
            await writer.drain()
            return
        if self.mode == "deny":
            record(self.status)
            writer.write(_response(self.status, "Denied", b"denied by the proxy"))
            await writer.drain()
            return
        if head.method == "CONNECT":
            await self._tunnel(head, reader, writer, record)
        else:
            await self._forward(head, reader, writer, record)

    async def _tunnel(
        self,
        head: _Head,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        record: Callable[[int], None],
    ) -> None:
        host, _, port = head.target.rpartition(":")
        try:
            up_reader, up_writer = await asyncio.open_connection(host.strip("[]"), int(port))
        except OSError:
            record(502)
            writer.write(_response(502, "Bad Gateway"))
            return
        record(200)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    async def _forward(
        self,
        head: _Head,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        record: Callable[[int], None],
    ) -> None:
        url = urlsplit(head.target)
        if url.scheme != "http" or not url.hostname:
            record(400)
            writer.write(_response(400, "Bad Request", b"absolute http:// URLs only"))
            return
        length = int(head.headers.get("content-length", "0") or 0)
        body = await reader.readexactly(length) if length else b""
        try:
            up_reader, up_writer = await asyncio.open_connection(url.hostname, url.port or 80)
        except OSError:
            record(502)
            writer.write(_response(502, "Bad Gateway"))
            return
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        lines = [f"{head.method} {path} HTTP/1.1"]
        lines += [f"{n}: {v}" for n, v in head.raw_headers if n.lower() not in HOP_BY_HOP]
        lines += [f"X-Trawler-Proxy: {self.name}", "Connection: close", "", ""]
        try:
            up_writer.write("\r\n".join(lines).encode("latin-1") + body)
            await up_writer.drain()
            status_line = await up_reader.readline()
            record(int(status_line.split()[1]))
            writer.write(status_line)
            await _pipe(up_reader, writer)
        finally:
            up_writer.close()


class EchoTarget(_Server):
    """A site that answers every path with 200 and a body naming the proxy it came through.

    `/challenge` answers a captcha page with status 200.
    """

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def via(self, path: str) -> list[str]:
        """The proxies that requests for `path` came through ("direct" for none)."""
        return [
            seen.headers.get(PROXY_HEADER, "direct") for seen in self.seen if seen.target == path
        ]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await _read_head(reader)
        if head is None:
            return
        self.seen.append(Seen(head.method, head.target, head.headers, 200))
        via = head.headers.get(PROXY_HEADER, "direct")
        if head.target == "/challenge":
            text = "<h1>Are you a robot?</h1><div class='g-recaptcha'></div>"
        else:
            text = f"<title>{head.target}</title><p>served via {via}</p>"
        body = text.encode()
        writer.write(
            f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()


SOCKS_ANSWERS = {200: 0x00, 403: 0x02, 502: 0x05}
"""The SOCKS5 reply code for each outcome `SocksProxy.seen` records as an HTTP-like status."""


class SocksProxy(_Server):
    """A SOCKS5 proxy for tests: CONNECT only, to an IPv4, IPv6 or name destination.

    `seen` records each request as `Seen("CONNECT", "host:port", {"address": kind}, answer)`
    (kind `ipv4`, `ipv6` or `name`) with an HTTP-like answer: 200 tunnelled, 407 credentials
    refused, 403 denied (`deny`), 502 destination unreachable, 0 dropped (`drop`).
    """

    def __init__(
        self,
        *,
        mode: Literal["forward", "deny", "drop"] = "forward",
        credentials: tuple[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.mode = mode
        self.credentials = credentials

    @property
    def server(self) -> str:
        return f"socks5://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        if self.credentials is None:
            return self.server
        user, password = (quote(part, safe="") for part in self.credentials)
        return f"socks5://{user}:{password}@127.0.0.1:{self.port}"

    @property
    def served(self) -> list[Seen]:
        return [seen for seen in self.seen if seen.answer == 200]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        if version != 5:
            return
        if self.mode == "drop":
            self.seen.append(Seen("CONNECT", "", {}, 0))
            return
        if not await self._authenticate(methods, reader, writer):
            self.seen.append(Seen("CONNECT", "", {}, 407))
            return
        _, command, _, kind = await reader.readexactly(4)
        if kind == 1:
            host, shape = str(ipaddress.IPv4Address(await reader.readexactly(4))), "ipv4"
        elif kind == 4:
            host, shape = str(ipaddress.IPv6Address(await reader.readexactly(16))), "ipv6"
        else:
            size = (await reader.readexactly(1))[0]
            host, shape = (await reader.readexactly(size)).decode(), "name"
        port = int.from_bytes(await reader.readexactly(2), "big")
        target = f"[{host}]:{port}" if shape == "ipv6" else f"{host}:{port}"

        async def answer(status: int) -> None:
            self.seen.append(Seen("CONNECT", target, {"address": shape}, status))
            writer.write(bytes([5, SOCKS_ANSWERS[status], 0, 1, 0, 0, 0, 0, 0, 0]))
            await writer.drain()

        if self.mode == "deny" or command != 1:
            await answer(403)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError:
            await answer(502)
            return
        await answer(200)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    async def _authenticate(
        self, methods: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        if self.credentials is None:
            writer.write(b"\x05\x00" if 0 in methods else b"\x05\xff")
            await writer.drain()
            return 0 in methods
        if 2 not in methods:
            writer.write(b"\x05\xff")
            await writer.drain()
            return False
        writer.write(b"\x05\x02")
        await writer.drain()
        _, size = await reader.readexactly(2)
        user = (await reader.readexactly(size)).decode()
        size = (await reader.readexactly(1))[0]
        password = (await reader.readexactly(size)).decode()
        granted = (user, password) == self.credentials
        writer.write(b"\x01\x00" if granted else b"\x01\x01")
        await writer.drain()
        return granted
