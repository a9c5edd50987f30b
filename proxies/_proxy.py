"""The proxy value: a URL with optional credentials, tags and a cost tier, and the shapes httpx
and Playwright take it in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypedDict
from urllib.parse import quote, unquote, urlsplit

import httpx

from proxies.netpolicy import parse_ip

SCHEMES = frozenset({"http", "https", "socks5"})
"""Upstream protocols the egress proxy and `PinnedTransport` chain to (HTTP CONNECT, or SOCKS5
CONNECT to the checked address); browsers never talk to an upstream themselves."""

DEFAULT_PORTS = {"http": 80, "https": 443, "socks5": 1080}

UNSUPPORTED = {
    "socks5h": "socks5h:// has the proxy resolve host names, past the network policy's check; "
    "use socks5:// (trawler resolves and checks every host, then sends the proxy the address)",
    "socks4": "SOCKS4 has no passwords and no IPv6; use socks5://",
    "socks4a": "SOCKS4a has no passwords and no IPv6; use socks5://",
    "socks": "say which SOCKS version: socks5://",
}
"""Proxy schemes people try, and why each is refused."""

SOCKS_FIELD_BYTES = 255
"""Longest SOCKS5 user name or password (RFC 1929), in UTF-8 bytes."""

_NOT_IN_HOSTS = frozenset(" %/\\@")

MASK = "***"
"""What a password is shown as."""


@dataclass(frozen=True, slots=True, init=False, repr=False)
class Proxy:
    """One upstream proxy; `str()` and `repr()` never show its password.

    `Proxy("http://user:secret@proxy.example:8080", tags={"residential", "country:de"}, tier=1)`
    """

    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None = field(repr=False)
    tags: frozenset[str]
    tier: int
    """Cost rank: 0 is the cheapest; the tiered strategy escalates upwards."""
    trusted: bool
    """Set by the deployment's operator: connected to without the network policy's check
    (it may sit on a private network). Any other proxy (an account's) is user input: its
    host must pass the policy like a page's."""

    def __init__(
        self, url: str, *, tags: Iterable[str] = (), tier: int = 0, trusted: bool = False
    ) -> None:
        scheme, host, port, username, password = _parse(url)
        if isinstance(tags, str):
            raise TypeError("tags must be an iterable of tags, not one string")
        if isinstance(tier, bool) or not isinstance(tier, int) or tier < 0:
            raise ValueError(f"the tier of a proxy is an integer >= 0, not {tier!r}")
        for name, value in (
            ("scheme", scheme),
            ("host", host),
            ("port", port),
            ("username", username),
            ("password", password),
            ("tags", frozenset(t.strip().lower() for t in tags if t.strip())),
            ("tier", tier),
            ("trusted", bool(trusted)),
        ):
            object.__setattr__(self, name, value)

    @property
    def server(self) -> str:
        """`scheme://host:port`, without credentials."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The full URL, credentials included (percent-encoded): keep it out of logs."""
        return self._with_credentials(self.password)

    @property
    def redacted(self) -> str:
        """The URL with the password masked, for logs, errors and stats."""
        return self._with_credentials(None if self.password is None else MASK)

    def _with_credentials(self, password: str | None) -> str:
        if self.username is None:
            return self.server
        userinfo = quote(self.username, safe="")
        if password is not None:
            userinfo += ":" + (password if password == MASK else quote(password, safe=""))
        return self.server.replace("://", f"://{userinfo}@", 1)

    def __str__(self) -> str:
        return self.redacted

    def __repr__(self) -> str:
        tags = f", tags={sorted(self.tags)!r}" if self.tags else ""
        trusted = ", trusted=True" if self.trusted else ""
        return f"Proxy({self.redacted!r}{tags}, tier={self.tier}{trusted})"


def _parse(url: str) -> tuple[str, str, int, str | None, str | None]:
    # Error messages name the scheme and host only: the URL may carry a password.
    if not isinstance(url, str):
        raise TypeError("a proxy URL is a string")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme in UNSUPPORTED:
        raise ValueError(f"proxy scheme {scheme!r} is not supported: {UNSUPPORTED[scheme]}")
    if scheme not in SCHEMES:
        shown = f"{scheme!r}" if scheme else "none"
        raise ValueError(f"proxy scheme {shown} is not one of {', '.join(sorted(SCHEMES))}")
    host = parts.hostname
    if not host:
        raise ValueError(f"a {scheme} proxy URL needs a host")
    if any(c in host for c in _NOT_IN_HOSTS) or not host.isprintable():
        raise ValueError(f"a {scheme} proxy URL's host {host[:100]!r} is not valid")
    try:
        parse_ip(host if ":" not in host else f"[{host}]")
    except ValueError as exc:
        raise ValueError(f"proxy {scheme}://{host}: {exc}") from None
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"proxy {scheme}://{host}: the port is not a number in 1-65535") from None
    if port == 0:
        raise ValueError(f"proxy {scheme}://{host}: the port is not a number in 1-65535")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"proxy {scheme}://{host}: a proxy URL has no path, query or fragment")
    username = None if parts.username is None else unquote(parts.username)
    password = None if parts.password is None else unquote(parts.password)
    if password is not None and not username:
        raise ValueError(f"proxy {scheme}://{host}: a password needs a user name")
    if scheme == "socks5" and any(
        len(part.encode()) > SOCKS_FIELD_BYTES for part in (username or "", password or "")
    ):
        raise ValueError(
            f"proxy {scheme}://{host}: a SOCKS5 user name and password are at most "
            f"{SOCKS_FIELD_BYTES} bytes each"
        )
    return scheme, host, port or DEFAULT_PORTS[scheme], username or None, password


def for_httpx(proxy: Proxy | None) -> httpx.Proxy | None:
    """The value of httpx's `proxy=` argument (credentials as proxy auth, not in the URL)."""
    if proxy is None:
        return None
    auth = None if proxy.username is None else (proxy.username, proxy.password or "")
    return httpx.Proxy(proxy.server, auth=auth)


class PlaywrightProxy(TypedDict, total=False):
    """Playwright's `proxy=` dictionary (the same keys and types as its `ProxySettings`)."""

    server: str
    bypass: str | None
    username: str | None
    password: str | None


def for_playwright(proxy: Proxy, *, bypass: str | None = None) -> PlaywrightProxy:
    """The `proxy=` of Playwright's `launch`/`new_context`; `bypass` lists hosts to reach directly.

    Chromium never proxies loopback targets unless `bypass` contains `"<-loopback>"`.
    """
    settings = PlaywrightProxy(server=proxy.server)
    if bypass is not None:
        settings["bypass"] = bypass
    if proxy.username is not None:
        settings["username"] = proxy.username
        settings["password"] = proxy.password or ""
    return settings
