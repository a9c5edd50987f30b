"""Schemathesis against the live OpenAPI document: no 5xx, answers that match the schema."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import store
from tests.api.conftest import ApiUser
from tests.worker.conftest import database as database  # the fixture, shared

EXAMPLES = os.environ.get("TRAWLER_SCHEMATHESIS_EXAMPLES", "100")


@pytest.mark.timeout(900)
async def test_generated_requests_find_no_server_error_and_no_schema_violation(
    new_user: ApiUser, api_url: str, tmp_path: Path, database: store.Database
) -> None:
    client = await new_user()
    me = (await client.get("/users/me")).json()
    async with database.transaction() as session:  # a plan whose rate limit a fuzzer fits in
        (await session.get_one(store.User, uuid.UUID(me["id"]))).plan = "enterprise"
    key = (await client.post("/api-keys", json={"name": "schemathesis"})).json()["key"]
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{api_url}/openapi.json",
            "--header",
            f"X-API-Key: {key}",
            "--checks",
            "not_a_server_error,response_schema_conformance,status_code_conformance,"
            "content_type_conformance",
            "--max-examples",
            EXAMPLES,
            "--request-timeout",
            "60",
            # (one regex: a repeated option keeps only its last value) the live streams wait
            # for a finish that a generated execution never has; a test run and a selector
            # probe (and selectors from a model) wait for a worker, and none runs here; signing
            # out everywhere may revoke the run's own API key (all are tested on their own)
            "--exclude-path-regex",
            "/(events|ws|test|suggest|at-point|from-schema|logout-all)$",
            # deleting the account mid-run would leave the rest unauthorised
            "--exclude-path",
            "/api/v1/users/me",
            "--exclude-method",
            "DELETE",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
