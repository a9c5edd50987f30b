"""Passwords (argon2id), access tokens (JWT, HS256 only), opaque refresh and viewer-session
tokens, API keys."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
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


def new_token() -> tuple[str, str]:
    """An opaque token for a cookie (a refresh token, a viewer session), and the hash the
    store keeps."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Claims:
    """Whose a valid access token is, and the token generation it was issued in."""

    user_id: uuid.UUID
    generation: int


class AccessTokens:
    """Short-lived bearer tokens; only HS256 is accepted (no `alg: none`, no key confusion).

    Each names the user's token generation: once the user's generation moves on (a password
    change, signing out everywhere) the token is refused before it expires.
    """

    ALGORITHM = "HS256"
    TYPE = "access"

    def __init__(self, key: bytes, ttl: timedelta) -> None:
        self.key = key
        self.ttl = ttl

    def issue(self, user_id: uuid.UUID, generation: int, now: datetime) -> str:
        """A token for `user_id` in its token `generation`."""
        claims = {
            "sub": str(user_id),
            "gen": generation,
            "iat": now,
            "exp": now + self.ttl,
            "typ": self.TYPE,
        }
        return jwt.encode(claims, self.key, algorithm=self.ALGORITHM)

    def read(self, token: str) -> Claims | None:
        """The claims of a valid, unexpired access token; None otherwise."""
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=[self.ALGORITHM],
                options={"require": ["sub", "gen", "exp", "iat", "typ"]},
            )
            if claims["typ"] != self.TYPE or not isinstance(claims["gen"], int):
                return None
            return Claims(uuid.UUID(claims["sub"]), claims["gen"])
        except (jwt.InvalidTokenError, ValueError, TypeError):
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
