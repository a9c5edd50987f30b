"""A user's own upstream proxies. The URL (credentials included) is encrypted at rest and bound
to its row and owner; reading returns it decrypted. Validating the URL is the caller's job."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from store._base import Base, JSONType, add_unique, created_at_column
from store.crypto import SecretBox


class UserProxy(Base):
    """One proxy of a user, by a name unique per user; gone with the user."""

    __tablename__ = "user_proxies"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # No index of its own: the unique (user_id, name) index serves lookups by user.
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    url_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    tier: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = created_at_column()
    disabled_reason: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True, slots=True)
class ProxyRecord:
    """A stored proxy with its URL decrypted; `repr()` leaves the URL out."""

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    url: str = field(repr=False)
    tags: tuple[str, ...]
    tier: int
    created_at: datetime
    disabled_reason: str | None


def _associated(row: UserProxy) -> bytes:
    # A token copied to another row or owner no longer decrypts.
    return f"user_proxies:{row.id}:{row.user_id}".encode()


def _record(box: SecretBox, row: UserProxy) -> ProxyRecord:
    return ProxyRecord(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        url=box.decrypt(row.url_encrypted, _associated(row)).decode(),
        tags=tuple(row.tags),
        tier=row.tier,
        created_at=row.created_at,
        disabled_reason=row.disabled_reason,
    )


async def add_user_proxy(
    session: AsyncSession,
    box: SecretBox,
    user_id: uuid.UUID,
    name: str,
    url: str,
    *,
    tags: Iterable[str] = (),
    tier: int = 0,
) -> ProxyRecord:
    """Store a proxy for the user; `Conflict` if the user has one by that name."""
    row = UserProxy(id=uuid.uuid4(), user_id=user_id, name=name, tags=sorted(set(tags)), tier=tier)
    row.url_encrypted = box.encrypt(url.encode(), _associated(row))
    await add_unique(session, row, f"a proxy named {name!r} exists")
    return _record(box, row)


async def user_proxies(
    session: AsyncSession, box: SecretBox, user_id: uuid.UUID, *, enabled_only: bool = False
) -> list[ProxyRecord]:
    """The user's proxies by tier, then name; `SecretUnreadable` if a URL cannot be decrypted."""
    query = select(UserProxy).where(UserProxy.user_id == user_id)
    if enabled_only:
        query = query.where(UserProxy.disabled_reason.is_(None))
    rows = await session.scalars(query.order_by(UserProxy.tier, UserProxy.name))
    return [_record(box, row) for row in rows]


async def own_user_proxy(
    session: AsyncSession, box: SecretBox, user_id: uuid.UUID, proxy_id: uuid.UUID
) -> ProxyRecord | None:
    """The user's proxy by id; another user's id finds nothing."""
    row = await _own(session, user_id, proxy_id)
    return None if row is None else _record(box, row)


async def delete_user_proxy(session: AsyncSession, user_id: uuid.UUID, proxy_id: uuid.UUID) -> bool:
    """Delete the user's proxy; False if the user has none with this id."""
    row = await _own(session, user_id, proxy_id)
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def disable_user_proxy(
    session: AsyncSession, user_id: uuid.UUID, proxy_id: uuid.UUID, reason: str | None
) -> bool:
    """Take the proxy out of use with a reason (`None` puts it back); False if not the user's."""
    row = await _own(session, user_id, proxy_id)
    if row is None:
        return False
    row.disabled_reason = reason
    await session.flush()
    return True


async def _own(session: AsyncSession, user_id: uuid.UUID, proxy_id: uuid.UUID) -> UserProxy | None:
    return await session.scalar(
        select(UserProxy).where(UserProxy.id == proxy_id, UserProxy.user_id == user_id)
    )
