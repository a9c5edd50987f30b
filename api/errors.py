"""Every error the API returns has one shape: `{"error": {"code", "message", "details"}}`.

Domain errors map here, in one place; routes raise `ApiError` or let a domain error through.
Redis not answering is a 503 with `Retry-After` (`Unavailable`), wherever it is noticed.
No stack trace or SQL ever reaches a client: anything unexpected is a bare 500.
"""

from __future__ import annotations

import logging
from typing import Any

import redis.exceptions
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

import store
from engine import WorkflowInvalid

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An answer other than success, with a stable machine-readable `code`."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


class Unavailable(ApiError):
    """A service the request needs does not answer (Redis: the queue, live progress, rate
    limits): 503 with `Retry-After`, nothing was done, and the client tries again later."""

    RETRY_AFTER = 5  # seconds: a restarted or failed-over Redis is back within a few

    def __init__(self, service: str) -> None:
        super().__init__(
            503,
            "service_unavailable",
            f"{service} is unavailable: try again in a few seconds",
            {"service": service, "retry_after": self.RETRY_AFTER},
        )


REDIS_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
"""What a Redis client (ours, or the broker's) raises when Redis does not answer."""


def not_found(what: str) -> ApiError:
    """Also the answer for another user's things: their existence is not revealed."""
    return ApiError(404, "not_found", f"{what} not found")


def _body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def invalid_workflow(exc: WorkflowInvalid) -> dict[str, Any]:
    return _body(
        "invalid_workflow",
        "the bot is invalid",
        [
            {"node_id": issue.node_id, "field": issue.field, "message": issue.message}
            for issue in exc.issues
        ],
    )


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    429: "rate_limited",
    503: "service_unavailable",
}


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        retry = exc.details.get("retry_after") if isinstance(exc.details, dict) else None
        if exc.status in (429, 503) and retry:
            headers["Retry-After"] = str(retry)
        return JSONResponse(_body(exc.code, exc.message, exc.details), exc.status, headers)

    async def redis_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("Redis unavailable on %s %s: %s", request.method, request.url.path, exc)
        return await api_error(request, Unavailable("redis"))

    for redis_error in REDIS_ERRORS:
        app.add_exception_handler(redis_error, redis_down)

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
            for error in exc.errors()
        ]
        return JSONResponse(_body("invalid_request", "the request is invalid", details), 422)

    @app.exception_handler(WorkflowInvalid)
    async def workflow(request: Request, exc: WorkflowInvalid) -> JSONResponse:
        return JSONResponse(invalid_workflow(exc), 422)

    @app.exception_handler(store.Conflict)
    async def conflict(request: Request, exc: store.Conflict) -> JSONResponse:
        return JSONResponse(_body("conflict", str(exc)), 409)

    @app.exception_handler(HTTPException)
    async def http(request: Request, exc: HTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, "error")
        return JSONResponse(_body(code, str(exc.detail)), exc.status_code, exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(_body("internal_error", "internal error"), 500)
