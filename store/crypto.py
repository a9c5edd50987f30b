"""Secrets at rest: AES-256-GCM under keys derived from the deployment's secret key.

A token is `version (1) | key id (4) | nonce (12) | ciphertext+tag`. The first key encrypts;
every key decrypts, so a new secret key can be introduced with the old ones kept for reading,
and `rotate` re-encrypts a token under the current key.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from store.errors import SecretUnreadable

VERSION = b"\x01"
_INFO = b"trawler secrets at rest v1"


def derive_key(secret_key: str) -> bytes:
    """A 256-bit encryption key from the deployment's secret key (HKDF-SHA256)."""
    if len(secret_key) < 16:
        raise ValueError("the secret key must be at least 16 characters long")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:4]


class SecretBox:
    """Encrypts with the first key, decrypts with any; `associated` binds a token to its row."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("SecretBox needs at least one key")
        if any(len(k) != 32 for k in keys):
            raise ValueError("keys must be 32 bytes (AES-256)")
        self._keys = {_key_id(k): AESGCM(k) for k in keys}
        self._current = _key_id(keys[0])

    @classmethod
    def from_secrets(cls, current: str, *previous: str) -> SecretBox:
        """A box for the secret key in use and the ones it replaced (still readable)."""
        return cls([derive_key(s) for s in (current, *previous)])

    def encrypt(self, plaintext: bytes, associated: bytes = b"") -> bytes:
        nonce = os.urandom(12)
        sealed = self._keys[self._current].encrypt(nonce, plaintext, associated)
        return VERSION + self._current + nonce + sealed

    def decrypt(self, token: bytes, associated: bytes = b"") -> bytes:
        if len(token) < 1 + 4 + 12 + 16 or token[:1] != VERSION:
            raise SecretUnreadable("not a trawler secret token")
        key = self._keys.get(token[1:5])
        if key is None:
            raise SecretUnreadable("the secret was encrypted with a key this deployment lacks")
        try:
            return key.decrypt(token[5:17], token[17:], associated)
        except InvalidTag:
            raise SecretUnreadable("the secret was altered or belongs to another record") from None

    def needs_rotation(self, token: bytes) -> bool:
        """True when the token was encrypted with an older key."""
        return token[1:5] != self._current

    def rotate(self, token: bytes, associated: bytes = b"") -> bytes:
        """The same secret, encrypted under the current key."""
        return self.encrypt(self.decrypt(token, associated), associated)
