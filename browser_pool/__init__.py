"""Chromium discovery and launch, one context per run, bounded pages, clean shutdown."""

from __future__ import annotations

from browser_pool._discovery import find_chromium, playwright_chromium
from browser_pool._pool import LAUNCH_ARGS, BrowserPool, ContextOptions, Lease, Logger
from browser_pool.errors import BrowserCrashed, BrowserPoolError, ChromiumNotFound, NoFreePage

__all__ = [
    "LAUNCH_ARGS",
    "BrowserCrashed",
    "BrowserPool",
    "BrowserPoolError",
    "ChromiumNotFound",
    "ContextOptions",
    "Lease",
    "Logger",
    "NoFreePage",
    "find_chromium",
    "playwright_chromium",
]
