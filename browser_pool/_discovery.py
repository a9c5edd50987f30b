"""Finding a Chromium: Playwright's own build first, else the system's."""

from __future__ import annotations

import os
from pathlib import Path

# the Debian wrappers in /usr/bin are shell scripts that do not always `exec`; launching the
# real binary keeps Chromium a direct child of the driver, so closing it leaves no orphan
SYSTEM_HEADLESS = (
    Path("/usr/lib/chromium/chromium-headless-shell"),
    Path("/usr/bin/chromium-headless-shell"),
)
SYSTEM_FULL = (
    Path("/usr/lib/chromium/chromium"),
    Path("/usr/bin/chromium"),
    Path("/usr/bin/chromium-browser"),
    Path("/usr/bin/google-chrome"),
)


def _playwright_dir() -> Path:
    configured = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if configured and configured != "0":
        return Path(configured)
    return Path.home() / ".cache" / "ms-playwright"


def _newest(pattern: str) -> Path | None:
    found = sorted(_playwright_dir().glob(pattern), reverse=True)
    return next((p for p in found if p.is_file() and os.access(p, os.X_OK)), None)


def playwright_chromium(headless: bool) -> Path | None:
    """Playwright's own Chromium (its headless shell for headless runs), if installed."""
    if headless:
        shell = _newest("chromium_headless_shell-*/chrome-*/chrome-headless-shell")
        shell = shell or _newest("chromium_headless_shell-*/chrome-*/headless_shell")
        if shell:
            return shell
    return _newest("chromium-*/chrome-*/chrome")


def find_chromium(headless: bool = True) -> Path | None:
    """The Chromium to launch: Playwright's, else the system's headless shell or full build."""
    own = playwright_chromium(headless)
    if own:
        return own
    candidates = (*SYSTEM_HEADLESS, *SYSTEM_FULL) if headless else SYSTEM_FULL
    return next((p for p in candidates if p.is_file() and os.access(p, os.X_OK)), None)
