"""The web app (the builder and dashboard in `web/`), served at `/`.

`make setup` bundles `web/` with esbuild into `dist/` here (not committed): `index.html` and
content-hashed assets under `dist/assets/`, served at `/assets/`. `/` and every path under the
app's own routes (`PAGES`) get `index.html` (the app routes on the client), never cached, with
a CSP that allows only this origin's scripts and styles: no inline script, no `eval`. Assets
are cached for a year, their names change with their content. Without a bundle, the app's pages
say how to build it.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from api.errors import not_found

__all__ = ["APP_CSP", "DIST", "PAGES", "install"]

DIST = Path(__file__).parent / "dist"
"""Where `web/build.mjs` writes the bundle."""

APP_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_PAGE_HEADERS = {
    "Content-Security-Policy": APP_CSP,
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
_ASSET_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
}
PAGES = ("login", "signup", "bots", "executions", "schedules", "settings")
"""The first segments of the app's own routes (web/src/router.ts): any other path is the
server's, and one no route takes is a plain 404."""
# a hashed asset's name: nothing that could climb out of the folder
_ASSET = re.compile(r"^[A-Za-z0-9_-]+\.(js|css|svg|png|woff2)$")

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>trawler: the web app is not built</title>
</head><body><h1>The web app is not built</h1>
<p>This install serves the API (see <a href="/docs">/docs</a>) and the viewer
(<a href="/viewer/executions">/viewer/executions</a>), but not the web app: its bundle is
missing.</p>
<p>Build it from the source folder with <code>make setup</code> (it needs Node.js and npm),
or <code>cd web &amp;&amp; npm ci &amp;&amp; node build.mjs</code>, then reload this page.</p>
</body></html>
"""


def install(app: FastAPI, folder: Path = DIST) -> None:
    """Serve the bundle in `folder` at `/`; call it after every other route is added."""
    router = APIRouter(include_in_schema=False)

    @router.get("/app")
    @router.get("/app/{route:path}")
    def moved(route: str = "") -> Response:
        return RedirectResponse(f"/{route}", 308)  # where the app lived before

    @router.api_route("/assets/{name:path}", methods=["GET", "HEAD"])
    def asset(name: str) -> Response:
        path = folder / "assets" / name
        if not _ASSET.match(name) or not path.is_file():  # no "/" or "..": it stays in assets
            raise not_found("asset")
        return FileResponse(path, headers=_ASSET_HEADERS)

    def page() -> Response:
        index = folder / "index.html"
        if not index.is_file():
            headers = {"Content-Security-Policy": "default-src 'none'", "Cache-Control": "no-store"}
            return HTMLResponse(NOT_BUILT, 503, headers=headers)
        return HTMLResponse(index.read_bytes(), headers=_PAGE_HEADERS)

    router.add_api_route("/", page, methods=["GET", "HEAD"])
    for first in PAGES:
        router.add_api_route(f"/{first}", page, methods=["GET", "HEAD"])
        router.add_api_route(f"/{first}/{{rest:path}}", page, methods=["GET", "HEAD"])

    app.include_router(router)
