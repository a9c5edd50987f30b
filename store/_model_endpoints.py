"""A user's own language-model endpoints (an OpenAI-compatible API or an Ollama server): the API
key encrypted at rest and bound to its row and owner; reading returns it decrypted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from store._base import Base, add_unique, created_at_column
from store.crypto import SecretBox


class UserModelEndpoint(Base):
    """One model endpoint of a user, by a name unique per user; gone with the user."""

    __tablename__ = "user_model_endpoints"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # "openai" or "ollama"
    base_url: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(200))
    api_key_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    context_tokens: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str | None] = mapped_column(String(8))  # "tools", "json"; None: by kind
    created_at: Mapped[datetime] = created_at_column()


@dataclass(frozen=True, slots=True)
class ModelEndpointRecord:
    """A stored endpoint with its API key decrypted; `repr()` leaves the key out."""

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    kind: str
    base_url: str
    model: str
    api_key: str | None = field(repr=False)
    context_tokens: int
    mode: str | None
    created_at: datetime


def _associated(row: UserModelEndpoint) -> bytes:
    # A key copied to another row or owner no longer decrypts.
    return f"user_model_endpoints:{row.id}:{row.user_id}".encode()


def _record(box: SecretBox, row: UserModelEndpoint) -> ModelEndpointRecord:
    key = row.api_key_encrypted
    return ModelEndpointRecord(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        kind=row.kind,
        base_url=row.base_url,
        model=row.model,
        api_key=None if key is None else box.decrypt(key, _associated(row)).decode(),
        context_tokens=row.context_tokens,
        mode=row.mode,
        created_at=row.created_at,
    )


async def add_model_endpoint(
    session: AsyncSession,
    box: SecretBox,
    user_id: uuid.UUID,
    *,
    name: str,
    kind: str,
    base_url: str,
    model: str,
    api_key: str | None,
    context_tokens: int,
    mode: str | None,
) -> ModelEndpointRecord:
    """Store an endpoint for the user; `Conflict` if the user has one by that name."""
    row = UserModelEndpoint(
        id=uuid.uuid4(),
        user_id=user_id,
        name=name,
        kind=kind,
        base_url=base_url,
        model=model,
        context_tokens=context_tokens,
        mode=mode,
    )
    if api_key:
        row.api_key_encrypted = box.encrypt(api_key.encode(), _associated(row))
    await add_unique(session, row, f"a model endpoint named {name!r} exists")
    return _record(box, row)


async def model_endpoints(
    session: AsyncSession, box: SecretBox, user_id: uuid.UUID
) -> list[ModelEndpointRecord]:
    """The user's endpoints by name; `SecretUnreadable` if a key cannot be decrypted."""
    rows = await session.scalars(
        select(UserModelEndpoint)
        .where(UserModelEndpoint.user_id == user_id)
        .order_by(UserModelEndpoint.name)
    )
    return [_record(box, row) for row in rows]


async def delete_model_endpoint(
    session: AsyncSession, user_id: uuid.UUID, endpoint_id: uuid.UUID
) -> bool:
    """Delete the user's endpoint; False if the user has none with this id."""
    row = await session.scalar(
        select(UserModelEndpoint).where(
            UserModelEndpoint.id == endpoint_id, UserModelEndpoint.user_id == user_id
        )
    )
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True
