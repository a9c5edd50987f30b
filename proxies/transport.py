"""`PinnedTransport`: httpx requests that connect only to addresses the network policy allowed.

An httpcore network backend resolves each new connection's host once, checks every answer
and opens the socket to a checked address; httpcore still sends the name as Host and SNI and
verifies the certificate for it. Redirects are followed by the client, so every hop opens its
own checked connection. With `proxy=`, the backend tunnels to the checked address through the
proxy (an HTTP or SOCKS5 CONNECT to the address, never to the name); a proxy that is not
`trusted` is itself reached only at a checked address, as the egress proxy does.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from httpcore._utils import is_socket_readable  # the pool's own check, given the socket

from proxies._proxy import Proxy
from proxies._resolve import Resolver, resolve_checked, system_resolver
from proxies._upstream import failure, open_tunnel, proxy_hosts, refused
from proxies.egress import EgressSession
from proxies.errors import NetworkRefused, ProxiesError
from proxies.netpolicy import IPAddress, NetworkPolicy

SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)

log = logging.getLogger(__name__)

_FAILURES = (OSError, TimeoutError, httpcore.NetworkError, httpcore.TimeoutException)
"""How reaching an upstream proxy or its tunnel fails."""

DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """`httpx.AsyncHTTPTransport` that checks every connection against `policy`.

    A refused connection raises `proxies.NetworkRefused` out of the request; a name that does
    not resolve raises `httpx.ConnectError`; an upstream proxy that is refused by the policy,
    unreachable or refuses the tunnel raises `httpx.ProxyError`. `proxy` is an upstream
    `Proxy`, or its URL (`http(s)://` or `socks5://user:pw@host:port`) or an `httpx.Proxy`,
    both read as not trusted; or a `session` picks one for each new connection and hears of
    refusals and failures, as with the egress proxy. `verify` is True, False or an
    `ssl.SSLContext` (client certificates go in the context).
    """

    def __init__(
        self,
        policy: NetworkPolicy,
        proxy: Proxy | str | httpx.Proxy | None = None,
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
        upstream: Proxy | None = None,
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
        target = f"{host}:{port}"
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
                upstream = self.session.upstream(host)
        except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
            if self.session is not None:
                self.session.failed(target, str(exc), None)
            raise
        except ProxiesError as exc:  # the session has no usable upstream proxy
            if self.session is not None and not isinstance(exc, NetworkRefused):
                self.session.failed(target, f"no upstream proxy for {host}: {exc}", None)
            raise
        if upstream is not None:
            tunnel = await self._through(
                upstream, host, target, addresses, port, timeout, socket_options
            )
            return PooledStream(tunnel)
        failed: Exception | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
                return PooledStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failed = exc
        assert failed is not None
        if self.session is not None:
            self.session.failed(target, str(failed), None)
        raise failed

    async def _through(
        self,
        upstream: Proxy,
        host: str,
        target: str,
        addresses: tuple[IPAddress, ...],
        port: int,
        seconds: float | None,
        options: Iterable[SocketOption] | None,
    ) -> httpcore.AsyncNetworkStream:
        """A tunnel to a checked address of `host` through `upstream`, itself reached at a
        checked address unless trusted; `httpcore.ProxyError` when it cannot be had."""
        cause: BaseException | None = None
        try:
            async with asyncio.timeout(seconds):
                hops = await proxy_hosts(self.policy, upstream, self._resolver)
        except NetworkRefused as exc:
            message = refused(upstream, host, exc.refusal)
            if self.session is not None:
                self.session.failed(target, message, upstream, exc.refusal)
            raise httpcore.ProxyError(message) from None
        except (OSError, TimeoutError) as exc:
            hops, cause = (), exc
        for address in addresses:
            for hop in hops:
                try:
                    return await self._tunnel(upstream, hop, address, port, seconds, options)
                except _FAILURES as exc:
                    cause = exc
        message = failure(upstream, host, cause)
        if not upstream.trusted:
            log.info("upstream %s failed for %s: %s", upstream.server, host, cause)
        if self.session is not None:
            self.session.failed(target, message, upstream)
        raise httpcore.ProxyError(message)

    async def _tunnel(
        self,
        upstream: Proxy,
        hop: str,
        address: IPAddress,
        port: int,
        seconds: float | None,
        options: Iterable[SocketOption] | None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(hop, upstream.port, seconds, socket_options=options)
        try:
            if upstream.scheme == "https":
                stream = await stream.start_tls(
                    ssl.create_default_context(), server_hostname=upstream.host, timeout=seconds
                )
            await open_tunnel(upstream, _StreamWire(stream, seconds), address, port)
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


class _StreamWire:
    """An httpcore stream as the handshakes use it."""

    def __init__(self, stream: httpcore.AsyncNetworkStream, seconds: float | None) -> None:
        self._stream, self._seconds = stream, seconds

    async def send(self, data: bytes) -> None:
        await self._stream.write(data, self._seconds)

    async def receive(self, limit: int) -> bytes:
        return await self._stream.read(limit, self._seconds)


def _upstream(proxy: Proxy | str | httpx.Proxy | None) -> Proxy | None:
    if proxy is None or isinstance(proxy, Proxy):
        return proxy
    if isinstance(proxy, str):
        return Proxy(proxy)
    url = proxy.url
    if proxy.auth is not None:
        url = url.copy_with(username=proxy.auth[0], password=proxy.auth[1])
    return Proxy(str(url))
