"""The engine's error tree.

```
EngineError
├── WorkflowInvalid        the bot document is wrong; nothing ran (CLI exit 2, API 422)
├── PathNotFound           a clicked element's path is not in the page; nothing is suggested
├── NothingAtPoint         nothing pickable under a point of a screenshot; nothing is suggested
├── NotInItem              a clicked element is in none of a list's items; nothing is suggested
└── StepError              one node failed; the runner applies the node's retry/on-error policy
    ├── NavigationError    a page could not be loaded (DNS, refused, timeout, HTTP status)
    │   ├── Refused        the network policy refused the page's address; never retried
    │   └── CredentialsRefused  the site refused the bot's http_credentials; never retried
    ├── NeedsBrowser       a node needs the browser renderer but the run is HTTP-only
    ├── SelectorError      a selector does not parse or cannot be evaluated
    ├── PatternTooSlow     a regular expression ran past its time limit on one value
    ├── StepAbandoned      the step stopped waiting for work it had sent to a thread
    └── VariableError      a {{variable}} has no value at run time
```
`StepFailed` carries a failure whose policy is `fail` up to the run, which ends failed.
`LimitReached` is not an error: it stops the run early with status succeeded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


@dataclass(frozen=True, slots=True)
class Issue:
    """One thing wrong with a bot document, located by node id and field path."""

    message: str
    node_id: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = []
        if self.node_id is not None:
            where.append(f"node {self.node_id!r}")
        if self.field:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class WorkflowInvalid(EngineError):
    """The bot document is invalid; raising it means nothing ran."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("invalid bot:\n" + "\n".join(f"  - {i}" for i in issues))


class PathNotFound(EngineError):
    """A clicked element's path is not in the page's HTML; no selector is suggested."""


class NothingAtPoint(EngineError):
    """No element can be picked under a point of the page's screenshot (empty space, a frame,
    a closed shadow root); nothing is suggested. `point` is the point's 0-based index."""

    def __init__(self, message: str, point: int) -> None:
        self.point = point
        super().__init__(message)


class NotInItem(EngineError):
    """A clicked element is inside none of the items an item selector matches (or is one);
    no field selector is suggested."""


class StepError(EngineError):
    """A node failed; the runner retries it or applies its on-error policy."""

    retryable: bool = True


TRANSIENT_STATUSES = frozenset((408, 425, 429, 500, 502, 503, 504))
"""Answers that say "not now" rather than "not here": a load is tried again after them."""


class NavigationError(StepError):
    """A page could not be loaded; the message names the URL and the cause. `transient`: a
    timeout, a dropped connection or a "not now" status, which a later load may get past;
    `retry_after`: the seconds the site asked to wait (Retry-After), if it did; `challenge`:
    the WWW-Authenticate header of a 401, if it had one."""

    def __init__(
        self,
        message: str,
        url: str,
        status: int | None = None,
        *,
        transient: bool = False,
        retry_after: float | None = None,
        challenge: str | None = None,
    ) -> None:
        self.url = url
        self.status = status
        self.transient = transient or status in TRANSIENT_STATUSES
        self.retry_after = retry_after
        self.challenge = challenge
        super().__init__(message)


class Refused(NavigationError):
    """The network policy refused where the page is (its URL, a redirect hop or what its name
    resolved to); nothing was sent there, and a retry would be refused again."""

    retryable = False

    def __init__(self, message: str, url: str, rule: str) -> None:
        self.rule = rule
        super().__init__(message, url)


class CredentialsRefused(NavigationError):
    """The site answered the bot's http_credentials with another 401: a retry would send the
    same ones (and may lock the account), so the step fails at once."""

    retryable = False


class NeedsBrowser(StepError):
    """A node needs a browser page but the run uses the HTTP renderer; retrying cannot help."""

    retryable = False


class SelectorError(StepError):
    """A selector does not parse or cannot be evaluated; the step fails without a retry."""

    retryable = False


class PatternTooSlow(StepError):
    """A regular expression ran past its time limit on one value; the step fails without a
    retry (the same value would be as slow again), then the node's on_error policy applies."""

    retryable = False

    def __init__(self, pattern: str, chars: int, limit_ms: int, field: str | None = None) -> None:
        self.pattern = pattern
        self.chars = chars
        self.limit_ms = limit_ms
        self.field = field
        where = f"field {field!r}: " if field else ""
        super().__init__(
            f"{where}the pattern '{pattern}' took longer than {limit_ms} ms on a value of "
            f"{chars} characters"
        )

    def within(self, name: str) -> PatternTooSlow:
        """The same error, located in field `name` (around the sub-field it names already)."""
        field = f"{name}.{self.field}" if self.field else name
        return PatternTooSlow(self.pattern, self.chars, self.limit_ms, field)


class StepAbandoned(StepError):
    """Raised in a worker thread whose step stopped waiting (timed out or cancelled): the
    thread stops early; nobody reads the error."""

    retryable = False


class VariableError(StepError):
    """A {{variable}} has no value at run time; retrying cannot help."""

    retryable = False


class StepFailed(EngineError):
    """A node failed for good under the `fail` policy; the run ends failed, rows kept."""

    def __init__(self, message: str, node_id: str) -> None:
        self.node_id = node_id
        super().__init__(message)


class RunCancelled(EngineError):
    """Cancellation was requested; the run stops before its next step, rows kept."""


class LimitReached(Exception):
    """The run hit max pages or max rows; the runner stops and keeps what was collected."""


def causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and those it was raised from or while handling, nearest first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
