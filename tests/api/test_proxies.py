"""A user's own proxies over HTTP: stored encrypted, listed without passwords, scoped to the
owner."""

from __future__ import annotations

import uuid

from tests.api.conftest import ApiUser, error_of

SECRET = "pa55-w0rd-never-shown"


async def test_a_users_proxies_never_show_their_password(new_user: ApiUser) -> None:
    owner, stranger = await new_user(), await new_user()
    body = {
        "name": "residential de",
        "url": f"http://alice:{SECRET}@proxy.example:8080",
        "tags": ["residential", "country:de"],
        "tier": 1,
    }
    created = await owner.post("/proxies", json=body)
    assert created.status_code == 201, created.text
    proxy = created.json()
    assert SECRET not in created.text
    assert proxy["url"] == "http://alice:***@proxy.example:8080"
    assert (proxy["tags"], proxy["tier"], proxy["disabled_reason"]) == (
        ["country:de", "residential"],
        1,
        None,
    )
    listed = await owner.get("/proxies")
    assert [p["id"] for p in listed.json()] == [proxy["id"]]
    assert SECRET not in listed.text

    again = await owner.post("/proxies", json=body)
    assert again.status_code == 409
    bad = await owner.post("/proxies", json=body | {"name": "x", "url": f"ftp://a:{SECRET}@h"})
    assert bad.status_code == 422
    assert SECRET not in bad.text
    assert "ftp" in str(error_of(bad)["details"])

    disabled = await owner.put(f"/proxies/{proxy['id']}/state", json={"disabled": True})
    assert disabled.json()["disabled_reason"] == "disabled by its owner"
    enabled = await owner.put(f"/proxies/{proxy['id']}/state", json={"disabled": False})
    assert enabled.json()["disabled_reason"] is None

    assert (await stranger.get("/proxies")).json() == []
    for answer in (
        await stranger.put(f"/proxies/{proxy['id']}/state", json={"disabled": True}),
        await stranger.delete(f"/proxies/{proxy['id']}"),
        await owner.delete(f"/proxies/{uuid.uuid4()}"),
    ):
        assert answer.status_code == 404
        assert error_of(answer)["code"] == "not_found"
    assert (await owner.delete(f"/proxies/{proxy['id']}")).status_code == 204
    assert (await owner.get("/proxies")).json() == []
