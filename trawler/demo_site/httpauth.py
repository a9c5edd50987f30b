"""`/basic` and `/digest`: a members page behind HTTP Basic and Digest authentication.

Both take the demo user (`DEMO_USERNAME` / `DEMO_PASSWORD`); without valid credentials they
answer 401 with their challenge, as a site behind a web server's password does. The site
counts the answers: `basic:200`, `basic:401`, `digest:200`, `digest:401`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from html import escape

from .account import DEMO_PASSWORD, DEMO_USERNAME
from .layout import render_page
from .messages import Request, Response

REALM = "trawler demo"
NONCE = "7c2f6a1e9b0d4c3a8e5f"
"""The Digest nonce: fixed, since the demo only shows the exchange (a real server rotates it)."""

_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')


def basic(request: Request) -> Response:
    """The members page for `Authorization: Basic` with the demo credentials, else a 401."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            username, _, password = base64.b64decode(token).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            username = password = ""
        if username == DEMO_USERNAME and password == DEMO_PASSWORD:
            return _members(request, "Basic")
    return _challenge(request, f'Basic realm="{REALM}", charset="UTF-8"')


def digest(request: Request) -> Response:
    """The members page for a valid `Authorization: Digest` (MD5, qop=auth), else a 401."""
    scheme, _, rest = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "digest":
        params = {m[1].lower(): m[2] or m[3] for m in _PARAM.finditer(rest)}
        if params.get("username") == DEMO_USERNAME and params.get("response") == _expected(
            request.method, params
        ):
            return _members(request, "Digest")
    return _challenge(
        request, f'Digest realm="{REALM}", qop="auth", algorithm=MD5, nonce="{NONCE}"'
    )


def _expected(method: str, params: dict[str, str]) -> str | None:
    if params.get("nonce") != NONCE or params.get("realm") != REALM or "uri" not in params:
        return None
    ha1 = _md5(f"{DEMO_USERNAME}:{REALM}:{DEMO_PASSWORD}")
    ha2 = _md5(f"{method}:{params['uri']}")
    if params.get("qop") == "auth":
        nc, cnonce = params.get("nc", ""), params.get("cnonce", "")
        return _md5(f"{ha1}:{NONCE}:{nc}:{cnonce}:auth:{ha2}")
    return _md5(f"{ha1}:{NONCE}:{ha2}")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()  # Digest's MD5


def _members(request: Request, scheme: str) -> Response:
    request.site.bump(f"{scheme.lower()}:200")
    body = f"""<h1>Members</h1>
<p class="who">{escape(DEMO_USERNAME)}</p>
<p class="scheme">{scheme}</p>"""
    return Response.html(render_page("Members", body))


def _challenge(request: Request, challenge: str) -> Response:
    request.site.bump(f"{challenge.split()[0].lower()}:401")
    body = "<h1>Unauthorized</h1>\n<p>This page needs a user name and a password.</p>"
    return Response.html(
        render_page("Unauthorized", body), 401, headers=(("WWW-Authenticate", challenge),)
    )
