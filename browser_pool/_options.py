"""How one run's context looks to the sites it visits: identity, blocking, optional rotation."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count
from typing import TYPE_CHECKING, Any, TypeVar

from proxies import PlaywrightProxy

if TYPE_CHECKING:
    from playwright.async_api import HttpCredentials

T = TypeVar("T")

# Sites that only measure or advertise; a scrape never needs them and they cost requests.
TRACKER_HOSTS = (
    "google-analytics.com",
    "analytics.google.com",
    "googletagmanager.com",
    "doubleclick.net",
    "googlesyndication.com",
    "googleadservices.com",
    "connect.facebook.net",
    "hotjar.com",
    "hotjar.io",
    "segment.com",
    "segment.io",
    "mixpanel.com",
    "clarity.ms",
)


def _host(host: str) -> tuple[str, ...]:
    return (f"*://{host}/*", f"*://*.{host}/*")


# DevTools URL patterns (`*` is any text). Images, fonts and media go by file extension, so a
# resource served without one still loads; trackers go by host.
BLOCK_PATTERNS: dict[str, tuple[str, ...]] = {
    "images": (
        "*.png*", "*.jpg*", "*.jpeg*", "*.gif*", "*.webp*", "*.svg*", "*.ico*", "*.avif*",
        "*.bmp*",
    ),
    "fonts": ("*.woff*", "*.woff2*", "*.ttf*", "*.otf*", "*.eot*"),
    "media": ("*.mp4*", "*.webm*", "*.mp3*", "*.ogg*", "*.wav*", "*.m4a*", "*.mov*", "*.m3u8*"),
    "stylesheets": ("*.css*",),
    # the Facebook pixel is an image on facebook.com itself: only its /tr endpoint goes
    "trackers": (
        *(pattern for host in TRACKER_HOSTS for pattern in _host(host)),
        "*://*.facebook.com/tr?*",
        "*://*.facebook.com/tr",
    ),
}  # fmt: skip

# Desktop Chrome on three systems; `{major}` becomes the real browser's major version, so the
# claimed version matches the engine the site talks to.
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{major}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{major}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{major}.0.0.0 Safari/537.36",
)
VIEWPORTS = ((1920, 1080), (1536, 864), (1440, 900), (1366, 768), (1280, 800))

HIDE_WEBDRIVER_SCRIPT = (
    "Object.defineProperty(Navigator.prototype, 'webdriver', "
    "{get: () => false, configurable: true});"
)


@dataclass(frozen=True, slots=True)
class Stealth:
    """Identity rotation: each new context takes the next value of every non-empty list.

    It makes a pool's contexts look less alike and drops the `HeadlessChrome` token and
    `navigator.webdriver`; it does not make automation undetectable. An empty list leaves
    the plain `ContextOptions` value in place.
    """

    user_agents: tuple[str, ...] = USER_AGENTS
    viewports: tuple[tuple[int, int], ...] = VIEWPORTS
    locales: tuple[str, ...] = ()
    timezones: tuple[str, ...] = ()
    hide_webdriver: bool = True


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user name and password the context gives a server that asks for them (HTTP Basic or
    Digest); with `origin` (`scheme://host[:port]`), only that origin's challenge is answered."""

    username: str
    password: str = field(repr=False)
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class Dialogs:
    """What confirm() and prompt() return in the context's pages; a None prompt is a Cancel."""

    confirm: bool = True
    prompt: str | None = ""


@dataclass(frozen=True, slots=True)
class ContextOptions:
    """How one run's browser context looks to the sites it visits.

    `block` takes "images", "fonts", "media", "stylesheets" and "trackers". `renewable` lets
    the pool swap the context for a fresh one between pages after many loads (cookies,
    localStorage and IndexedDB carried over); turn it off when the caller keeps something a
    new context would lose, such as a Playwright trace or its own routes on the context.
    `http_credentials` answer a server's 401 challenge; `dialogs` say how every page and frame
    of the context answers confirm() and prompt().
    """

    viewport: tuple[int, int] = (1280, 800)
    user_agent: str | None = None
    locale: str | None = None
    timezone: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    block: frozenset[str] = frozenset()
    proxy: PlaywrightProxy | None = None
    """Where the context's traffic goes: usually the egress proxy, which checks and chains."""
    stealth: Stealth | None = None
    renewable: bool = True
    http_credentials: Credentials | None = None
    dialogs: Dialogs = Dialogs()

    def __post_init__(self) -> None:
        unknown = set(self.block) - set(BLOCK_PATTERNS)
        if unknown:
            raise ValueError(f"unknown kinds to block: {', '.join(sorted(unknown))}")

    def block_patterns(self) -> list[str]:
        """The DevTools URL patterns of the kinds to block."""
        return [p for kind in sorted(self.block) for p in BLOCK_PATTERNS[kind]]


class Rotation:
    """Hands out the stealth values in turn, one step per context."""

    def __init__(self) -> None:
        self._turn = count()

    def context_args(self, options: ContextOptions, browser_version: str) -> dict[str, Any]:
        """Keyword arguments of `Browser.new_context` for these options."""
        viewport, user_agent = options.viewport, options.user_agent
        locale, timezone = options.locale, options.timezone
        stealth = options.stealth
        if stealth is not None:
            turn = next(self._turn)
            major = browser_version.split(".", 1)[0]
            if stealth.user_agents:
                user_agent = _nth(stealth.user_agents, turn).replace("{major}", major)
            viewport = _nth(stealth.viewports, turn) if stealth.viewports else viewport
            locale = _nth(stealth.locales, turn) if stealth.locales else locale
            timezone = _nth(stealth.timezones, turn) if stealth.timezones else timezone
        return {
            "viewport": {"width": viewport[0], "height": viewport[1]},
            "user_agent": user_agent,
            "locale": locale,
            "timezone_id": timezone,
            "extra_http_headers": options.headers or None,
            "accept_downloads": False,
            "proxy": dict(options.proxy) if options.proxy else None,
            "http_credentials": _credentials(options.http_credentials),
        }


def _credentials(credentials: Credentials | None) -> HttpCredentials | None:
    if credentials is None:
        return None
    found: HttpCredentials = {"username": credentials.username, "password": credentials.password}
    if credentials.origin is not None:
        found["origin"] = credentials.origin
    return found


def _nth(values: tuple[T, ...], turn: int) -> T:
    return values[turn % len(values)]
