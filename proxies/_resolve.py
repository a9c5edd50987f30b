"""Resolving a host once and checking every answer.

Both the egress proxy and `PinnedTransport` connect only to addresses `resolve_checked`
returned, for the target and for an account's upstream proxy alike, so a second DNS answer
(rebinding) never reaches a socket.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Sequence
from ipaddress import ip_address

from proxies.errors import NetworkRefused
from proxies.netpolicy import IPAddress, NetworkPolicy, normalise_host, parse_ip

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""`(host, port) -> addresses`, in the resolver's order; raises OSError when the name fails."""


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


def reply_status(head: bytes) -> int:
    """The status code of an HTTP response head; raises ValueError if it is none."""
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    version, _, rest = line.partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/") or not code.isdigit():
        raise ValueError(f"not an HTTP response: {line[:80]!r}")
    return int(code)
