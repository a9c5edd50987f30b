"""What a request through a proxy tells about the proxy: success, a connection error, or a block."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from proxies._proxy import Proxy

DEFAULT_BLOCK_STATUSES = frozenset({403, 429})
"""Answers a site gives a client it refuses: forbidden, too many requests."""

DEFAULT_BLOCK_MARKERS = (
    "captcha",
    "cf-challenge",
    "challenge-platform",
    "are you a robot",
    "are you a human",
    "unusual traffic",
    "access denied",
)
"""Text of bot-challenge pages, matched case-insensitively anywhere in the body."""

PROXY_AUTH_REQUIRED = 407


class Outcome(enum.StrEnum):
    """How one request through a proxy went."""

    SUCCESS = "success"
    ERROR = "error"
    """The proxy failed: connection refused or reset, timeout, 407, a broken tunnel."""
    BLOCKED = "blocked"
    """The proxy worked, but the site refused it: 403/429 or a challenge page."""


def classify(
    status: int,
    body_text: str | None = None,
    *,
    statuses: Iterable[int] = DEFAULT_BLOCK_STATUSES,
    markers: Iterable[str] = DEFAULT_BLOCK_MARKERS,
) -> Outcome:
    """The outcome of a response that arrived: blocked by status or by a marker in the body.

    A 407 is the proxy refusing its credentials, an `ERROR`; other statuses (404, 500…) are the
    site's business and count as a success of the proxy.
    """
    if status == PROXY_AUTH_REQUIRED:
        return Outcome.ERROR
    if status in set(statuses):
        return Outcome.BLOCKED
    if body_text:
        text = body_text.casefold()
        if any(marker.casefold() in text for marker in markers if marker):
            return Outcome.BLOCKED
    return Outcome.SUCCESS


@dataclass(frozen=True, slots=True)
class ProxyStats:
    """A snapshot of one proxy's health; `failures` counts errors, `blocked` counts blocks."""

    proxy: Proxy
    uses: int
    successes: int
    failures: int
    blocked: int
    consecutive_failures: int
    """Errors and blocks since the last success; each one doubles the cool-down."""
    cooling_until: datetime | None
    disabled_reason: str | None

    @property
    def disabled(self) -> bool:
        return self.disabled_reason is not None
