"""Users and what hangs off an account: tokens, API keys, usage, subscriptions, payments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from store._base import Base, JSONType, created_at_column


def _user_fk() -> ForeignKey:
    """A reference to the owning user: its rows go when it goes."""
    return ForeignKey("users.id", ondelete="CASCADE")


class User(Base):
    """An account; deleting it deletes everything it owns."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Stored lower-cased by the caller; unique as stored.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    plan: Mapped[str] = mapped_column(String(32), default="free", server_default="free")
    limits: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = created_at_column()
    # Every token and session carries the generation it was issued in; bumping it (a password
    # change, signing out everywhere) ends them all at once, even ones no table lists.
    token_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RefreshToken(Base):
    """One issued refresh token; a reused revoked token revokes its whole family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(_user_fk(), index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    family: Mapped[uuid.UUID] = mapped_column(index=True)
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class PageSession(Base):
    """A sign-in to the viewer pages; the cookie holds a token whose hash finds it, so signing
    out ends it here and not only in that browser."""

    __tablename__ = "page_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(_user_fk(), index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class ApiKey(Base):
    """A long-lived key for scripts; only its hash is kept, its prefix finds it."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(_user_fk(), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = created_at_column()
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class MonthlyUsage(Base):
    """What one user consumed in one calendar month (UTC)."""

    __tablename__ = "monthly_usage"
    __table_args__ = (CheckConstraint("month LIKE '____-__'", name="month_format"),)

    user_id: Mapped[uuid.UUID] = mapped_column(_user_fk(), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # 'YYYY-MM'
    executions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rows: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    pages: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    llm_tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Subscription(Base):
    """A user's paid plan at a payment provider."""

    __tablename__ = "subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(_user_fk(), index=True)
    plan: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    current_period_end: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()


class Payment(Base):
    """One charge of a subscription, in the currency's minor unit."""

    __tablename__ = "payments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    provider_ref: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at_column()
