"""Request and response bodies; requests refuse unknown fields."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.credentials import Email, Password

T = TypeVar("T")

EXAMPLE_WORKFLOW: dict[str, Any] = {
    "name": "shop catalog",
    "settings": {"renderer": "http"},
    "nodes": [
        {"id": "open", "type": "navigate", "data": {"url": "https://shop.example/list"}},
        {
            "id": "rows",
            "type": "extract",
            "data": {
                "item_selector": "li.product",
                "fields": [{"name": "name", "selector": "a.title"}],
            },
        },
    ],
    "edges": [{"source": "open", "target": "rows"}],
}


def _no_nul(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL characters are not allowed")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key)
            _no_nul(item)
    elif isinstance(value, list):
        for item in value:
            _no_nul(item)


class Request(BaseModel):
    """A request body: unknown fields and NUL characters (which no database keeps) refused."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        _no_nul(data)
        return data


class Response(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable, machine-readable: not_found, quota_exceeded, ...")
    message: str = Field(description="For people.")
    details: Any = Field(
        None, description="Which fields were wrong, or which limit was hit and when it resets."
    )


class ErrorBody(BaseModel):
    """The shape of every error answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "quota_exceeded",
                        "message": "the free plan allows 200 executions a month",
                        "details": {
                            "limit": "executions_per_month",
                            "allowed": 200,
                            "used": 200,
                            "resets_at": "2026-12-01T00:00:00Z",
                        },
                    }
                }
            ]
        }
    )

    error: ErrorInfo


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, all with the one error shape."""
    return {status: {"model": ErrorBody} for status in statuses}


class Credentials(Request):
    email: Email = Field(examples=["ada@example.com"])
    password: Password = Field(examples=["correct horse battery"])


class UserOut(Response):
    id: uuid.UUID
    email: str
    plan: str
    created_at: datetime


class AccessToken(Response):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class BotIn(Request):
    name: str = Field(min_length=1, max_length=200, examples=["shop catalog"])
    description: str = Field("", max_length=5000)
    workflow: dict[str, Any] = Field(
        description="The bot document, as `trawler validate` takes it.",
        examples=[EXAMPLE_WORKFLOW],
    )


class BotUpdate(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "shop catalog (daily)", "workflow": EXAMPLE_WORKFLOW}]
        }
    )

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    workflow: dict[str, Any] | None = Field(
        None, description="A new workflow makes a new version; earlier ones are kept."
    )


class BotOut(Response):
    id: uuid.UUID
    name: str
    description: str
    current_version: int | None
    created_at: datetime
    updated_at: datetime


class LastExecution(Response):
    """A bot's newest execution, as the bots listing shows it."""

    id: uuid.UUID
    status: str
    rows: int = Field(description="Rows it stored; counted when it finishes.")
    created_at: datetime
    finished_at: datetime | None


class BotSummary(BotOut):
    last_execution: LastExecution | None = Field(
        description="The bot's newest execution (whatever its status); null if it never ran."
    )


class BotDetail(BotOut):
    workflow: dict[str, Any]


class VersionOut(Response):
    version: int
    created_at: datetime
    workflow: dict[str, Any]


class Page(Response, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


class ExecutionStarted(Response):
    execution_id: uuid.UUID
    status: str


class LlmUsageOut(Response):
    model: str
    calls: int
    tokens_in: int
    tokens_out: int
    latency_ms: float


class StepOut(Response):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "step": 2,
                    "node_id": "rows",
                    "node_type": "extract",
                    "url": "https://shop.example/list",
                    "status": "succeeded",
                    "duration_ms": 184,
                    "rows": 24,
                    "attempts": 1,
                    "error": None,
                    "note": "loaded https://shop.example/list on attempt 2 of 3",
                }
            ]
        }
    )

    step: int
    node_id: str
    node_type: str
    url: str | None
    status: str
    duration_ms: int | None
    rows: int
    attempts: int
    error: str | None
    note: str | None = Field(
        None,
        description="Why a loop stopped, a switch of renderer, a page loaded again after a "
        "transient failure.",
    )
    llm: LlmUsageOut | None = Field(None, description="The step's language-model calls.")


class ExecutionOut(Response):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b9f3c5e-7d1a-4c1e-9a51-2f3b8d6e4a10",
                    "bot_id": "5d0c7a52-3b8e-4f0a-8c7d-1e2f3a4b5c6d",
                    "bot_version_id": "9e8d7c6b-5a49-4837-8261-5f4e3d2c1b0a",
                    "status": "succeeded",
                    "trigger": "api",
                    "created_at": "2026-11-26T09:00:00Z",
                    "started_at": "2026-11-26T09:00:01Z",
                    "finished_at": "2026-11-26T09:00:07Z",
                    "attempt": 1,
                    "pages": 3,
                    "rows": 72,
                    "error": None,
                }
            ]
        }
    )

    id: uuid.UUID
    bot_id: uuid.UUID
    bot_version_id: uuid.UUID
    status: str
    trigger: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempt: int
    pages: int
    rows: int
    error: str | None


class ExecutionDetail(ExecutionOut):
    steps: list[StepOut]


class ScheduleIn(Request):
    bot_id: uuid.UUID
    cron: str = Field(
        max_length=120,
        description="Five crontab fields: minute hour day-of-month month day-of-week.",
        examples=["0 9 * * 1-5"],
    )
    timezone: str = Field("UTC", max_length=64, examples=["Asia/Seoul"])
    active: bool = True


class ScheduleUpdate(Request):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"cron": "30 6 * * *", "timezone": "Europe/Berlin"}]}
    )

    cron: str | None = Field(None, max_length=120)
    timezone: str | None = Field(None, max_length=64)
    active: bool | None = None


class ScheduleOut(Response):
    id: uuid.UUID
    bot_id: uuid.UUID
    cron: str
    timezone: str
    active: bool
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_skip_reason: str | None
    created_at: datetime
    next_runs: list[datetime] = Field(
        default_factory=list, description="The next five run times, in UTC."
    )


class SchedulePreviewIn(Request):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"cron": "0 9 * * 1-5", "timezone": "Asia/Seoul"}]}
    )

    cron: str = Field(
        max_length=120,
        description="Five crontab fields: minute hour day-of-month month day-of-week.",
    )
    timezone: str = Field("UTC", max_length=64)


class SchedulePreview(Response):
    next_runs: list[datetime] = Field(
        description="The next five run times, in UTC, as the scheduler would fire them."
    )


class LogOut(Response):
    id: int
    step: int | None
    level: str
    message: str
    at: datetime


class AccountDeletion(Request):
    current_password: str = Field(
        min_length=1,
        max_length=256,
        description="The account's password: a wrong one is a failed sign-in (403), limited "
        "as sign-ins are.",
        examples=["correct horse battery"],
    )


class UserUpdate(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"email": "ada.lovelace@example.com", "current_password": "correct horse battery"},
                {"password": "a new long passphrase", "current_password": "correct horse battery"},
            ]
        }
    )

    email: Email | None = None
    password: Password | None = Field(
        None,
        description="A new password. It ends every session of the account (refresh tokens, "
        "access tokens, viewer sign-ins); this client gets a new refresh cookie.",
    )
    current_password: str | None = Field(
        None,
        max_length=256,
        description="Required to change the email or the password; a wrong one is a failed "
        "sign-in (403), limited as sign-ins are.",
    )
    revoke_api_keys: bool = Field(
        False,
        description="With a new password: revoke every API key too (keys outlive a password "
        "change otherwise).",
    )


class SignOutEverywhere(Request):
    revoke_api_keys: bool = Field(
        False, description="Revoke every API key too; otherwise keys keep working."
    )


class Usage(Response):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "month": "2026-11",
                    "executions": 42,
                    "rows": 12800,
                    "pages": 310,
                    "llm_tokens": 52000,
                    "limits": {
                        "executions_per_month": 1000,
                        "rows_per_month": 100000,
                        "concurrent_executions": 2,
                        "llm_tokens_per_month": 200000,
                    },
                }
            ]
        }
    )

    month: str
    executions: int
    rows: int
    pages: int
    llm_tokens: int = Field(description="Tokens language models read and wrote for the account.")
    limits: dict[str, int | None] = Field(
        description="The plan's monthly limits (None: unlimited)."
    )


class ApiKeyIn(Request):
    name: str = Field(min_length=1, max_length=100, examples=["chrome extension"])


class ApiKeyOut(Response):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself: shown this once, stored only as a hash.")


class TestRun(Response):
    """A test run's outcome, or where to follow it when it takes longer than the wait."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "execution_id": "0b9f3c5e-7d1a-4c1e-9a51-2f3b8d6e4a10",
                    "status": "succeeded",
                    "finished": True,
                    "rows": [{"name": "Desk lamp", "price": "24.90"}],
                    "steps": [],
                    "error": None,
                }
            ]
        }
    )

    execution_id: uuid.UUID
    status: str
    finished: bool = Field(description="False: still running; follow /executions/{id}/events.")
    rows: list[dict[str, Any]] = Field(default_factory=list)
    steps: list[StepOut] = Field(default_factory=list)
    error: str | None = None


class BotImport(Request):
    """A bot document to save as a new bot: a builder export or a file for `trawler run`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "bot": EXAMPLE_WORKFLOW,
                    "name": "shop catalog (imported)",
                    "description": "From the builder's export.",
                }
            ]
        }
    )

    bot: dict[str, Any] = Field(description="The bot document, as `trawler validate` takes it.")
    name: str | None = Field(
        None, min_length=1, max_length=200, description="The bot's name; default: the document's."
    )
    description: str | None = Field(
        None, max_length=5000, description="The bot's description; default: the document's."
    )


class NodeKindOut(Response):
    """One node kind, as the builder's palette and property panel need it."""

    type: str = Field(description="The node's `type` in a bot document.", examples=["navigate"])
    label: str = Field(description="Name shown in the palette.", examples=["Navigate"])
    description: str
    browser_only: bool = Field(description="Needs a browser: refused with renderer `http`.")
    handles: list[str] = Field(
        description="Named outputs (an edge's sourceHandle); empty: one default output. A "
        "branching node needs a handle on every edge; a loop's `body` handle leads into the "
        "loop, an edge without a handle leaves it."
    )
    loop: bool = Field(description="Runs its `body` repeatedly; an edge back to it ends a pass.")
    json_schema: dict[str, Any] = Field(
        alias="schema", description="JSON Schema of the node's `data`, with its own `$defs`."
    )
    defaults: dict[str, Any] = Field(
        description="The default value of every parameter that has one."
    )


class SettingsCatalog(Response):
    """The bot-level `settings` of a document."""

    json_schema: dict[str, Any] = Field(
        alias="schema", description="JSON Schema of `settings`, with its own `$defs`."
    )
    defaults: dict[str, Any] = Field(description="The default value of every setting that has one.")


class VariablesCatalog(Response):
    """The bot-level `variables` of a document: a map of names to variables."""

    json_schema: dict[str, Any] = Field(
        alias="schema",
        description="JSON Schema of one variable in its object form (value, env, secret...); a "
        'document may also give a plain value, short for `{"value": ...}`.',
    )
    defaults: dict[str, Any] = Field(description="The default of every field of a variable.")


class Catalog(Response):
    """What a bot document may contain: every node kind, the bot settings and variables."""

    nodes: list[NodeKindOut]
    settings: SettingsCatalog
    variables: VariablesCatalog
