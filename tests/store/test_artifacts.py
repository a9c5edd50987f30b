"""Artifact storage: a local directory, and S3 through boto3 against a local S3 server (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from store import ArtifactMissing, ArtifactStore, LocalArtifacts, S3Artifacts
from tests.conftest import free_port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """An S3 API on loopback (moto's server), spoken to by the real boto3 client."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(params=["local", "s3"])
def artifacts(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        return LocalArtifacts(tmp_path)
    endpoint = request.getfixturevalue("s3_endpoint")
    s3 = S3Artifacts.connect(
        "trawler-test",
        prefix="runs",
        endpoint_url=endpoint,
        region="us-east-1",
        access_key_id="test",
        secret_access_key="test",
    )
    s3.client.create_bucket(Bucket="trawler-test")
    return s3


async def test_put_get_replace_and_delete(artifacts: ArtifactStore) -> None:
    await artifacts.put("e1/00001-screenshot.png", b"first", "image/png")
    await artifacts.put("e1/00001-screenshot.png", b"second", "image/png")  # a retried attempt
    await artifacts.put("e1/00002-html.html", b"<p>x</p>", "text/html")
    await artifacts.put("e2/00001-html.html", b"<p>y</p>", "text/html")
    assert await artifacts.get("e1/00001-screenshot.png") == b"second"

    await artifacts.delete_prefix("e1")
    for key in ("e1/00001-screenshot.png", "e1/00002-html.html"):
        with pytest.raises(ArtifactMissing):
            await artifacts.get(key)
    assert await artifacts.get("e2/00001-html.html") == b"<p>y</p>"


@pytest.mark.parametrize("key", ["../escape.png", "/etc/passwd", "", "a/../../b"])
async def test_keys_cannot_leave_the_store(artifacts: ArtifactStore, key: str) -> None:
    with pytest.raises(ValueError, match="invalid artifact key"):
        await artifacts.put(key, b"x", "image/png")


async def test_s3_objects_carry_prefix_and_content_type(s3_endpoint: str) -> None:
    s3 = S3Artifacts.connect(
        "typed",
        prefix="team-a/",
        endpoint_url=s3_endpoint,
        region="us-east-1",
        access_key_id="test",
        secret_access_key="test",
    )
    s3.client.create_bucket(Bucket="typed")
    await s3.put("e9/00001-screenshot.png", b"\x89PNG", "image/png")
    head = s3.client.head_object(Bucket="typed", Key="team-a/e9/00001-screenshot.png")
    assert head["ContentType"] == "image/png"
    assert head["ContentLength"] == 4
