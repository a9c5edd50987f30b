"""`create_app(config)`: the FastAPI application, wired in its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

import store
from api import errors, metrics, webapp
from api._config import ApiSettings
from api.deps import Context
from api.ratelimit import Backoff, RateLimiter
from api.routes import (
    auth,
    bots,
    catalog,
    executions,
    health,
    keys,
    live,
    models,
    proxies,
    schedules,
    selectors,
    users,
)
from api.schemas import errors as documented
from api.security import AccessTokens
from api.viewer import pages
from proxies import NetworkPolicy
from worker.dispatch import make_broker, redis_async


@dataclass(frozen=True)
class ApiConfig:
    """What the API needs, built by the composition root from settings."""

    settings: ApiSettings
    database_url: str
    redis_url: str
    signing_key: bytes
    artifacts: store.ArtifactStore
    secrets: store.SecretBox
    policy: NetworkPolicy = field(default_factory=NetworkPolicy)
    """The deployment's network policy: accounts' own proxies must pass it to be saved."""


def create_app(config: ApiConfig) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = store.Database(config.database_url)
        broker = make_broker(config.redis_url)
        client = redis_async(config.redis_url)
        app.state.context = Context(
            settings=config.settings,
            db=db,
            broker=broker,
            tokens=AccessTokens(config.signing_key, config.settings.access_ttl),
            artifacts=config.artifacts,
            secrets=config.secrets,
            redis=client,
            limiter=RateLimiter(client),
            backoff=Backoff(client),
            policy=config.policy,
        )
        try:
            yield
        finally:
            await app.state.context.redis.aclose()
            broker.close()
            await db.dispose()

    app = FastAPI(
        title="trawler",
        version="1",
        summary="Bots, schedules, executions and their results.",
        lifespan=lifespan,
    )
    errors.install(app)
    if config.settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=config.settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key"],
            expose_headers=["ETag", "Retry-After", "Content-Disposition"],
        )
    app.add_middleware(metrics.RequestMetrics)  # the outermost: it sees every answer
    v1 = APIRouter(prefix="/api/v1", responses=documented(400, 401, 404, 422, 429, 500, 503))
    for router in (
        auth.router,
        keys.router,
        users.router,
        bots.router,
        schedules.router,
        executions.router,
        live.router,
        selectors.router,
        proxies.router,
        models.router,
        catalog.router,
    ):
        v1.include_router(router)
    app.include_router(v1)
    app.include_router(health.router)
    app.include_router(metrics.router)
    pages.install(app)
    webapp.install(app)
    return app
