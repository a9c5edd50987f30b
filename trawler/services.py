"""Building the long-running services from settings: worker, scheduler and what they share."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid
from pathlib import Path

import store
from api import ApiConfig, check_password, normalize_email
from api.security import hash_password
from browser_pool import BrowserPool
from trawler.settings import Settings
from worker import Scheduler, WorkerConfig, make_broker


def _secret(settings: Settings) -> str:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    return _local_key(settings.secret_key_file)


def secret_box(settings: Settings) -> store.SecretBox:
    """The box for secrets at rest: the configured key, or one kept in a local file."""
    previous = [key.get_secret_value() for key in settings.previous_secret_keys]
    return store.SecretBox.from_secrets(_secret(settings), *previous)


def signing_key(settings: Settings) -> bytes:
    """The key of access tokens: derived from the secret key, distinct from the encryption
    keys (a leak of one use does not give the other)."""
    return hmac.new(_secret(settings).encode(), b"trawler access tokens", hashlib.sha256).digest()


def api_config(settings: Settings) -> ApiConfig:
    return ApiConfig(
        settings=settings.api,
        database_url=settings.database_url,
        redis_url=settings.redis_url,
        signing_key=signing_key(settings),
        artifacts=artifact_store(settings),
        secrets=secret_box(settings),
        policy=settings.network_policy(),
    )


def _local_key(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(32)
        # created readable by its owner only, and never overwritten by a racing process
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(key + "\n")
        return key


def artifact_store(settings: Settings) -> store.ArtifactStore:
    config = settings.artifacts
    if config.backend == "local":
        return store.LocalArtifacts(config.path)
    if not config.s3_bucket:
        raise ValueError("TRAWLER_ARTIFACTS__S3_BUCKET is required with the s3 backend")
    secret = config.s3_secret_access_key
    return store.S3Artifacts.connect(
        config.s3_bucket,
        prefix=config.s3_prefix,
        endpoint_url=config.s3_endpoint_url,
        region=config.s3_region,
        access_key_id=config.s3_access_key_id,
        secret_access_key=secret.get_secret_value() if secret else None,
    )


def worker_config(settings: Settings) -> WorkerConfig:
    def pool() -> BrowserPool:
        return settings.browser.pool()

    return WorkerConfig(
        settings=settings.worker,
        database_url=settings.database_url,
        redis_url=settings.redis_url,
        artifacts=artifact_store(settings),
        pool=pool,
        policy=settings.network_policy(),
        proxies=settings.proxies,
        secrets=secret_box(settings),
        models=settings.llm.models(),
        plan_limits={name: plan.model_dump() for name, plan in settings.api.plans.items()},
    )


def scheduler(settings: Settings) -> Scheduler:
    return Scheduler(
        db=store.Database(settings.database_url),
        broker=make_broker(settings.redis_url, redelivery_after=settings.worker.redelivery_after),
        settings=settings.scheduler,
        worker=settings.worker,
        artifacts=artifact_store(settings),
        plan_limits={name: plan.model_dump() for name, plan in settings.api.plans.items()},
    )


async def create_user(settings: Settings, email: str, password: str, plan: str) -> uuid.UUID:
    """An account, as registering would make it but on any plan; ValueError if it exists, or
    if registering would refuse the email or the password (saying why)."""
    email = normalize_email(email)
    check_password(password)
    db = store.Database(settings.database_url)
    try:
        async with db.transaction() as session:
            user = await store.create_user(session, email, hash_password(password), plan=plan)
        return user.id
    except store.Conflict as exc:
        raise ValueError(str(exc)) from None
    finally:
        await db.dispose()
