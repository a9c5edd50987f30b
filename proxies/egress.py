"""`EgressProxy`: the local forward proxy that browser traffic leaves through.

Every request names its session with Proxy-Authorization basic credentials (407 otherwise).
Its host is resolved once, every answer is checked against the network policy, and the
connection goes to exactly a checked address: directly, or through the upstream proxy the
session picks for that host (an HTTP or SOCKS5 CONNECT to the address, never to the name). A
refused request gets 403 and is reported; nothing reaches a refused address, and no upstream
is contacted. An account's upstream (not `trusted`) passes the same check: it is reached only
at a checked address of its host, and a refused or failing one gets 502 with one message,
whatever it answered.

HTTPS and WebSocket traffic arrive as CONNECT tunnels; plain HTTP as absolute-URI requests,
forwarded one per client connection (`Connection: close` both ways), so a kept-alive client
connection can never carry a second request to a host that was not checked.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import logging
import secrets
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from types import TracebackType
from typing import NamedTuple, Protocol
from urllib.parse import urlsplit

from proxies._proxy import PlaywrightProxy, Proxy
from proxies._resolve import Resolver, reply_status, resolve_checked, system_resolver
from proxies._upstream import failure, open_tunnel, proxy_hosts, refused
from proxies.errors import NetworkRefused, ProxiesError
from proxies.netpolicy import IPAddress, NetworkPolicy, Refusal

log = logging.getLogger(__name__)

MAX_HEAD = 64 * 1024
"""Largest request or response head read, in bytes."""
CHUNK = 64 * 1024
REALM = "trawler egress"
LOOPBACK_BYPASS = "<-loopback>"
"""Chromium's bypass rule that sends loopback targets through the proxy too (it skips them
otherwise, and the policy could not see them)."""

RefusalCallback = Callable[[str | None, str, Refusal], None]
"""`(session id, URL or host:port, refusal)`, called for every refused request."""


class EgressSession(Protocol):
    """One execution's traffic: picks its upstream proxy and hears about refusals."""

    @property
    def id(self) -> str | None:
        """The execution id reported with refusals."""
        ...

    def upstream(self, host: str) -> Proxy | None:
        """The upstream proxy for a request to `host`; None: direct."""
        ...

    def refused(self, target: str, refusal: Refusal) -> None:
        """A request of this session to `target` was refused."""
        ...

    def failed(
        self, target: str, message: str, upstream: Proxy | None, refusal: Refusal | None = None
    ) -> None:
        """A request of this session to `target` could not be sent: its name did not
        resolve, nothing answered, or `upstream` (the proxy it chose) failed; `refusal` when
        the network policy refused that proxy's host."""
        ...


class Credentials(NamedTuple):
    """The proxy credentials that identify one registered session."""

    username: str
    password: str


class _Answer(Exception):
    """Answer the client with this status and close the connection."""

    def __init__(
        self, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers

    def encode(self) -> bytes:
        body = f"trawler egress proxy: {self}\n".encode()
        lines = [
            f"HTTP/1.1 {self.status} {HTTPStatus(self.status).phrase}",
            "Content-Type: text/plain; charset=utf-8",
            f"Content-Length: {len(body)}",
            "Connection: close",
            *(f"{name}: {value}" for name, value in self.headers),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass(frozen=True, slots=True)
class _Request:
    method: str
    target: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name), None)

    def tokens(self, name: str) -> set[str]:
        values = [v for k, v in self.headers if k.lower() == name]
        return {t.strip().lower() for v in values for t in v.split(",") if t.strip()}


class EgressProxy:
    """A forward proxy on 127.0.0.1 (a free port) that enforces the network policy.

    `async with EgressProxy(policy) as egress:` starts and stops it; `register(session)`
    gives the credentials a browser context uses (`playwright_proxy(credentials)`).
    """

    def __init__(
        self,
        policy: NetworkPolicy,
        *,
        on_refused: RefusalCallback | None = None,
        resolver: Resolver | None = None,
        connect_timeout: timedelta = timedelta(seconds=30),
        host: str = "127.0.0.1",
    ) -> None:
        self.policy = policy
        self._on_refused = on_refused
        self._resolver = resolver or system_resolver
        self._timeout = connect_timeout.total_seconds()
        self._host = host
        self._sessions: dict[str, tuple[str, EgressSession]] = {}
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`; only while started."""
        if self._port is None:
            raise RuntimeError("the egress proxy is not started")
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        """Listen on a free port."""
        if self._server is not None:
            raise RuntimeError("the egress proxy is already started")
        self._server = await asyncio.start_server(self._serve, self._host, 0, limit=MAX_HEAD)
        self._port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening and end every open connection; does nothing if stopped."""
        server, self._server, self._port = self._server, None, None
        if server is None:
            return
        server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    async def __aenter__(self) -> EgressProxy:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def register(self, session: EgressSession) -> Credentials:
        """New credentials whose requests belong to `session`."""
        credentials = Credentials("s" + secrets.token_hex(8), secrets.token_urlsafe(24))
        self._sessions[credentials.username] = (credentials.password, session)
        return credentials

    def unregister(self, session: EgressSession) -> None:
        """Forget every credential of `session`; its new requests get 407."""
        for name in [n for n, (_, s) in self._sessions.items() if s is session]:
            del self._sessions[name]

    @contextmanager
    def registered(self, session: EgressSession) -> Iterator[Credentials]:
        """`register(session)` for the duration of a `with` block."""
        try:
            yield self.register(session)
        finally:
            self.unregister(session)

    def playwright_proxy(self, credentials: Credentials) -> PlaywrightProxy:
        """The `proxy=` of a Playwright context whose traffic goes through this proxy."""
        return PlaywrightProxy(
            server=self.url,
            username=credentials.username,
            password=credentials.password,
            bypass=LOOPBACK_BYPASS,
        )

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except _Answer as answer:
            with suppress(OSError):
                writer.write(answer.encode())
                await writer.drain()
        except OSError:
            pass  # a side went away
        except Exception:
            log.exception("egress proxy connection failed")
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with suppress(Exception):
                await writer.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await _read_head(reader)
        except ValueError as exc:
            raise _Answer(400, str(exc)) from exc
        if head is None:
            return
        request = _parse_request(head)
        session = self._authenticate(request)
        if request.method == "CONNECT":
            host, port = _split_target(request.target)
            server_reader, server_writer = await self._open(session, host, port, request.target)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await _splice(reader, writer, server_reader, server_writer, rewrite=False)
            return
        parts = urlsplit(request.target)
        if parts.scheme.lower() not in ("http", "ws") or not parts.hostname:
            raise _Answer(400, f"expected an absolute http:// URL, got {request.target[:200]!r}")
        try:
            port = parts.port or 80
        except ValueError as exc:
            raise _Answer(400, f"bad port in {request.target[:200]!r}") from exc
        server_reader, server_writer = await self._open(
            session, parts.hostname, port, request.target
        )
        upgrade = "upgrade" in request.tokens("connection") and bool(request.header("upgrade"))
        server_writer.write(_origin_request(request, parts.netloc, upgrade=upgrade))
        await _splice(reader, writer, server_reader, server_writer, rewrite=not upgrade)

    def _authenticate(self, request: _Request) -> EgressSession:
        value = request.header("proxy-authorization") or ""
        scheme, _, token = value.partition(" ")
        if scheme.lower() == "basic":
            try:
                username, _, password = base64.b64decode(token.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                username = password = ""
            entry = self._sessions.get(username)
            if entry is not None and hmac.compare_digest(entry[0].encode(), password.encode()):
                return entry[1]
        raise _Answer(
            407,
            "proxy authentication required",
            (("Proxy-Authenticate", f'Basic realm="{REALM}"'),),
        )

    async def _open(
        self, session: EgressSession, host: str, port: int, target: str
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            async with asyncio.timeout(self._timeout):
                addresses = await resolve_checked(self.policy, host, port, self._resolver)
        except NetworkRefused as refused:
            self._report(session, target, refused.refusal)
            rule = refused.refusal.rule
            raise _Answer(403, refused.refusal.message, (("X-Trawler-Refused", rule),)) from None
        except (OSError, TimeoutError) as exc:
            why = f"could not resolve host {host} ({exc or 'timed out'})"
            raise self._failed(session, target, why) from None
        try:
            upstream = session.upstream(host)
        except ProxiesError as exc:
            raise self._failed(session, target, f"no upstream proxy for {host}: {exc}") from None
        if upstream is not None:
            return await self._through(session, upstream, host, target, addresses, port)
        failed: Exception | None = None
        for address in addresses:
            try:
                async with asyncio.timeout(self._timeout):
                    return await asyncio.open_connection(str(address), port, limit=MAX_HEAD)
            except (OSError, TimeoutError) as exc:
                failed = exc
        if isinstance(failed, ConnectionRefusedError):
            why = f"connection refused by {host}"
        else:
            why = f"could not connect to {host} ({failed or 'timed out'})"
        raise self._failed(session, target, why)

    async def _through(
        self,
        session: EgressSession,
        upstream: Proxy,
        host: str,
        target: str,
        addresses: tuple[IPAddress, ...],
        port: int,
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A tunnel to a checked address of `host` through `upstream`, itself reached at a
        checked address unless trusted."""
        cause: BaseException | None = None
        try:
            async with asyncio.timeout(self._timeout):
                hops = await proxy_hosts(self.policy, upstream, self._resolver)
        except NetworkRefused as exc:
            message = refused(upstream, host, exc.refusal)
            raise self._failed(session, target, message, upstream, exc.refusal) from None
        except (OSError, TimeoutError) as exc:
            hops, cause = (), exc
        for address in addresses:
            for hop in hops:
                try:
                    async with asyncio.timeout(self._timeout):
                        return await _tunnel(upstream, hop, address, port)
                except (OSError, TimeoutError) as exc:
                    cause = exc
        if not upstream.trusted:
            log.info("upstream %s failed for %s: %s", upstream.server, host, cause)
        raise self._failed(session, target, failure(upstream, host, cause), upstream)

    def _failed(
        self,
        session: EgressSession,
        target: str,
        message: str,
        upstream: Proxy | None = None,
        refusal: Refusal | None = None,
    ) -> _Answer:
        """Tell the session why `target` could not be reached; the 502 answer that says so."""
        try:
            session.failed(target, message, upstream, refusal)
        except Exception:
            log.exception("reporting a failed request failed")
        return _Answer(502, message, (("X-Trawler-Failed", "1"),))

    def _report(self, session: EgressSession, target: str, refusal: Refusal) -> None:
        log.info("egress refused %s (session %s): %s", target, session.id, refusal.message)
        try:
            session.refused(target, refusal)
            if self._on_refused is not None:
                self._on_refused(session.id, target, refusal)
        except Exception:
            log.exception("reporting a refusal failed")


class _StreamWire:
    """An asyncio connection as the handshakes use it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer

    async def send(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()

    async def receive(self, limit: int) -> bytes:
        return await self._reader.read(limit)


async def _tunnel(
    upstream: Proxy, hop: str, address: IPAddress, port: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection through `upstream`, reached at `hop`, to exactly `address:port`."""
    tls = upstream.scheme == "https"
    reader, writer = await asyncio.open_connection(
        hop,
        upstream.port,
        ssl=ssl.create_default_context() if tls else None,
        server_hostname=upstream.host if tls else None,
        limit=MAX_HEAD,
    )
    try:
        await open_tunnel(upstream, _StreamWire(reader, writer), address, port)
    except BaseException:
        writer.close()
        raise
    return reader, writer


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    """An HTTP head up to its blank line; None if the peer closed before sending anything."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise ValueError("the connection closed in the middle of an HTTP head") from exc
    except asyncio.LimitOverrunError as exc:
        raise ValueError(f"an HTTP head longer than {MAX_HEAD} bytes") from exc


def _parse_request(head: bytes) -> _Request:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _Answer(400, f"not an HTTP/1 request line: {lines[0][:200]!r}")
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise _Answer(400, f"bad header line {line[:200]!r}")
        headers.append((name, value.strip()))
    return _Request(parts[0].upper(), parts[1], headers)


def _split_target(target: str) -> tuple[str, int]:
    host, sep, port = target.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        host = ""
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise _Answer(400, f"CONNECT needs host:port, got {target[:200]!r}")
    return host, int(port)


DROPPED = frozenset({"connection", "keep-alive", "proxy-authorization", "proxy-connection"})
"""Request headers meant for this proxy, never forwarded."""


def _origin_request(request: _Request, netloc: str, *, upgrade: bool) -> bytes:
    """The request as the origin server expects it: origin-form target, hop-by-hop removed."""
    rest = request.target.split("://", 1)[1].split("#", 1)[0]
    start = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    path = rest[start:] or "/"
    if path.startswith("?"):
        path = "/" + path
    listed = request.tokens("connection") - ({"upgrade"} if upgrade else set())
    dropped = DROPPED | listed | (set() if upgrade else {"upgrade"})
    headers = [(k, v) for k, v in request.headers if k.lower() not in dropped]
    if not any(k.lower() == "host" for k, _ in headers):
        headers.insert(0, ("Host", netloc.rpartition("@")[2]))
    headers.append(("Connection", "Upgrade" if upgrade else "close"))
    lines = [f"{request.method} {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _close_response(head: bytes) -> bytes:
    """A response head that tells the client to close its connection after the body."""
    lines = head.decode("latin-1").split("\r\n")
    kept = [
        line
        for line in lines[1:]
        if line
        and line.partition(":")[0].strip().lower()
        not in ("connection", "keep-alive", "proxy-connection")
    ]
    return ("\r\n".join([lines[0], *kept, "Connection: close"]) + "\r\n\r\n").encode("latin-1")


async def _splice(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    server_reader: asyncio.StreamReader,
    server_writer: asyncio.StreamWriter,
    *,
    rewrite: bool,
) -> None:
    """Stream both ways until the server side ends; `rewrite` closes plain HTTP responses."""
    upload = asyncio.create_task(_copy(client_reader, server_writer, half_close=True))
    try:
        if rewrite:
            while True:
                try:
                    head = await _read_head(server_reader)
                except ValueError:
                    return
                if head is None:
                    return
                status = reply_status(head) if head.startswith(b"HTTP/") else 200
                if 100 <= status < 200 and status != 101:
                    client_writer.write(head)  # interim (103 Early Hints …): the final one follows
                    continue
                client_writer.write(_close_response(head))
                break
        await _copy(server_reader, client_writer, half_close=False)
    finally:
        upload.cancel()
        await asyncio.gather(upload, return_exceptions=True)
        server_writer.close()


async def _copy(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, half_close: bool
) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if half_close and writer.can_write_eof():
            writer.write_eof()
    except OSError:
        pass
