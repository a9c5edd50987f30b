"""`TRAWLER_API__*`: tokens, cookies and CORS of the REST API."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field


class ApiSettings(BaseModel):
    access_ttl: timedelta = Field(timedelta(minutes=15), description="Life of an access token.")
    refresh_ttl: timedelta = Field(timedelta(days=7), description="Life of a refresh token.")
    secure_cookies: bool = Field(
        True, description="Send the refresh cookie over HTTPS only (turn off for plain-HTTP dev)."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser: the builder's, and the "
        "extension's chrome-extension://<id>.",
    )
    test_wait: timedelta = Field(
        timedelta(seconds=30), description="How long POST /bots/{id}/test waits for rows."
    )
