"""Reaching an upstream proxy and asking it for a tunnel to a checked address.

```
where = await proxy_hosts(policy, proxy, resolver)   # NetworkRefused: an account's proxy
...connect to one of `where`, then: await open_tunnel(proxy, wire, address, port)
```

A `trusted` proxy (the deployment's) is reached by its name. Any other is user input: its host
is resolved once, every answer checked against the network policy, and only those addresses
are connected to (DNS rebinding gets no second answer). The handshakes, HTTP CONNECT and
SOCKS5 CONNECT, always name the target's checked address, never its name, and are written once
against `Wire`, which the egress proxy's asyncio streams and `PinnedTransport`'s httpcore
streams adapt to. What an account's proxy answered stays out of the messages a run shows
(`failure`): a status line or banner would make it a scanner of whatever it can reach.
"""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta
from typing import Protocol

from proxies._proxy import Proxy
from proxies._resolve import Resolver, authority, reply_status, resolve_checked, system_resolver
from proxies.errors import NetworkRefused
from proxies.netpolicy import IPAddress, NetworkPolicy, Refusal

MAX_HEAD = 64 * 1024
"""Longest CONNECT answer head read, in bytes."""

UNREACHABLE = (
    "the proxy refused the connection or is unreachable (check its host, port and credentials)"
)
"""What a run is told about any failure of an account's proxy."""

SOCKS_REPLIES = {
    1: "general failure",
    2: "connection not allowed by its rules",
    3: "network unreachable",
    4: "host unreachable",
    5: "connection refused",
    6: "TTL expired",
    7: "command not supported",
    8: "address type not supported",
}
_NO_AUTH, _USER_PASSWORD = 0x00, 0x02
_IPV4, _NAME, _IPV6 = 0x01, 0x03, 0x04


class Wire(Protocol):
    """A connection to the upstream proxy, as the handshakes use it."""

    async def send(self, data: bytes) -> None:
        """Write all of `data`."""
        ...

    async def receive(self, limit: int) -> bytes:
        """Up to `limit` bytes as they arrive; b"" when the proxy closed the connection."""
        ...


class TunnelFailed(OSError):
    """The upstream proxy would not open the tunnel; the message says what it answered
    (shown for a trusted proxy only, see `failure`)."""


async def proxy_hosts(policy: NetworkPolicy, proxy: Proxy, resolver: Resolver) -> tuple[str, ...]:
    """Where to connect to reach `proxy`, in order: a trusted proxy's host as given; else
    every address its host resolves to, resolved once, each allowed by `policy`.

    Raises `NetworkRefused` when the policy refuses the host or any of its addresses, OSError
    when it resolves to nothing.
    """
    if proxy.trusted:
        return (proxy.host,)
    addresses = await resolve_checked(policy, proxy.host, proxy.port, resolver)
    return tuple(str(address) for address in addresses)


async def check_proxy(
    policy: NetworkPolicy,
    proxy: Proxy,
    resolver: Resolver | None = None,
    *,
    wait: timedelta = timedelta(seconds=5),
) -> Refusal | None:
    """Why `policy` refuses an account's proxy, before it is saved: its host is a forbidden
    address (any spelling) or name, or resolves to one. None for a trusted proxy, and for a
    name that does not resolve within `wait`: every connection checks it again anyway."""
    if proxy.trusted:
        return None
    try:
        async with asyncio.timeout(wait.total_seconds()):
            await proxy_hosts(policy, proxy, resolver or system_resolver)
    except NetworkRefused as exc:
        return exc.refusal
    except (OSError, TimeoutError):
        return None
    return None


async def open_tunnel(proxy: Proxy, wire: Wire, address: IPAddress, port: int) -> None:
    """Ask `proxy`, connected over `wire`, for a tunnel to exactly `address:port`.

    Raises `TunnelFailed` if it refuses or answers something else than its protocol.
    """
    if proxy.scheme == "socks5":
        await _socks5(proxy, wire, address, port)
    else:
        await _connect(proxy, wire, authority(address, port))


def failure(proxy: Proxy, host: str, cause: BaseException | None) -> str:
    """What the run is told when `proxy` could not carry a connection to `host`: the cause
    for a trusted proxy, `UNREACHABLE` for an account's, whatever answered."""
    detail = (str(cause) or type(cause).__name__) if cause is not None else "timed out"
    shown = detail if proxy.trusted else UNREACHABLE
    return f"could not connect to {host} through proxy {proxy.server}: {shown}"


def refused(proxy: Proxy, host: str, refusal: Refusal) -> str:
    """What the run is told when the network policy refuses `proxy`'s host."""
    return f"could not connect to {host} through proxy {proxy.server}: {refusal.message}"


def connect_request(proxy: Proxy, target: str) -> bytes:
    """The CONNECT request asking an HTTP(S) proxy for a tunnel to `target` (`ip:port`)."""
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if proxy.username is not None:
        pair = f"{proxy.username}:{proxy.password or ''}".encode()
        lines.append(f"Proxy-Authorization: Basic {base64.b64encode(pair).decode('ascii')}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _connect(proxy: Proxy, wire: Wire, target: str) -> None:
    await wire.send(connect_request(proxy, target))
    head = b""
    while b"\r\n\r\n" not in head:
        data = await wire.receive(MAX_HEAD - len(head))
        if not data:
            raise TunnelFailed(f"upstream proxy {proxy.server} broke off CONNECT {target}")
        head += data
        if len(head) >= MAX_HEAD and b"\r\n\r\n" not in head:
            raise TunnelFailed(f"upstream proxy {proxy.server} sent an endless answer head")
    try:
        status = reply_status(head)
    except ValueError as exc:
        raise TunnelFailed(f"upstream proxy {proxy.server}: {exc}") from None
    if not 200 <= status < 300:
        raise TunnelFailed(f"upstream proxy {proxy.server} answered {status} to CONNECT {target}")
    if not head.endswith(b"\r\n\r\n"):
        raise TunnelFailed(f"upstream proxy {proxy.server} spoke before the client")


async def _socks5(proxy: Proxy, wire: Wire, address: IPAddress, port: int) -> None:
    """RFC 1928 CONNECT to an address, with RFC 1929 user name and password if it has them."""
    target = authority(address, port)
    offered = [_NO_AUTH] if proxy.username is None else [_NO_AUTH, _USER_PASSWORD]
    await wire.send(bytes([5, len(offered), *offered]))
    version, method = await _exactly(proxy, wire, 2)
    if version != 5:
        raise TunnelFailed(f"upstream proxy {proxy.server} does not speak SOCKS5")
    if method == _USER_PASSWORD and proxy.username is not None:
        user, password = proxy.username.encode(), (proxy.password or "").encode()
        await wire.send(bytes([1, len(user), *user, len(password), *password]))
        if (await _exactly(proxy, wire, 2))[1] != 0:
            raise TunnelFailed(f"upstream proxy {proxy.server} refused the user name and password")
    elif method == _USER_PASSWORD:
        raise TunnelFailed(f"upstream proxy {proxy.server} asks for a user name and password")
    elif method != _NO_AUTH:
        offered_names = "no authentication" + (
            "" if proxy.username is None else ", user name and password"
        )
        raise TunnelFailed(
            f"upstream proxy {proxy.server} accepts none of the authentication methods "
            f"offered ({offered_names})"
        )
    kind = _IPV4 if address.version == 4 else _IPV6
    await wire.send(bytes([5, 1, 0, kind, *address.packed, *port.to_bytes(2, "big")]))
    version, reply, _, bound = await _exactly(proxy, wire, 4)
    if version != 5:
        raise TunnelFailed(f"upstream proxy {proxy.server} does not speak SOCKS5")
    if reply != 0:
        why = SOCKS_REPLIES.get(reply, "an unknown error")
        raise TunnelFailed(
            f"upstream proxy {proxy.server} answered {reply} ({why}) to CONNECT {target}"
        )
    if bound == _NAME:
        size = (await _exactly(proxy, wire, 1))[0]
    elif bound in (_IPV4, _IPV6):
        size = 4 if bound == _IPV4 else 16
    else:
        raise TunnelFailed(f"upstream proxy {proxy.server} answered an unknown address type")
    await _exactly(proxy, wire, size + 2)


async def _exactly(proxy: Proxy, wire: Wire, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = await wire.receive(size - len(data))
        if not chunk:
            raise TunnelFailed(f"upstream proxy {proxy.server} broke off the SOCKS5 handshake")
        data += chunk
    return data
