"""The browser pool's error tree.

```
BrowserPoolError
├── ChromiumNotFound   no Chromium to launch; nothing can run in the browser (fix the install)
├── BrowserCrashed     the browser died under a page; the page's work may be retried
├── NoFreePage         every page slot of the run's browser stayed in use for the whole wait
└── NoFreeBrowser      every browser stayed at its context cap for the whole wait
```
"""

from __future__ import annotations


class BrowserPoolError(Exception):
    """Base of the pool's errors."""


class ChromiumNotFound(BrowserPoolError):
    """No Chromium was found; browser runs cannot start until one is installed."""

    def __init__(self) -> None:
        super().__init__(
            "no Chromium found: run `make demo` (installs one), or `playwright install chromium`, "
            "or `apt-get install chromium chromium-headless-shell`, "
            "or set TRAWLER_BROWSER__EXECUTABLE"
        )


class BrowserCrashed(BrowserPoolError):
    """The browser process died; pages it held are gone and may be retried on a new one."""


class NoFreePage(BrowserPoolError):
    """Every page slot of the run's browser stayed taken for the whole wait; the page was not
    opened."""


class NoFreeBrowser(BrowserPoolError):
    """Every browser stayed at its context cap for the whole wait; the run got no context and
    may be retried later."""
