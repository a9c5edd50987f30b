"""Regular expressions a bot brings (transforms `regex` and `replace`, a condition's `matches`),
run with a time limit.

A backtracking pattern such as `(a|aa)+$` takes exponential time on a long run of a's that
ends in a non-match. Python's `re` cannot be interrupted and holds the GIL while it matches,
so one such value froze a whole worker: its event loop, its lease heartbeats and every other
execution on it. Patterns therefore run on the `regex` package, whose `timeout=` stops a match
and which releases the GIL while matching (`concurrent=True`); the engine runs them in its
extraction threads (`engine.offload`), so a slow pattern costs its own step and nothing else.

The limit applies to one pattern on one value, in processor time as `regex` counts it (the
process's: other busy threads end it sooner by the wall clock, a machine busy with other
processes later). `limited()` sets it (and the flag that tells a thread its step stopped
waiting) for the code it wraps; without it, `DEFAULT_LIMIT` applies.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import regex

from engine.errors import PatternTooSlow, StepAbandoned

# A second is ages for one value of a scraped page (a sane pattern takes microseconds to a few
# milliseconds even on a whole page's HTML); bots may change it with `timeouts.pattern_ms`.
DEFAULT_LIMIT = timedelta(seconds=1)

T = TypeVar("T")

Pattern = regex.Pattern[str]
Match = regex.Match[str]
Error = regex.error
"""What a pattern that does not compile raises (also a bad group reference in a replacement)."""


@dataclass(frozen=True, slots=True)
class _Budget:
    limit: timedelta
    stop: threading.Event | None = None


_BUDGET: ContextVar[_Budget | None] = ContextVar("trawler_pattern_budget", default=None)
_DEFAULT = _Budget(DEFAULT_LIMIT)


@contextmanager
def limited(limit: timedelta, stop: threading.Event | None = None) -> Iterator[None]:
    """Within the block, each pattern may take `limit` on one value; once `stop` is set, the
    next pattern raises `StepAbandoned` instead of running."""
    token = _BUDGET.set(_Budget(limit, stop))
    try:
        yield
    finally:
        _BUDGET.reset(token)


@functools.lru_cache(maxsize=512)
def compiled(pattern: str) -> Pattern:
    """The compiled pattern; `regex.error` if it does not compile."""
    return regex.compile(pattern)


def problem(pattern: str) -> str | None:
    """Why `pattern` does not compile, or None when it does."""
    try:
        compiled(pattern)
    except regex.error as exc:
        return f"invalid regular expression '{pattern}': {exc}"
    return None


def _timed(pattern: str, text: str, match: Callable[[Pattern, float], T]) -> T:
    budget = _BUDGET.get() or _DEFAULT
    if budget.stop is not None and budget.stop.is_set():
        raise StepAbandoned("the step stopped waiting for its values")
    seconds = budget.limit.total_seconds()
    try:
        return match(compiled(pattern), seconds)
    except TimeoutError:
        raise PatternTooSlow(pattern, len(text), round(seconds * 1000)) from None


def search(pattern: str, text: str) -> Match | None:
    """The first match of `pattern` in `text`; `PatternTooSlow` past the time limit."""
    return _timed(pattern, text, lambda p, s: p.search(text, timeout=s, concurrent=True))


def sub(pattern: str, replacement: str, text: str) -> str:
    """`text` with every match of `pattern` replaced (`\\1`, `\\g<name>` insert groups)."""
    return _timed(pattern, text, lambda p, s: p.sub(replacement, text, timeout=s, concurrent=True))
