"""What a route handler receives and returns.

A handler is a plain function `Request -> Response`, called on the server's connection thread.
`Request.site` is the state of the server instance that received the request: handlers that
keep counts keep them there, and long-running handlers end when `site.stopping` is set.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

HTML = "text/html; charset=utf-8"


class SiteState:
    """State of one running server: the stop signal and thread-safe named counters."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def bump(self, key: str) -> int:
        """Add one to counter `key` and return its new value."""
        with self._lock:
            self._counts[key] += 1
            return self._counts[key]

    def count(self, key: str) -> int:
        """The value of counter `key` (0 if never bumped)."""
        with self._lock:
            return self._counts[key]

    def reset(self, prefix: str = "") -> None:
        """Forget the counters whose key starts with `prefix` (all of them by default)."""
        with self._lock:
            for key in [k for k in self._counts if k.startswith(prefix)]:
                del self._counts[key]


@dataclass(frozen=True, slots=True)
class Request:
    """One parsed HTTP request; header names are lower-case, repeated parameters keep the first."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    """Values captured by `<name>` segments of the route pattern."""
    site: SiteState = field(default_factory=SiteState)


@dataclass(frozen=True, slots=True)
class Response:
    """One HTTP response; an iterable body is streamed and ends the connection when exhausted."""

    status: int = 200
    body: bytes | str | Iterable[bytes] = b""
    content_type: str = HTML
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def html(
        cls, text: str, status: int = 200, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        """An HTML response."""
        return cls(status, text, HTML, headers)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Response:
        """A JSON response."""
        return cls(status, json.dumps(data, ensure_ascii=False), "application/json")

    @classmethod
    def text(cls, text: str, status: int = 200) -> Response:
        """A plain-text response."""
        return cls(status, text, "text/plain; charset=utf-8")

    @classmethod
    def redirect(
        cls, location: str, status: int = 303, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        """A redirect to `location`, 303 (See Other) unless told."""
        return cls(status, b"", "text/plain", (("Location", location), *headers))


Handler = Callable[[Request], Response]
