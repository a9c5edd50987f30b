"""`TRAWLER_API__*`: tokens, cookies and CORS of the REST API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field, model_validator


class PlanLimits(BaseModel):
    """What one plan allows; None is unlimited."""

    executions_per_month: int | None = None
    rows_per_month: int | None = None
    concurrent_executions: int | None = None
    llm_tokens_per_month: int | None = None
    """Tokens, in and out, that llm_extract nodes may spend."""
    min_schedule_interval: timedelta = timedelta(minutes=1)
    requests_per_minute: int = 600


DEFAULT_PLANS = {
    "free": PlanLimits(
        executions_per_month=200,
        rows_per_month=10_000,
        concurrent_executions=1,
        llm_tokens_per_month=200_000,
        min_schedule_interval=timedelta(hours=1),
        requests_per_minute=60,
    ),
    "starter": PlanLimits(
        executions_per_month=2_000,
        rows_per_month=200_000,
        concurrent_executions=3,
        llm_tokens_per_month=5_000_000,
        min_schedule_interval=timedelta(minutes=15),
        requests_per_minute=300,
    ),
    "pro": PlanLimits(
        executions_per_month=20_000,
        rows_per_month=5_000_000,
        concurrent_executions=10,
        llm_tokens_per_month=50_000_000,
        min_schedule_interval=timedelta(minutes=1),
        requests_per_minute=1_200,
    ),
    "enterprise": PlanLimits(requests_per_minute=6_000),
}


class ApiSettings(BaseModel):
    """`TRAWLER_API__*`: tokens, cookies, CORS, plans and rate limits of the REST API."""

    access_ttl: timedelta = Field(timedelta(minutes=15), description="Life of an access token.")
    refresh_ttl: timedelta = Field(timedelta(days=7), description="Life of a refresh token.")
    secure_cookies: bool = Field(
        True, description="Send the refresh cookie over HTTPS only (turn off for plain-HTTP dev)."
    )
    schema_wait: timedelta = Field(
        timedelta(minutes=3),
        description="How long selectors from a model (page and model answer) may take.",
    )
    probe_wait: timedelta = Field(
        timedelta(seconds=30), description="How long a selector test waits for a worker."
    )
    page_session_ttl: timedelta = Field(
        timedelta(hours=12), description="How long a sign-in to the viewer pages lasts."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser: the builder's, and the "
        "extension's chrome-extension://<id>.",
    )
    plans: dict[str, PlanLimits] = Field(
        default_factory=lambda: dict(DEFAULT_PLANS),
        description="Limits by plan name (TRAWLER_API__PLANS as JSON to change them).",
    )
    register_per_address: int = Field(
        10,
        ge=1,
        description="Registration attempts in an hour from one client address (counted before "
        "the password is hashed, so refused ones count too).",
    )
    login_per_address: int = Field(
        30, ge=1, description="Sign-in attempts a minute from one client address, any account."
    )
    login_per_address_account: int = Field(
        10,
        ge=1,
        description="Sign-in attempts in 15 minutes for one account from one client address "
        "(a success starts the count again); past it, only that address waits.",
    )
    login_delay_after: int = Field(
        5,
        ge=1,
        description="Failed sign-ins to one account, from any address, before each further "
        "attempt waits login_delay_base, doubling with each failure; a success starts again.",
    )
    login_delay_base: timedelta = Field(
        timedelta(seconds=1),
        gt=timedelta(0),
        description="The first wait after login_delay_after failed sign-ins to an account.",
    )
    login_delay_max: timedelta = Field(
        timedelta(minutes=5),
        gt=timedelta(0),
        description="The longest wait between sign-in attempts to one account.",
    )
    login_failure_memory: timedelta = Field(
        timedelta(days=1),
        gt=timedelta(0),
        description="How long an account's failed sign-ins count after the last one.",
    )
    login_known_address_ttl: timedelta = Field(
        timedelta(days=30),
        ge=timedelta(0),
        description="An address that signed in to an account within this long skips the "
        "account's wait (failures elsewhere cannot lock its owner out); 0 turns this off.",
    )
    test_wait: timedelta = Field(
        timedelta(seconds=30), description="How long POST /bots/{id}/test waits for rows."
    )

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        if isinstance(data, dict) and "login_per_account" in data:
            raise ValueError(
                "login_per_account is gone (it locked owners out): set "
                "login_per_address_account and login_delay_* instead"
            )
        return data
