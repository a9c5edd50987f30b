"""The proxies package's error tree.

```
ProxiesError
├── NetworkRefused      the network policy refused a target; nothing was sent to it
└── NoProxyAvailable    no upstream proxy is usable now; the request was not sent
```
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from proxies.netpolicy import Refusal


class ProxiesError(Exception):
    """Base of every error the proxies package raises on purpose."""


class NetworkRefused(ProxiesError):
    """The network policy refused the target: no connection was opened to it.

    A bot step that raises it fails without retrying; the same request would be refused again.
    """

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal

    @property
    def rule(self) -> str:
        """The name of the rule that refused, such as "loopback" or "metadata"."""
        return self.refusal.rule


class NoProxyAvailable(ProxiesError):
    """Proxies exist but none fits or is usable now; the request was not sent.

    `retry_at` is when the first cooling proxy comes back, if any does.
    """

    def __init__(
        self, message: str, *, host: str | None = None, retry_at: datetime | None = None
    ) -> None:
        super().__init__(message)
        self.host = host
        self.retry_at = retry_at
