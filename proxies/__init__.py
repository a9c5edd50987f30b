"""How traffic leaves: proxy values, rotation and health, the network policy, the egress proxy."""

from __future__ import annotations

from proxies._health import (
    DEFAULT_BLOCK_MARKERS,
    DEFAULT_BLOCK_STATUSES,
    Outcome,
    ProxyStats,
    classify,
)
from proxies._proxy import PlaywrightProxy, Proxy, for_httpx, for_playwright
from proxies._resolve import Resolver
from proxies._rotator import ProxyRotator
from proxies._settings import ProxyEntry, ProxySettings, Strategy
from proxies._upstream import UNREACHABLE, check_proxy
from proxies.egress import Credentials, EgressProxy, EgressSession
from proxies.errors import NetworkRefused, NoProxyAvailable, ProxiesError
from proxies.netpolicy import NetworkPolicy, Refusal
from proxies.transport import PinnedTransport

__all__ = [
    "DEFAULT_BLOCK_MARKERS",
    "DEFAULT_BLOCK_STATUSES",
    "UNREACHABLE",
    "Credentials",
    "EgressProxy",
    "EgressSession",
    "NetworkPolicy",
    "NetworkRefused",
    "NoProxyAvailable",
    "Outcome",
    "PinnedTransport",
    "PlaywrightProxy",
    "ProxiesError",
    "Proxy",
    "ProxyEntry",
    "ProxyRotator",
    "ProxySettings",
    "ProxyStats",
    "Refusal",
    "Resolver",
    "Strategy",
    "check_proxy",
    "classify",
    "for_httpx",
    "for_playwright",
]
