"""Chromium discovery and launch, one context per run, fair leases, recycling, self-healing."""

from __future__ import annotations

from browser_pool._browser import LAUNCH_ARGS
from browser_pool._discovery import find_chromium, playwright_chromium
from browser_pool._lease import Lease, Logger
from browser_pool._metrics import PoolMetrics
from browser_pool._options import (
    BLOCK_PATTERNS,
    TRACKER_HOSTS,
    USER_AGENTS,
    VIEWPORTS,
    ContextOptions,
    Credentials,
    Dialogs,
    Stealth,
)
from browser_pool._pool import BrowserPool
from browser_pool.errors import (
    BrowserCrashed,
    BrowserPoolError,
    ChromiumNotFound,
    NoFreeBrowser,
    NoFreePage,
)

__all__ = [
    "BLOCK_PATTERNS",
    "LAUNCH_ARGS",
    "TRACKER_HOSTS",
    "USER_AGENTS",
    "VIEWPORTS",
    "BrowserCrashed",
    "BrowserPool",
    "BrowserPoolError",
    "ChromiumNotFound",
    "ContextOptions",
    "Credentials",
    "Dialogs",
    "Lease",
    "Logger",
    "NoFreeBrowser",
    "NoFreePage",
    "PoolMetrics",
    "Stealth",
    "find_chromium",
    "playwright_chromium",
]
