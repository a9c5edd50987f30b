"""How the runner tells a step's failure: in words for the user, and whether the browser (not
the bot) failed, so a rerun may succeed."""

from __future__ import annotations

from playwright.async_api import Error as PlaywrightError

from browser_pool import BrowserPoolError, ChromiumNotFound
from engine.errors import StepError, causes

# What Playwright says when the browser process under a page died or was killed.
_BROWSER_GONE = ("Target crashed", "has been closed", "Browser closed", "Connection closed")


def infrastructure(exc: BaseException | None) -> bool:
    """Whether the failure (or its cause) is the browser's, not the bot's: a rerun may well
    succeed."""
    for cause in causes(exc) if exc is not None else ():
        if isinstance(cause, BrowserPoolError):
            return not isinstance(cause, ChromiumNotFound)
        if isinstance(cause, PlaywrightError) and any(m in cause.message for m in _BROWSER_GONE):
            return True
    return False


def describe(exc: BaseException) -> str:
    """What a step's failure says to the user: our errors as they are, Playwright's first line
    with what it waited for."""
    if isinstance(exc, StepError):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, PlaywrightError):
        lines = exc.message.splitlines() if exc.message else [repr(exc)]
        first = lines[0]
        if "has been closed" in first:
            return f"the browser page closed unexpectedly: {first}"
        # Playwright's call log names what it waited for: the selector the user must fix
        waited = next((line.strip(" -") for line in lines if "waiting for " in line), None)
        return f"{first} ({waited})" if waited and "Timeout" in first else first
    return f"{type(exc).__name__}: {exc}"
