"""`PinnedTransport`: httpx requests that connect only to addresses the network policy allowed.

An httpcore network backend resolves each new connection's host once, checks every answer
and opens the socket to a checked address; httpcore still sends the name as Host and SNI and
verifies the certificate for it. Redirects are followed by the client, so every hop opens its
own checked connection. With `proxy=`, the backend tunnels to the checked address through the
proxy (CONNECT to the address, never to the name).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from httpcore._utils import is_socket_readable  # the pool's own check, given the socket

from proxies._resolve import (
    Resolver,
    Upstream,
    authority,
    reply_status,
    resolve_checked,
    system_resolver,
)
from proxies.egress import EgressSession
from proxies.errors import NetworkRefused, ProxiesError
from proxies.netpolicy import NetworkPolicy

SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)

MAX_HEAD = 64 * 1024
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """`httpx.AsyncHTTPTransport` that checks every connection against `policy`.

    A refused connection raises `proxies.NetworkRefused` out of the request; a name that does
    not resolve raises `httpx.ConnectError`; an upstream proxy that refuses the tunnel raises
    `httpx.ProxyError`. `proxy` is an upstream proxy URL (`http(s)://user:pw@host:port`) or an
    `httpx.Proxy`; or a `session` picks one for each new connection and hears of refusals
    and failures, as with the egress proxy. `verify` is True, False or an `ssl.SSLContext`
    (client certificates go in the context).
    """

    def __init__(
        self,
        policy: NetworkPolicy,
        proxy: str | httpx.Proxy | None = None,
        *,
        session: EgressSession | None = None,
        resolver: Resolver | None = None,
        verify: ssl.SSLContext | bool = True,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = DEFAULT_LIMITS,
        retries: int = 0,
    ) -> None:
        context = httpx.create_ssl_context(verify=verify, trust_env=trust_env)
        super().__init__(verify=context, http1=http1, http2=http2)
        self.policy = policy
        if proxy is not None and session is not None:
            raise ValueError("give a proxy or a session that picks proxies, not both")
        backend = PinnedBackend(policy, _upstream(proxy), session=session, resolver=resolver)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=http1,
            http2=http2,
            retries=retries,
            network_backend=backend,
        )


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves once, checks, and connects to the address."""

    def __init__(
        self,
        policy: NetworkPolicy,
        upstream: Upstream | None = None,
        *,
        session: EgressSession | None = None,
        resolver: Resolver | None = None,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.policy = policy
        self.upstream = upstream
        self.session = session
        self._resolver = resolver or system_resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """A stream to a checked address of `host`; raises `NetworkRefused` if any is forbidden.

        With a session, each new connection asks it for its upstream proxy, and refusals and
        failures are reported to it, as the egress proxy does.
        """
        target, chosen = f"{host}:{port}", None
        try:
            try:
                async with asyncio.timeout(timeout):
                    addresses = await resolve_checked(self.policy, host, port, self._resolver)
            except NetworkRefused as exc:
                if self.session is not None:
                    self.session.refused(target, exc.refusal)
                raise
            except TimeoutError as exc:
                raise httpcore.ConnectTimeout(f"could not resolve host {host} (timed out)") from exc
            except OSError as exc:
                raise httpcore.ConnectError(f"could not resolve host {host} ({exc})") from exc
            upstream = self.upstream
            if self.session is not None:
                chosen = self.session.upstream(host)
                upstream = Upstream.parse(chosen) if chosen is not None else None
            failure: Exception | None = None
            for address in addresses:
                try:
                    if upstream is None:
                        stream = await self._inner.connect_tcp(
                            str(address), port, timeout, local_address, socket_options
                        )
                    else:
                        stream = await self._tunnel(
                            upstream, authority(address, port), timeout, socket_options
                        )
                    return PooledStream(stream)
                except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                    failure = exc
            assert failure is not None
            raise failure
        except (httpcore.ConnectError, httpcore.ConnectTimeout, httpcore.ProxyError) as exc:
            if self.session is not None:
                self.session.failed(target, str(exc), chosen)
            raise
        except ProxiesError as exc:  # the session has no usable upstream proxy
            if self.session is not None and not isinstance(exc, NetworkRefused):
                self.session.failed(target, f"no upstream proxy for {host}: {exc}", None)
            raise

    async def _tunnel(
        self,
        upstream: Upstream,
        target: str,
        seconds: float | None,
        socket_options: Iterable[SocketOption] | None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(
            upstream.host, upstream.port, seconds, socket_options=socket_options
        )
        try:
            if upstream.scheme == "https":
                stream = await stream.start_tls(
                    ssl.create_default_context(), server_hostname=upstream.host, timeout=seconds
                )
            await stream.write(upstream.connect_request(target), seconds)
            head = b""
            while b"\r\n\r\n" not in head:
                data = await stream.read(MAX_HEAD, seconds)
                if not data or len(head) + len(data) > MAX_HEAD:
                    raise httpcore.ProxyError(f"upstream proxy {upstream} broke off CONNECT")
                head += data
            try:
                status = reply_status(head)
            except ValueError as exc:
                raise httpcore.ProxyError(str(exc)) from exc
            if not 200 <= status < 300:
                raise httpcore.ProxyError(
                    f"upstream proxy {upstream} answered {status} to CONNECT {target}"
                )
            if not head.endswith(b"\r\n\r\n"):
                raise httpcore.ProxyError(f"upstream proxy {upstream} spoke before the client")
        except BaseException:
            await stream.aclose()
            raise
        return stream

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Refused: a Unix socket is local by definition."""
        raise httpcore.ConnectError("PinnedTransport does not connect to Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PooledStream(httpcore.AsyncNetworkStream):
    """A connection's stream that answers httpcore's keep-alive check (is an idle socket
    readable, i.e. closed by the server?), which the pool asks of its idle connections on
    every request, from the socket it keeps: AnyIO's stream rebuilds all of a socket's
    attributes, with a `getpeername` call, to answer it (a tenth of a small page's time)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
    ) -> httpcore.AsyncNetworkStream:
        return PooledStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:
            return is_socket_readable(self._socket)
        return self._inner.get_extra_info(info)


def _upstream(proxy: str | httpx.Proxy | None) -> Upstream | None:
    if proxy is None:
        return None
    if isinstance(proxy, str):
        return Upstream.parse(proxy)
    url = proxy.url
    if proxy.auth is not None:
        url = url.copy_with(username=proxy.auth[0], password=proxy.auth[1])
    return Upstream.parse(str(url))
