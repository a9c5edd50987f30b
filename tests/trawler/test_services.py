"""Services built from settings: the secret key for data at rest, artifact storage."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from store import LocalArtifacts, SecretUnreadable
from trawler.services import artifact_store, secret_box
from trawler.settings import Settings


def test_the_configured_secret_key_encrypts_and_old_keys_still_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRAWLER_SECRET_KEY", "old-key-0123456789abcdef")
    token = secret_box(Settings()).encrypt(b"proxy-password", b"proxy:1")
    monkeypatch.setenv("TRAWLER_SECRET_KEY", "new-key-0123456789abcdef")
    with pytest.raises(SecretUnreadable):
        secret_box(Settings()).decrypt(token, b"proxy:1")
    monkeypatch.setenv("TRAWLER_PREVIOUS_SECRET_KEYS", '["old-key-0123456789abcdef"]')
    box = secret_box(Settings())
    assert box.decrypt(token, b"proxy:1") == b"proxy-password"
    assert box.needs_rotation(token)
    assert not box.needs_rotation(box.rotate(token, b"proxy:1"))


def test_without_a_key_one_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "trawler.secret"
    token = secret_box(Settings(secret_key_file=path)).encrypt(b"x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_box(Settings(secret_key_file=path)).decrypt(token) == b"x"


def test_artifact_storage_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAWLER_ARTIFACTS__PATH", str(tmp_path))
    local = artifact_store(Settings())
    assert isinstance(local, LocalArtifacts)
    assert local.root == tmp_path
    monkeypatch.setenv("TRAWLER_ARTIFACTS__BACKEND", "s3")
    with pytest.raises(ValueError, match="TRAWLER_ARTIFACTS__S3_BUCKET"):
        artifact_store(Settings())


def test_user_create_makes_an_account_once(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'trawler.db'}"
    env = {**os.environ, "TRAWLER_DATABASE_URL": url, "TRAWLER_NEW_USER_PASSWORD": "long-enough"}

    def trawler(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "trawler", *args], env=env, capture_output=True, text=True
        )

    assert trawler("migrate").returncode == 0
    made = trawler("user", "create", "--email", " Admin@Example.com ", "--plan", "pro")
    assert made.returncode == 0, made.stderr
    assert "created admin@example.com (pro)" in made.stderr  # as it is stored and signed in
    again = trawler("user", "create", "--email", "admin@example.com")
    assert again.returncode == 1
    assert "admin@example.com exists" in again.stderr
    unknown = trawler("user", "create", "--email", "b@example.com", "--plan", "gold")
    assert unknown.returncode == 2
    assert "unknown plan 'gold'" in unknown.stderr


def test_user_create_refuses_what_registering_refuses(tmp_path: Path) -> None:
    """An address login would refuse (no @, a special-use domain) is refused with the reason,
    and so is a password registering would refuse; nothing is created."""
    import os
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'trawler.db'}"
    env = {**os.environ, "TRAWLER_DATABASE_URL": url, "TRAWLER_NEW_USER_PASSWORD": "long-enough"}

    def trawler(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "trawler", *args],
            env={**env, **extra},
            capture_output=True,
            text=True,
        )

    assert trawler("migrate").returncode == 0
    for email, reason in (
        ("admin", "must have an @-sign"),
        ("admin@localhost", "It should have a period"),
        ("admin@trawler.test", "special-use or reserved name"),
    ):
        refused = trawler("user", "create", "--email", email)
        assert refused.returncode == 2, (email, refused.stderr)
        assert "--email" in refused.stderr, email
        assert reason in " ".join(refused.stderr.split()), email  # rich wraps long lines
    short = trawler("user", "create", "--email", "a@example.com", TRAWLER_NEW_USER_PASSWORD="short")
    assert short.returncode == 2
    assert "--password" in short.stderr
    assert "at least 8 characters" in short.stderr
    long = trawler(
        "user", "create", "--email", "a@example.com", TRAWLER_NEW_USER_PASSWORD="x" * 257
    )
    assert long.returncode == 2
    assert "at most 256 characters" in long.stderr
    assert trawler("user", "create", "--email", "a@example.com").returncode == 0
