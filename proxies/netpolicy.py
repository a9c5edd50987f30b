"""Which hosts a bot may reach: scheme rules for URLs, address rules for resolved IPs.

`check_url` is the early check before a navigation or fetch; the binding one is
`check_address`, applied by the egress proxy and `PinnedTransport` to every address a host
resolves to, at connect time. Literal IP hosts are read the way browsers read them (the WHATWG
URL host parser), so `127.1`, `2130706433`, `0x7f000001` and `017700000001` are all loopback.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from urllib.parse import unquote

IPAddress = IPv4Address | IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https", "ws", "wss"})
"""Schemes a bot may open; everything else (file:, view-source:, chrome:, data:, blob: …) is not."""

ALLOWED_URLS = frozenset({"about:blank"})
"""Whole URLs a bot may open whatever their scheme."""

METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle …
        "169.254.170.2",  # AWS ECS task credentials
        "169.254.169.253",  # AWS VPC DNS
        "169.254.169.123",  # AWS time sync
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud (legacy)
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS time sync over IPv6
    )
)
"""Cloud instance-metadata endpoints: refused even when private networks are allowed."""

METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.internal",
        "metadata.tencentyun.com",
    }
)
"""Names of cloud metadata endpoints, refused by name before any resolution."""

PRIVATE_NETWORKS = tuple(
    ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # carrier-grade NAT, the provider's private space
        "fc00::/7",  # unique local
        "fec0::/10",  # deprecated site-local, still routed by some stacks
    )
)

NAT64 = ip_network("64:ff9b::/96")
THIS_NETWORK = ip_network("0.0.0.0/8")

OPENED_BY_ALLOW_PRIVATE = frozenset({"loopback", "private", "link-local"})
"""Rules `allow_private_networks` lifts; metadata, unspecified, multicast and reserved stay."""

ALLOW_HINT = "a deployment can allow it with TRAWLER_ALLOWED_NETWORKS"
"""How a refusal under one of `OPENED_BY_ALLOW_PRIVATE` can be lifted. Only a hint: this
library reads no settings; the name is the variable of trawler's own settings."""

_DESCRIPTIONS = {
    "metadata": "a cloud metadata address",
    "unspecified": "an unspecified address",
    "loopback": "a loopback address",
    "link-local": "a link-local address",
    "private": "a private-network address",
    "multicast": "a multicast address",
    "reserved": "a reserved or special-purpose address",
}

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_HOST_NAME = re.compile(r"(\*\.|\.)?([a-z0-9_]([a-z0-9_\-]*[a-z0-9_])?\.)*[a-z0-9_\-]+")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))  # what the URL parser strips from both ends
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})  # what UTS 46 maps to "."


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why the policy refused a target: a stable rule name and a message naming it."""

    rule: str
    """"scheme", "invalid", "metadata", "unspecified", "loopback", "link-local", "private",
    "multicast" or "reserved"."""
    message: str
    target: str
    """The URL or host that was refused."""
    address: str | None = None
    """The address that was refused, when the refusal is about one."""

    def __str__(self) -> str:
        return self.message


PASSED_HOSTS = 4096
"""Hosts remembered as allowed, per policy; past this the memory starts again."""


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    """The deployment's rules for which hosts bots may reach; immutable and cheap to share."""

    allow_private_networks: bool = False
    allow: Sequence[str] = ()
    _networks: tuple[IPv4Network | IPv6Network, ...] = field(init=False, repr=False)
    _names: frozenset[str] = field(init=False, repr=False)
    _suffixes: tuple[str, ...] = field(init=False, repr=False)
    _passed: dict[str, None] = field(init=False, repr=False, compare=False)
    """Hosts that passed `check_host`: a crawl asks about the same few hosts on every page."""

    def __post_init__(self) -> None:
        if isinstance(self.allow, str):
            raise TypeError("allow is a list of CIDRs and host names, not one string")
        networks: list[IPv4Network | IPv6Network] = []
        names: set[str] = set()
        suffixes: list[str] = []
        for raw in self.allow:
            entry = raw.strip().lower().rstrip(".")
            try:
                networks.append(ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if not _HOST_NAME.fullmatch(entry):
                raise ValueError(f"allow-list entry {raw!r} is neither a CIDR nor a host name")
            if entry.startswith(("*.", ".")):
                suffixes.append("." + entry.lstrip("*."))
            else:
                names.add(entry)
        object.__setattr__(self, "allow", tuple(self.allow))
        object.__setattr__(self, "_passed", {})
        object.__setattr__(self, "_networks", tuple(networks))
        object.__setattr__(self, "_names", frozenset(names))
        object.__setattr__(self, "_suffixes", tuple(suffixes))

    def check_url(self, url: str) -> Refusal | None:
        """Refuse a URL whose scheme bots may not open or whose host is a forbidden literal.

        Host names pass (except metadata and localhost names): what they resolve to is
        checked at connect time.
        """
        cleaned = re.sub(r"[\t\n\r]", "", url.strip(_C0_AND_SPACE))
        if cleaned.lower() in ALLOWED_URLS:
            return None
        found = _SCHEME.match(cleaned)
        if found is None:
            return Refusal("scheme", f"{_shown(url)} has no scheme; bots open absolute URLs", url)
        scheme = found.group(1).lower()
        if scheme not in ALLOWED_SCHEMES:
            return Refusal(
                "scheme", f"{_shown(url)} uses the {scheme}: scheme, which bots may not open", url
            )
        host = _url_host(cleaned[found.end() :])
        if host is None:
            return Refusal("invalid", f"{_shown(url)} has no valid host", url)
        return self.check_host(host, target=url)

    def check_host(self, host: str, *, target: str | None = None) -> Refusal | None:
        """Refuse a host that is a forbidden literal address or a metadata/localhost name.

        `target` is what the message names (the URL, by default the host itself).
        """
        if host in self._passed:
            return None
        refusal = self._check_host(host, target)
        if refusal is None:
            if len(self._passed) >= PASSED_HOSTS:
                self._passed.clear()
            self._passed[host] = None
        return refusal

    def _check_host(self, host: str, target: str | None) -> Refusal | None:
        shown = target if target is not None else host
        name = normalise_host(host)
        if not name:
            return Refusal("invalid", f"{_shown(shown)} has no valid host", shown)
        try:
            literal = parse_ip(name)
        except ValueError as exc:
            return Refusal("invalid", f"{_shown(shown)}: {exc}", shown)
        if literal is not None:
            return self._check(literal, None, shown)
        if self._name_allowed(name):
            return None
        if name in METADATA_HOSTS:
            return Refusal(
                "metadata",
                f"{_shown(shown)} names a cloud metadata endpoint; the network policy refuses it",
                shown,
            )
        if (name == "localhost" or name.endswith(".localhost")) and not (
            self.allow_private_networks
        ):
            return Refusal(
                "loopback",
                f"{_shown(shown)} names this machine (loopback); the network policy refuses it;"
                f" {ALLOW_HINT}",
                shown,
            )
        return None

    def check_address(self, ip: str | IPAddress, host: str | None = None) -> Refusal | None:
        """Refuse an address `host` resolved to (or a literal one) that bots may not reach.

        An allowed host name admits whatever it resolves to; an allowed CIDR admits its
        addresses. A string that is not an IP address raises ValueError.
        """
        address = ip_address(ip) if isinstance(ip, str) else ip
        name = normalise_host(host) if host is not None else None
        if name and parse_ip_or_none(name) is None and self._name_allowed(name):
            return None
        return self._check(address, name, host if host is not None else str(address))

    def _check(self, address: IPAddress, name: str | None, shown: str) -> Refusal | None:
        inner = embedded_ipv4(address)
        for candidate in (address, inner) if inner is not None else (address,):
            if any(candidate in network for network in self._networks):
                return None
        rule = classify_address(inner if inner is not None else address)
        if rule is None or (self.allow_private_networks and rule in OPENED_BY_ALLOW_PRIVATE):
            return None
        spelled = f"{address} ({inner})" if inner is not None else str(address)
        what = _DESCRIPTIONS[rule]
        if name is not None and parse_ip_or_none(name) is None:
            message = f"{_shown(shown)} resolves to {spelled}, {what}"
        elif shown not in (str(address), name):
            message = f"{_shown(shown)} points at {spelled}, {what}"
        else:
            message = f"{spelled} is {what}"
        message += f"; the network policy refuses it (rule {rule!r})"
        if rule in OPENED_BY_ALLOW_PRIVATE:
            message += f"; {ALLOW_HINT}"
        return Refusal(rule, message, shown, str(address))

    def _name_allowed(self, name: str) -> bool:
        return name in self._names or any(name.endswith(s) for s in self._suffixes)


def classify_address(address: IPAddress) -> str | None:
    """The rule that forbids `address`, or None for a public address."""
    if address in METADATA_ADDRESSES:
        return "metadata"
    if address.is_unspecified or (isinstance(address, IPv4Address) and address in THIS_NETWORK):
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if any(address in network for network in PRIVATE_NETWORKS):
        return "private"
    if address.is_multicast:
        return "multicast"
    if address.is_reserved or not address.is_global:
        return "reserved"
    return None


def embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    """The IPv4 address an IPv6 one carries to (mapped, NAT64 or 6to4), if any."""
    if isinstance(address, IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def parse_ip(host: str) -> IPAddress | None:
    """The address a URL host spells as a browser reads it, or None for a host name.

    Accepts `[v6]`, dotted/short/hex/octal/decimal IPv4 (`127.1`, `0x7f.1`, `2130706433`).
    Raises ValueError for a host that ends in a number but is no valid IPv4 address.
    """
    if host.startswith("["):
        if not host.endswith("]"):
            raise ValueError(f"unterminated IPv6 address {host!r}")
        inner = host[1:-1]
        if "%" in inner:
            raise ValueError(f"IPv6 zone identifiers are not valid in URLs: {host!r}")
        try:
            return IPv6Address(inner)
        except ValueError as exc:
            raise ValueError(f"invalid IPv6 address {host!r}") from exc
    if ":" in host:
        try:
            return IPv6Address(host.split("%", 1)[0])
        except ValueError as exc:
            raise ValueError(f"invalid host {host!r}") from exc
    if not _ends_in_number(host):
        return None
    return _whatwg_ipv4(host)


def parse_ip_or_none(host: str) -> IPAddress | None:
    """`parse_ip`, with None for anything that is not a valid address."""
    try:
        return parse_ip(host)
    except ValueError:
        return None


def _ipv4_number(part: str) -> int | None:
    radix, digits = 10, part
    if part[:2] in ("0x", "0X"):
        radix, digits = 16, part[2:]
    elif len(part) > 1 and part[0] == "0":
        radix, digits = 8, part[1:]
    if not digits:
        return 0 if part else None
    allowed = {16: "0123456789abcdefABCDEF", 8: "01234567", 10: "0123456789"}[radix]
    if any(c not in allowed for c in digits):
        return None
    return int(digits, radix)


def _ends_in_number(host: str) -> bool:
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    return bool(last) and ((last.isascii() and last.isdigit()) or _ipv4_number(last) is not None)


def _whatwg_ipv4(host: str) -> IPv4Address:
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    numbers = [_ipv4_number(p) if p else None for p in parts]
    if len(parts) > 4 or any(n is None for n in numbers):
        raise ValueError(f"invalid IPv4 address {host!r}")
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise ValueError(f"IPv4 address {host!r} is out of range")
    total = values[-1] + sum(n * 256 ** (3 - i) for i, n in enumerate(values[:-1]))
    return IPv4Address(total)


def _url_host(rest: str) -> str | None:
    """The host of a special URL after its `scheme:`, percent-decoded; None when empty."""
    rest = rest.lstrip("/\\")
    authority = re.split(r"[/\\?#]", rest, maxsplit=1)[0]
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        end = hostport.find("]")
        host = hostport if end < 0 else hostport[: end + 1]
    else:
        host = hostport.partition(":")[0]
    return unquote(host) or None


def normalise_host(host: str) -> str:
    """Lower-case, NFKC-folded, without a trailing dot, as browsers compare hosts."""
    folded = unicodedata.normalize("NFKC", host).translate(_DOTS).lower()
    return folded[:-1] if folded.endswith(".") and not folded.endswith("..") else folded


def _shown(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
