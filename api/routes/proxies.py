"""A user's own proxies: stored encrypted, shown without their passwords, used by their runs
before the deployment's. They are user input: a host the network policy refuses (loopback,
private, metadata… in any spelling, or a name resolving there) is refused when the proxy is
saved or enabled, and again at every connection the worker makes through it."""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import urlsplit

from fastapi import APIRouter
from pydantic import Field, field_validator

import store
from api.deps import ContextDep, CurrentUser, SessionDep
from api.errors import ApiError, not_found
from api.schemas import Request, Response, errors
from proxies import NetworkPolicy, Proxy, check_proxy

router = APIRouter(prefix="/proxies", tags=["proxies"])


class ProxyIn(Request):
    name: str = Field(min_length=1, max_length=100, examples=["residential de"])
    url: str = Field(
        min_length=1,
        max_length=2000,
        description="http://, https:// or socks5://, with user:password@ if it needs them. "
        "Its host must pass the network policy, as pages do.",
        examples=["http://user:secret@proxy.example:8080"],
    )
    tags: list[str] = Field(
        default_factory=list, max_length=20, examples=[["residential", "country:de"]]
    )
    tier: int = Field(0, ge=0, le=9, description="0 is tried first; higher tiers on a block.")

    @field_validator("url")
    @classmethod
    def _parses(cls, url: str) -> str:
        Proxy(url)  # raises ValueError naming the scheme and host, never the password
        return url


class ProxyState(Request):
    disabled: bool = Field(description="True: runs stop using it until it is enabled again.")


class ProxyOut(Response):
    id: uuid.UUID
    name: str
    url: str = Field(description="The URL with its password hidden.")
    tags: list[str]
    tier: int
    created_at: datetime
    disabled_reason: str | None


def _out(record: store.ProxyRecord) -> ProxyOut:
    return ProxyOut(
        id=record.id,
        name=record.name,
        url=_redacted(record.url),
        tags=list(record.tags),
        tier=record.tier,
        created_at=record.created_at,
        disabled_reason=record.disabled_reason,
    )


def _redacted(url: str) -> str:
    try:
        return Proxy(url).redacted
    except ValueError:  # saved before a rule it breaks: show it without its credentials
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _same(stored: str, url: str) -> bool:
    try:
        return Proxy(stored).url == url
    except ValueError:
        return False


async def _allowed(policy: NetworkPolicy, url: str, field: str) -> None:
    """422 naming `field` and the rule when the network policy refuses the proxy's host."""
    refusal = await check_proxy(policy, Proxy(url))
    if refusal is not None:
        message = f"the network policy refuses this proxy: {refusal}"
        detail = {"field": field, "message": message, "rule": refusal.rule}
        raise ApiError(422, "invalid_request", message, [detail])


@router.get("")
async def list_proxies(user: CurrentUser, db: SessionDep, ctx: ContextDep) -> list[ProxyOut]:
    return [_out(record) for record in await store.user_proxies(db, ctx.secrets, user.id)]


@router.post("", status_code=201, responses=errors(409, 422))
async def add_proxy(body: ProxyIn, user: CurrentUser, db: SessionDep, ctx: ContextDep) -> ProxyOut:
    """Store a proxy, its URL encrypted; a name or URL the user already has answers 409, a
    host the network policy refuses 422 with the rule (`loopback`, `private`, `metadata`…)."""
    await _allowed(ctx.policy, body.url, "body.url")
    url = Proxy(body.url).url
    for record in await store.user_proxies(db, ctx.secrets, user.id):
        if _same(record.url, url):
            raise ApiError(409, "conflict", f"this proxy exists already, named {record.name!r}")
    try:
        record = await store.add_user_proxy(
            db, ctx.secrets, user.id, body.name, body.url, tags=body.tags, tier=body.tier
        )
    except store.Conflict as exc:
        raise ApiError(409, "conflict", f"a proxy named {body.name!r} exists already") from exc
    await db.commit()
    return _out(record)


@router.put("/{proxy_id}/state", responses=errors(404, 422))
async def set_proxy_state(
    proxy_id: uuid.UUID, body: ProxyState, user: CurrentUser, db: SessionDep, ctx: ContextDep
) -> ProxyOut:
    """Disable or enable a proxy; enabling checks its host against the network policy again
    (422 with the rule), as it may have been disabled for a refused address."""
    if not body.disabled:
        record = await store.own_user_proxy(db, ctx.secrets, user.id, proxy_id)
        if record is None:
            raise not_found("proxy")
        await _allowed(ctx.policy, record.url, "url")
    reason = "disabled by its owner" if body.disabled else None
    if not await store.disable_user_proxy(db, user.id, proxy_id, reason):
        raise not_found("proxy")
    await db.commit()
    record = await store.own_user_proxy(db, ctx.secrets, user.id, proxy_id)
    if record is None:
        raise not_found("proxy")
    return _out(record)


@router.delete("/{proxy_id}", status_code=204)
async def delete_proxy(proxy_id: uuid.UUID, user: CurrentUser, db: SessionDep) -> None:
    if not await store.delete_user_proxy(db, user.id, proxy_id):
        raise not_found("proxy")
    await db.commit()
