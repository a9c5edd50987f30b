"""Passwords (argon2id), access tokens (JWT, HS256 only) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended cost


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the email is unknown, so both answers take the same time.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def new_refresh_token() -> tuple[str, str]:
    """A refresh token for the client's cookie, and the hash the store keeps."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccessTokens:
    """Short-lived bearer tokens; only HS256 is accepted (no `alg: none`, no key confusion)."""

    ALGORITHM = "HS256"

    def __init__(self, key: bytes, ttl: timedelta) -> None:
        self.key = key
        self.ttl = ttl

    def issue(
        self,
        user_id: uuid.UUID,
        now: datetime,
        *,
        typ: str = "access",
        ttl: timedelta | None = None,
    ) -> str:
        """A token for `user_id`; `typ` "page" for the viewer's session cookie, which is no
        bearer token and the other way round."""
        expires = now + (ttl or self.ttl)
        claims = {"sub": str(user_id), "iat": now, "exp": expires, "typ": typ}
        return jwt.encode(claims, self.key, algorithm=self.ALGORITHM)

    def read(self, token: str, *, typ: str = "access") -> uuid.UUID | None:
        """The user id of a valid, unexpired token of this type; None otherwise."""
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=[self.ALGORITHM],
                options={"require": ["sub", "exp", "iat", "typ"]},
            )
            if claims["typ"] != typ:
                return None
            return uuid.UUID(claims["sub"])
        except (jwt.InvalidTokenError, ValueError):
            return None


API_KEY_PREFIX = "trw_"


def new_api_key() -> tuple[str, str, str]:
    """A key to show once, its public prefix (how it is found), and the hash the store keeps."""
    prefix = secrets.token_hex(6)
    key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, digest(key)


def api_key_prefix(key: str) -> str | None:
    """The prefix of something shaped like an API key, else None."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    prefix, _, rest = key.removeprefix(API_KEY_PREFIX).partition("_")
    return prefix if len(prefix) == 12 and rest else None
