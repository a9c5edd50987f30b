"""Resolving a target once and checking every answer; the upstream proxy a connection chains to.

Both the egress proxy and `PinnedTransport` connect only to addresses `resolve_checked`
returned, so a second DNS answer (rebinding) never reaches a socket.
"""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import unquote, urlsplit

from proxies.errors import NetworkRefused
from proxies.netpolicy import IPAddress, NetworkPolicy, normalise_host, parse_ip

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""`(host, port) -> addresses`, in the resolver's order; raises OSError when the name fails."""

UPSTREAM_PORTS = {"http": 80, "https": 443}


async def system_resolver(host: str, port: int) -> list[str]:
    """The system resolver (getaddrinfo), each address once, in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for *_, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


async def resolve_checked(
    policy: NetworkPolicy, host: str, port: int, resolver: Resolver
) -> tuple[IPAddress, ...]:
    """Every address `host` resolves to, resolved once; all of them allowed by `policy`.

    Raises `NetworkRefused` if the host or any one answer is forbidden (a resolver answering
    a public address first and a private one second is refused), OSError if it resolves to
    nothing. Literal addresses, in any spelling a browser accepts, are not resolved.
    """
    refusal = policy.check_host(host)
    if refusal is not None:
        raise NetworkRefused(refusal)
    literal = parse_ip(normalise_host(host))
    if literal is not None:
        return (literal,)
    answers = await resolver(host, port)
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            addresses.append(ip_address(answer))
        except ValueError as exc:
            raise OSError(f"the resolver answered {answer!r} for {host}") from exc
    if not addresses:
        raise OSError(f"{host} resolves to no address")
    for address in addresses:
        refusal = policy.check_address(address, host)
        if refusal is not None:
            raise NetworkRefused(refusal)
    return tuple(addresses)


def authority(address: IPAddress, port: int) -> str:
    """`ip:port`, with brackets around an IPv6 address."""
    return f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"


@dataclass(frozen=True, slots=True)
class Upstream:
    """An upstream HTTP(S) proxy that connections chain to with CONNECT."""

    scheme: str
    host: str
    port: int
    authorization: str | None = None
    """The Proxy-Authorization value sent with each CONNECT, if it has credentials."""

    @classmethod
    def parse(cls, url: str) -> Upstream:
        """Read `http(s)://[user:password@]host[:port]`; raises ValueError otherwise."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in UPSTREAM_PORTS:
            raise ValueError(f"an upstream proxy must be http:// or https://, not {scheme!r}")
        if not parts.hostname:
            raise ValueError("an upstream proxy URL needs a host")
        authorization = None
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        return cls(scheme, parts.hostname, parts.port or UPSTREAM_PORTS[scheme], authorization)

    def connect_request(self, target: str) -> bytes:
        """The CONNECT request asking this proxy for a tunnel to `target` (`ip:port`)."""
        lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
        if self.authorization is not None:
            lines.append(f"Proxy-Authorization: {self.authorization}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def reply_status(head: bytes) -> int:
    """The status code of an HTTP response head; raises ValueError if it is none."""
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    version, _, rest = line.partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/") or not code.isdigit():
        raise ValueError(f"not an HTTP response: {line[:80]!r}")
    return int(code)
