"""The viewer's pages: sign-in, executions, bots and the replay of one execution.

Pages use a session cookie (`trawler_session`, HttpOnly, SameSite=Lax) holding an opaque token
whose hash finds the session in the store (signing out, a password change or signing out
everywhere ends it there); it is no bearer token for the API. Only reads are open to the
cookie, plus sign-in and sign-out; every change goes through the API. A page without a session
redirects to the sign-in form; the replay's data routes answer 401. Another user's ids answer
404.
"""

from __future__ import annotations

import math
import secrets
import uuid
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Cookie, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

import store
from api.deps import ContextDep, CurrentUser, SessionDep
from api.errors import ApiError, not_found
from api.routes.executions import owned_execution, result_download
from api.routes.live import event_stream
from api.security import digest, new_token
from api.signin import authenticate, client_address
from api.viewer import SNAPSHOT_CSP, render_replay, served_csp
from api.viewer._document import VIEWER, links, run_document

router = APIRouter(prefix=VIEWER, include_in_schema=False)

COOKIE = "trawler_session"
PER_PAGE = 25
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# A scraped page's HTML, in a sandbox of its own (which also stops a meta refresh)
SANDBOXED_SNAPSHOT_CSP = f"sandbox; {SNAPSHOT_CSP}"

_templates = Environment(
    loader=PackageLoader("api.viewer", "templates"),
    autoescape=select_autoescape(default=True),
    auto_reload=False,
)


class SignInFirst(Exception):
    """A page was asked for without a session: the browser goes to the sign-in form."""

    def __init__(self, path: str) -> None:
        self.path = path


def _page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
    html = _templates.get_template(name).render(**values)
    return HTMLResponse(html, status, headers={"Content-Security-Policy": PAGE_CSP})


def _local(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site."""
    # browsers drop tabs and newlines and read "\\" as "/": "/\t/evil.test" is another site
    if (
        not target
        or not target.isprintable()
        or any(c in target for c in " \\")
        or not target.startswith("/")
        or target.startswith("//")
    ):
        return f"{VIEWER}/executions"
    return target


async def _session_user(
    ctx: ContextDep, db: SessionDep, trawler_session: Annotated[str | None, Cookie()] = None
) -> store.User | None:
    if not trawler_session:
        return None
    return await store.page_session_user(db, digest(trawler_session), now=ctx.now())


async def _page_user(
    request: Request, user: Annotated[store.User | None, Depends(_session_user)]
) -> store.User:
    if user is None:
        raise SignInFirst(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return user


async def _data_user(user: Annotated[store.User | None, Depends(_session_user)]) -> store.User:
    if user is None:
        raise ApiError(401, "unauthorized", f"sign in at {VIEWER}/login first")
    return user


PageUser = Annotated[store.User, Depends(_page_user)]
DataUser = Annotated[store.User, Depends(_data_user)]


def _same_origin(request: Request) -> None:
    """A form post from another site is refused (the SameSite cookie aside)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
        raise ApiError(403, "forbidden", "cross-site form posts are refused")


@router.get("/login")
async def login_form(
    user: Annotated[store.User | None, Depends(_session_user)],
    next: Annotated[str | None, Query()] = None,
) -> Response:
    if user is not None:
        return RedirectResponse(_local(next), 303)
    return _page("login.html", user=None, next=_local(next), email="", error=None)


@router.post("/login")
async def login(request: Request, ctx: ContextDep, db: SessionDep) -> Response:
    _same_origin(request)
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    email = form.get("email", [""])[0].strip()
    target = _local(form.get("next", [""])[0])
    try:
        password = form.get("password", [""])[0]
        user = await authenticate(ctx, db, client_address(request), email, password)
    except ApiError as exc:
        values = {"user": None, "next": target, "email": email, "error": exc.message}
        refused = _page("login.html", exc.status, **values)
        if isinstance(exc.details, dict) and exc.details.get("retry_after"):
            refused.headers["Retry-After"] = str(exc.details["retry_after"])
        return refused
    answer = RedirectResponse(target, 303)
    await _open_session(ctx, db, user, answer)
    return answer


async def _open_session(
    ctx: ContextDep, db: store.Session, user: store.User, answer: Response
) -> None:
    now, ttl = ctx.now(), ctx.settings.page_session_ttl
    token, token_hash = new_token()
    await store.forget_expired(db, user.id, now=now)
    await store.add_page_session(db, user, token_hash, expires_at=now + ttl)
    await db.commit()
    answer.set_cookie(
        COOKIE,
        token,
        max_age=int(ttl.total_seconds()),
        httponly=True,
        secure=ctx.settings.secure_cookies,
        samesite="lax",
    )


@router.post("/session", status_code=204)
async def session_for_app(user: CurrentUser, ctx: ContextDep, db: SessionDep) -> Response:
    """The web app opens the viewer for its signed-in user: a viewer session from the app's
    access token (a bearer header, which no other site's page can send)."""
    answer = Response(status_code=204)
    await _open_session(ctx, db, user, answer)
    return answer


@router.post("/logout")
async def logout(
    request: Request,
    ctx: ContextDep,
    db: SessionDep,
    trawler_session: Annotated[str | None, Cookie()] = None,
) -> Response:
    """End this viewer session: its cookie stops working wherever a copy of it is kept."""
    _same_origin(request)
    if trawler_session:
        await store.end_page_session(db, digest(trawler_session), now=ctx.now())
        await db.commit()
    answer = RedirectResponse(f"{VIEWER}/login", 303)
    answer.delete_cookie(COOKIE, httponly=True, samesite="lax")
    return answer


@router.get("")
async def home() -> Response:
    return RedirectResponse(f"{VIEWER}/executions", 303)


def _href(**query: Any) -> str:
    kept = {key: value for key, value in query.items() if value not in (None, "", 1)}
    return f"{VIEWER}/executions" + (f"?{urlencode(kept)}" if kept else "")


@router.get("/executions")
async def executions_page(
    user: PageUser,
    db: SessionDep,
    status: Annotated[store.ExecutionStatus | None, Query()] = None,
    bot: Annotated[uuid.UUID | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    found, total = await store.list_executions(
        db,
        user.id,
        bot_id=bot,
        status=status,
        since=None,
        until=None,
        offset=(page - 1) * PER_PAGE,
        limit=PER_PAGE,
    )
    names = await store.bot_names(db, user.id, [e.bot_id for e in found] + ([bot] if bot else []))
    pages = max(1, math.ceil(total / PER_PAGE))
    filters = [("all", _href(bot=bot), status is None)] + [
        (choice.value.replace("_", " "), _href(bot=bot, status=choice.value), status == choice)
        for choice in store.ExecutionStatus
    ]
    return _page(
        "executions.html",
        user=user,
        executions=found,
        names=names,
        bot_name=names.get(bot) if bot else None,
        filters=filters,
        page=page,
        pages=pages,
        total=total,
        newer=_href(bot=bot, status=status, page=page - 1) if page > 1 else None,
        older=_href(bot=bot, status=status, page=page + 1) if page < pages else None,
    )


@router.get("/bots")
async def bots_page(user: PageUser, db: SessionDep) -> Response:
    bots, _ = await store.list_bots(db, user.id, search=None, offset=0, limit=500)
    return _page("bots.html", user=user, bots=bots)


@router.get("/bots/{bot_id}")
async def bot_page(bot_id: uuid.UUID, user: PageUser, db: SessionDep) -> Response:
    bot = await store.own_bot(db, user.id, bot_id)
    if bot is None:
        raise not_found("bot")
    found, total = await store.list_executions(
        db, user.id, bot_id=bot.id, status=None, since=None, until=None, offset=0, limit=PER_PAGE
    )
    return _page(
        "bot.html",
        user=user,
        bot=bot,
        executions=found,
        names={bot.id: bot.name},
        total=total,
        schedules=await store.list_schedules(db, user.id, bot_id=bot.id),
    )


async def _execution(
    db: store.Session, user: store.User, execution_id: uuid.UUID
) -> tuple[store.Execution, str]:
    execution = await owned_execution(db, user, execution_id)
    names = await store.bot_names(db, user.id, [execution.bot_id])
    return execution, names.get(execution.bot_id, "deleted bot")


@router.get("/executions/{execution_id}/replay")
async def replay_page(execution_id: uuid.UUID, user: PageUser, db: SessionDep) -> Response:
    execution, name = await _execution(db, user, execution_id)
    nonce = secrets.token_urlsafe(16)
    page = render_replay(
        await run_document(db, execution, name), links=links(execution), nonce=nonce
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": served_csp(nonce)})


@router.get("/executions/{execution_id}/run.json")
async def replay_data(execution_id: uuid.UUID, user: DataUser, db: SessionDep) -> Response:
    execution, name = await _execution(db, user, execution_id)
    document = await run_document(db, execution, name)
    return JSONResponse(document, headers={"Cache-Control": "no-store"})


@router.get("/executions/{execution_id}/events")
async def replay_events(
    execution_id: uuid.UUID, user: DataUser, db: SessionDep, ctx: ContextDep
) -> Response:
    await _execution(db, user, execution_id)
    return await event_stream(db, ctx, execution_id)


@router.get("/executions/{execution_id}/rows.csv")
async def replay_rows(
    execution_id: uuid.UUID, user: DataUser, db: SessionDep, ctx: ContextDep
) -> Response:
    execution, _ = await _execution(db, user, execution_id)
    return await result_download(db, ctx.db, execution.id, "csv")


@router.get("/executions/{execution_id}/artifacts/{artifact_id}")
async def artifact(
    execution_id: uuid.UUID,
    artifact_id: uuid.UUID,
    user: DataUser,
    db: SessionDep,
    ctx: ContextDep,
) -> Response:
    """A screenshot, an HTML snapshot (sandboxed, no script) or the Playwright trace."""
    execution, _ = await _execution(db, user, execution_id)
    found = await store.artifact_of(db, execution.id, artifact_id)
    if found is None:
        raise not_found("artifact")
    data = await ctx.artifacts.get(found.storage_key)
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}
    if found.kind == store.ArtifactKind.HTML:
        headers["Content-Security-Policy"] = SANDBOXED_SNAPSHOT_CSP
    elif found.kind == store.ArtifactKind.TRACE:
        headers["Content-Disposition"] = 'attachment; filename="trace.zip"'
    return Response(data, media_type=found.content_type, headers=headers)


def install(app: FastAPI) -> None:
    """Add the pages to `app`, and send a browser without a session to the sign-in form."""

    @app.exception_handler(SignInFirst)
    async def sign_in(request: Request, exc: SignInFirst) -> Response:
        return RedirectResponse(f"{VIEWER}/login?{urlencode({'next': exc.path})}", 303)

    app.include_router(router)
