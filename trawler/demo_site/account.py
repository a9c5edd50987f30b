"""`/login`, `/account` and `/logout`: one demo user whose session is a fixed cookie."""

from __future__ import annotations

from html import escape

from .catalog import ORDERS
from .layout import render_page
from .messages import Request, Response

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "trawler"
SESSION_COOKIE = "session"
SESSION_TOKEN = "demo-7f3a9c2e51b84d06"
"""The value of the session cookie after a successful login; a test may set it directly."""


def login(request: Request) -> Response:
    """GET shows the form; POST with the demo credentials sets the cookie and goes to `/account`."""
    if request.method != "POST":
        return Response.html(_login_page())
    username = request.form.get("username", "")
    if username == DEMO_USERNAME and request.form.get("password") == DEMO_PASSWORD:
        cookie = f"{SESSION_COOKIE}={SESSION_TOKEN}; Path=/; HttpOnly; SameSite=Lax"
        return Response.redirect("/account", headers=(("Set-Cookie", cookie),))
    return Response.html(_login_page(username, error="Invalid username or password"))


def account(request: Request) -> Response:
    """The demo user's orders; without the session cookie, a redirect to `/login`."""
    if request.cookies.get(SESSION_COOKIE) != SESSION_TOKEN:
        return Response.redirect("/login")
    rows = "\n".join(
        f'<tr class="order"><td class="order-id">{o.id}</td>'
        f'<td class="date">{o.date.isoformat()}</td><td class="total">{o.total_text}</td>'
        f'<td class="status">{o.status}</td></tr>'
        for o in ORDERS
    )
    body = f"""<h1>Welcome, {DEMO_USERNAME}</h1>
<h2>Your orders</h2>
<table class="orders">
<thead><tr><th>Order</th><th>Date</th><th>Total</th><th>Status</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<p><a class="logout" href="/logout">Sign out</a></p>"""
    return Response.html(render_page("Your account", body))


def logout(request: Request) -> Response:
    """Clears the session cookie and goes home."""
    cookie = f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
    return Response.redirect("/", headers=(("Set-Cookie", cookie),))


def _login_page(username: str = "", error: str = "") -> str:
    message = f'<p class="error" role="alert">{escape(error)}</p>\n' if error else ""
    body = f"""<h1>Sign in</h1>
{message}<form id="login" method="post" action="/login">
<label for="username">Username</label>
<input name="username" id="username" autocomplete="username" value="{escape(username)}">
<label for="password">Password</label>
<input type="password" name="password" id="password" autocomplete="current-password">
<button type="submit" id="submit">Sign in</button>
</form>
<p class="hint">Use <code>{DEMO_USERNAME}</code> / <code>{DEMO_PASSWORD}</code>.</p>"""
    return render_page("Sign in", body)
