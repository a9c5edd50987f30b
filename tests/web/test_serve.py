"""The API serves the web app at /: index.html for every client-side route with a strict
CSP, hashed assets cached for good, and a page saying how to build the app when it is not."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from fastapi import FastAPI

from api import errors, webapp


def test_index_for_every_route_with_a_strict_csp(api_url: str, bundle: Path) -> None:
    index = (bundle / "index.html").read_text()
    for path in ("/", "/login", "/bots/3f1c", "/bots/3f1c/history", "/executions", "/settings"):
        answer = httpx.get(f"{api_url}{path}")
        assert answer.status_code == 200, path
        assert answer.text == index
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.headers["cache-control"] == "no-cache"
        csp = answer.headers["content-security-policy"]
        assert csp == webapp.APP_CSP
        assert "script-src 'self';" in csp
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp
    # no inline script: the page's only script is the bundle's file
    assert re.findall(r"<script[^>]*>", index) == [
        f'<script type="module" src="{src}">'
        for src in re.findall(r'<script type="module" src="([^"]+)">', index)
    ]
    assert "<style" not in index
    head = httpx.head(f"{api_url}/bots/3f1c")
    assert head.status_code == 200
    assert head.headers["content-security-policy"] == webapp.APP_CSP
    # where the app lived before
    for old, new in (("/app", "/"), ("/app/", "/"), ("/app/bots/3f1c", "/bots/3f1c")):
        moved = httpx.get(f"{api_url}{old}")
        assert (moved.status_code, moved.headers["location"]) == (308, new), old
    # the server's own paths are never the app: an unknown one is a 404
    for path in ("/api/v1/nope", "/viewer/nope", "/assets/nope.js", "/health/x", "/x/y"):
        answer = httpx.get(f"{api_url}{path}")
        assert answer.status_code == 404, path
        assert answer.headers["content-type"] == "application/json", path


def test_the_server_knows_every_route_of_the_app() -> None:
    router = (Path(__file__).resolve().parents[2] / "web/src/router.ts").read_text()
    pages = re.search(r"const PAGES = \[([^\]]*)\]", router)
    assert pages is not None
    firsts = set(re.findall(r'parts\[0\] === "([a-z]+)"', router))
    firsts |= set(re.findall(r'"([a-z]+)"', pages[1]))
    assert firsts == set(webapp.PAGES)


def test_hashed_assets_are_cached(api_url: str, bundle: Path) -> None:
    index = (bundle / "index.html").read_text()
    script = re.search(r'src="(/assets/main-[A-Z0-9]+\.js)"', index)
    style = re.search(r'href="(/assets/main-[A-Z0-9]+\.css)"', index)
    assert script, index
    assert style, index
    for path, media in ((script[1], "text/javascript"), (style[1], "text/css")):
        answer = httpx.get(f"{api_url}{path}")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith(media)
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert answer.content == (bundle / "assets" / path.rsplit("/", 1)[1]).read_bytes()
    assert "new Function" not in httpx.get(f"{api_url}{script[1]}").text
    for missing in ("/assets/main-NOPE.js", "/assets/..%2Findex.html"):
        assert httpx.get(f"{api_url}{missing}").status_code == 404, missing
    # the viewer's pages live under /viewer/, the API where it was
    assert httpx.get(f"{api_url}/viewer").headers["location"] == "/viewer/executions"
    assert httpx.get(f"{api_url}/viewer/executions").headers["location"].startswith("/viewer/login")
    assert httpx.get(f"{api_url}/api/v1/bots").status_code == 401


async def test_without_a_bundle_the_app_says_how_to_build_it(tmp_path: Path) -> None:
    app = FastAPI()
    errors.install(app)
    webapp.install(app, tmp_path)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for path in ("/", "/bots/1"):
            answer = await client.get(path)
            assert answer.status_code == 503
            assert "make setup" in answer.text
            assert answer.headers["content-security-policy"] == "default-src 'none'"
        assert (await client.get("/assets/main-X.js")).status_code == 404
