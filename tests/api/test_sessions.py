"""Ending sessions against `trawler api`: a password change and signing out everywhere end every
refresh token, access token and viewer sign-in of the account (API keys only when asked), a
viewer sign-out ends that session server-side, and a wrong current password is a failed
sign-in."""

from __future__ import annotations

import httpx

from tests.api.conftest import ApiUser, error_of
from tests.api.test_signin import api_url as api_url  # the fixture: waits of 5 s
from tests.api.test_signin import from_address

PASSWORD = "s3cret-pass"  # the fixture's
NEW_PASSWORD = "a-new-long-passphrase"


class Account:
    """Every kind of credential one account can hold at once."""

    def __init__(self, api_url: str, client: httpx.AsyncClient, email: str) -> None:
        self.api_url = api_url
        self.client = client  # its access token, and its refresh cookie in the jar
        self.email = email
        self.access = client.headers["Authorization"]
        self.refresh_cookie = client.cookies["trawler_refresh"]
        self.other_refresh = ""
        self.other_access = ""
        self.page_cookie = ""
        self.key = ""

    async def sign_in_elsewhere(self, password: str = PASSWORD) -> None:
        """A second login (another device), a viewer sign-in and an API key."""
        async with httpx.AsyncClient(base_url=f"{self.api_url}/api/v1") as device:
            answer = await device.post(
                "/auth/login", json={"email": self.email, "password": password}
            )
            assert answer.status_code == 200, answer.text
            self.other_access = f"Bearer {answer.json()['access_token']}"
            self.other_refresh = answer.cookies["trawler_refresh"]
        self.page_cookie = await viewer_sign_in(self.api_url, self.email, password)
        if not self.key:
            created = await self.client.post("/api-keys", json={"name": "script"})
            self.key = created.json()["key"]

    async def working(self) -> dict[str, bool]:
        """Which credentials still work."""
        async with httpx.AsyncClient(base_url=self.api_url) as anyone:

            async def ok(path: str, headers: dict[str, str], status: int = 200) -> bool:
                return (await anyone.get(path, headers=headers)).status_code == status

            async def refreshes(which: str) -> bool:
                """Whether the refresh cookie works; it is rotated: keep the new one."""
                answer = await anyone.post(
                    "/api/v1/auth/refresh",
                    headers={"Cookie": f"trawler_refresh={getattr(self, which)}"},
                )
                if answer.status_code == 200:
                    setattr(self, which, answer.cookies["trawler_refresh"])
                return answer.status_code == 200

            return {
                "access": await ok("/api/v1/users/me", {"Authorization": self.access}),
                "other access": await ok("/api/v1/users/me", {"Authorization": self.other_access}),
                "refresh": await refreshes("refresh_cookie"),
                "other refresh": await refreshes("other_refresh"),
                "viewer": await ok(
                    "/viewer/executions", {"Cookie": f"trawler_session={self.page_cookie}"}
                ),
                "api key": await ok("/api/v1/users/me", {"X-API-Key": self.key}),
            }


async def viewer_sign_in(api_url: str, email: str, password: str) -> str:
    """The viewer's session cookie after signing in with the form."""
    async with httpx.AsyncClient(base_url=api_url) as browser:
        answer = await browser.post("/viewer/login", data={"email": email, "password": password})
        assert answer.status_code == 303, answer.text
        return answer.cookies["trawler_session"]


async def account(new_user: ApiUser, api_url: str) -> Account:
    client = await new_user()
    email = (await client.get("/users/me")).json()["email"]
    held = Account(api_url, client, email)
    await held.sign_in_elsewhere()
    assert set((await held.working()).values()) == {True}
    return held


ALL_ENDED_BUT_THE_KEY = {
    "access": False,
    "other access": False,
    "refresh": False,
    "other refresh": False,
    "viewer": False,
    "api key": True,
}


async def test_a_password_change_needs_the_current_one_and_ends_every_session(
    new_user: ApiUser, api_url: str
) -> None:
    held = await account(new_user, api_url)
    client = held.client

    missing = await client.patch("/users/me", json={"password": NEW_PASSWORD})
    assert missing.status_code == 422
    assert error_of(missing)["details"] == [
        {
            "field": "body.current_password",
            "message": "required to change the email or the password",
        }
    ]
    wrong = await client.patch(
        "/users/me", json={"password": NEW_PASSWORD, "current_password": "not-my-password"}
    )
    assert wrong.status_code == 403
    assert error_of(wrong)["code"] == "wrong_password"
    assert error_of(wrong)["details"][0]["field"] == "body.current_password"
    keys_alone = await client.patch("/users/me", json={"revoke_api_keys": True})
    assert keys_alone.status_code == 422
    assert error_of(keys_alone)["details"][0]["field"] == "body.revoke_api_keys"
    assert set((await held.working()).values()) == {True}  # nothing changed so far

    changed = await client.patch(
        "/users/me", json={"password": NEW_PASSWORD, "current_password": PASSWORD}
    )
    assert changed.status_code == 200, changed.text
    new_cookie = changed.cookies["trawler_refresh"]  # this client goes on, with a new login
    assert await held.working() == ALL_ENDED_BUT_THE_KEY
    ended = await client.get("/users/me")
    assert ended.status_code == 401
    old = await client.post(
        "/auth/refresh", headers={"Cookie": f"trawler_refresh={held.other_refresh}"}
    )
    assert error_of(old)["code"] == "session_ended"
    client.cookies.clear()
    renewed = await client.post(
        "/auth/refresh", headers={"Cookie": f"trawler_refresh={new_cookie}"}
    )
    assert renewed.status_code == 200, renewed.text
    held.access = client.headers["Authorization"] = f"Bearer {renewed.json()['access_token']}"
    assert (await client.get("/users/me")).status_code == 200

    async with httpx.AsyncClient(base_url=f"{api_url}/api/v1") as anyone:
        for password, status in ((PASSWORD, 401), (NEW_PASSWORD, 200)):
            answer = await anyone.post(
                "/auth/login", json={"email": held.email, "password": password}
            )
            assert answer.status_code == status, password

    # and once more, asking for the API keys to go too
    await held.sign_in_elsewhere(NEW_PASSWORD)
    again = await client.patch(
        "/users/me",
        json={"password": PASSWORD, "current_password": NEW_PASSWORD, "revoke_api_keys": True},
    )
    assert again.status_code == 200, again.text
    assert set((await held.working()).values()) == {False}
    assert [k["revoked_at"] is not None for k in await _keys(api_url, held.email)] == [True]


async def _keys(api_url: str, email: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=f"{api_url}/api/v1") as client:
        token = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        listed: list[dict[str, object]] = (await client.get("/api-keys", headers=headers)).json()
        return listed


async def test_signing_out_everywhere_ends_every_session(new_user: ApiUser, api_url: str) -> None:
    held = await account(new_user, api_url)
    answer = await held.client.post("/auth/logout-all")
    assert answer.status_code == 204
    assert await held.working() == ALL_ENDED_BUT_THE_KEY

    async with httpx.AsyncClient(base_url=f"{api_url}/api/v1") as device:
        signed_in = await device.post(
            "/auth/login", json={"email": held.email, "password": PASSWORD}
        )
        assert signed_in.status_code == 200  # a new sign-in works at once
        device.headers["Authorization"] = f"Bearer {signed_in.json()['access_token']}"
        assert (await device.get("/users/me")).status_code == 200
        unknown = await device.post("/auth/logout-all", json={"everything": True})
        assert unknown.status_code == 422
        answer = await device.post("/auth/logout-all", json={"revoke_api_keys": True})
        assert answer.status_code == 204
    assert (await held.working())["api key"] is False


async def test_a_viewer_sign_out_ends_that_session_on_the_server(
    new_user: ApiUser, api_url: str
) -> None:
    held = await account(new_user, api_url)
    kept = await viewer_sign_in(api_url, held.email, PASSWORD)  # another browser
    async with httpx.AsyncClient(base_url=api_url) as browser:
        out = await browser.post(
            "/viewer/logout", headers={"Cookie": f"trawler_session={held.page_cookie}"}
        )
        assert out.status_code == 303
        # a copy of the cookie, kept by whoever had it, no longer opens anything
        copy = {"Cookie": f"trawler_session={held.page_cookie}"}
        assert (await browser.get("/viewer/executions", headers=copy)).status_code == 303
        listed = await browser.get(
            "/viewer/executions", headers={"Cookie": f"trawler_session={kept}"}
        )
        assert listed.status_code == 200


async def test_an_email_change_needs_the_current_password(new_user: ApiUser, api_url: str) -> None:
    client = await new_user()
    new_email = f"Renamed.{(await client.get('/users/me')).json()['email']}"
    missing = await client.patch("/users/me", json={"email": new_email})
    assert missing.status_code == 422
    changed = await client.patch(
        "/users/me", json={"email": new_email, "current_password": PASSWORD}
    )
    assert changed.status_code == 200
    assert changed.json()["email"] == new_email.lower()
    assert (await client.get("/users/me")).status_code == 200  # no session ends for an email


async def test_wrong_current_passwords_count_as_failed_sign_ins(
    new_user: ApiUser, api_url: str
) -> None:
    """Guessing through a stolen access token is limited like guessing at the login."""
    client = await new_user()
    email = (await client.get("/users/me")).json()["email"]
    async with from_address(api_url, "127.0.0.2") as thief:
        thief.headers["Authorization"] = client.headers["Authorization"]
        answers = [
            await thief.patch(
                "/users/me", json={"password": NEW_PASSWORD, "current_password": f"guess-{n}-x"}
            )
            for n in range(6)
        ]
    assert [a.status_code for a in answers] == [403] * 5 + [429]
    assert error_of(answers[-1])["details"]["limit"] == "login_per_account"
    async with from_address(api_url, "127.0.0.3") as elsewhere:
        login = await elsewhere.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 429  # the same account's wait
