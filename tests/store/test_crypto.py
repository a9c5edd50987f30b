"""Secrets at rest: AES-256-GCM round trips, tampering, binding to a record, key rotation."""

from __future__ import annotations

import pytest

from store import SecretBox, SecretUnreadable

OLD = "an old secret key of the deployment"
NEW = "the new secret key of the deployment"


def test_round_trip_and_fresh_nonces() -> None:
    box = SecretBox.from_secrets(NEW)
    first, second = box.encrypt(b"hunter2"), box.encrypt(b"hunter2")
    assert first != second
    assert b"hunter2" not in first
    assert box.decrypt(first) == box.decrypt(second) == b"hunter2"


def test_tampering_is_detected() -> None:
    box = SecretBox.from_secrets(NEW)
    token = bytearray(box.encrypt(b"proxy-password"))
    token[-1] ^= 1
    with pytest.raises(SecretUnreadable, match="altered"):
        box.decrypt(bytes(token))


def test_a_token_is_bound_to_its_record() -> None:
    box = SecretBox.from_secrets(NEW)
    token = box.encrypt(b"webhook-secret", associated=b"export_destinations:1")
    assert box.decrypt(token, associated=b"export_destinations:1") == b"webhook-secret"
    with pytest.raises(SecretUnreadable):
        box.decrypt(token, associated=b"export_destinations:2")


def test_rotation() -> None:
    old_box = SecretBox.from_secrets(OLD)
    token = old_box.encrypt(b"oauth-token")
    box = SecretBox.from_secrets(NEW, OLD)  # new key first, old one still readable
    assert box.decrypt(token) == b"oauth-token"
    assert box.needs_rotation(token)
    rotated = box.rotate(token)
    assert not box.needs_rotation(rotated)
    assert SecretBox.from_secrets(NEW).decrypt(rotated) == b"oauth-token"
    with pytest.raises(SecretUnreadable, match="lacks"):
        old_box.decrypt(rotated)


def test_bad_keys_and_tokens() -> None:
    with pytest.raises(ValueError, match="16 characters"):
        SecretBox.from_secrets("short")
    with pytest.raises(ValueError, match="32 bytes"):
        SecretBox([b"x" * 16])
    with pytest.raises(SecretUnreadable, match="not a trawler secret"):
        SecretBox.from_secrets(NEW).decrypt(b"plain text")
