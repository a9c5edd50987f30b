"""What the visual builder and the Chrome extension use: the node catalog, import, CORS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from engine import KINDS, BotSettings, Variable, Workflow, load_workflow
from tests.api.conftest import CORS_ORIGINS, ApiUser, error_of

EXAMPLES = Path(__file__).parents[2] / "examples"

EXAMPLE_DATA: dict[str, dict[str, Any]] = {
    "navigate": {"url": "https://shop.example/list", "wait_until": "networkidle"},
    "click": {"selector": "button.more", "count": 2, "wait_for": "navigation"},
    "type": {"selector": "#search", "text": "lamp", "delay_ms": 50, "press": "Enter"},
    "fill": {"selector": "#email", "text": "ada@example.com"},
    "select": {"selector": "select#sort", "value": "price"},
    "hover": {"selector": "nav .menu", "label": "Open the menu"},
    "wait": {"mode": "time", "ms": 250},
    "scroll": {"mode": "until_no_new_items", "item_selector": "li.post", "max_scrolls": 5},
    "extract": {
        "item_selector": "li.product",
        "fields": [
            {"name": "name", "selector": "a.title"},
            {"name": "url", "selector": "a.title", "value": "attr:href"},
            {"name": "price", "selector": ".price", "transforms": ["trim", {"op": "number"}]},
        ],
        "limit": 50,
    },
    "llm_extract": {
        "fields": [
            {"name": "title", "required": True, "description": "The job title"},
            {"name": "salary", "type": "number"},
            {"name": "posted", "type": "date"},
            {"name": "skills", "many": True},
            {"name": "company", "selector": ".company"},
        ],
        "content_selector": "main",
        "provider": "ollama",
        "model": "llama3.2",
    },
    "paginate": {"next_selector": "a.next", "max_pages": 3, "retries": 2},
    "for_each": {"selector": "li.product a", "link": "a", "concurrency": 2},
    "screenshot": {"mode": "full_page"},
    "evaluate": {"expression": "document.title", "save_as": "title"},
    "condition": {"selector": "table.orders", "present": True},
    "set_variable": {"name": "page_size", "value": 20},
}

EXPORTED_BOT: dict[str, Any] = {
    "version": 1,
    "name": "quotes",
    "description": "Every quote on the first pages.",
    "settings": {"renderer": "auto", "max_pages": 5},
    "variables": {"site": "https://quotes.example"},
    "nodes": [
        {
            "id": "open",
            "type": "navigate",
            "position": {"x": 0, "y": 0},
            "width": 180,
            "selected": False,
            "data": {"url": "{{site}}/page/1", "label": "Start"},
        },
        {
            "id": "pages",
            "type": "paginate",
            "position": {"x": 0, "y": 120},
            "data": {"next_selector": "li.next a", "max_pages": 5},
        },
        {
            "id": "quotes",
            "type": "extract",
            "position": {"x": 0, "y": 240},
            "data": {
                "item_selector": "div.quote",
                "fields": [
                    {"name": "text", "selector": "span.text"},
                    {"name": "author", "selector": "small.author"},
                ],
            },
        },
    ],
    "edges": [
        {"id": "e1", "source": "open", "target": "pages"},
        {"id": "e2", "source": "pages", "target": "quotes", "sourceHandle": "body"},
    ],
    "viewport": {"x": 0, "y": 0, "zoom": 1},
}


def _validator(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A JSON Schema validator; a schema that is not valid JSON Schema raises."""
    return jsonschema_rs.Draft202012Validator(schema)


def _property(schema: dict[str, Any], name: str) -> jsonschema_rs.Validator:
    """A validator of one property, resolving the `$defs` of the whole schema."""
    return _validator({"$defs": schema.get("$defs", {}), **schema["properties"][name]})


def _check_defaults(schema: dict[str, Any], defaults: dict[str, Any]) -> None:
    assert set(defaults) == set(schema["properties"]) - set(schema.get("required", []))
    for name, value in defaults.items():
        _property(schema, name).validate(value)
        if "default" in schema["properties"][name]:
            assert schema["properties"][name]["default"] == value, name


async def test_the_catalog_describes_every_node_kind_with_schema_and_defaults(
    new_user: ApiUser, api_url: str
) -> None:
    async with httpx.AsyncClient(base_url=f"{api_url}/api/v1") as anonymous:
        refused = await anonymous.get("/nodes")
    assert refused.status_code == 401
    assert error_of(refused)["code"] == "unauthorized"

    client = await new_user()
    answer = await client.get("/nodes")
    assert answer.status_code == 200, answer.text
    catalog = answer.json()
    assert [entry["type"] for entry in catalog["nodes"]] == list(KINDS)
    assert set(EXAMPLE_DATA) == set(KINDS), "give the new node kind an example here"
    for entry in catalog["nodes"]:
        kind = KINDS[entry["type"]]
        assert (entry["label"], entry["description"]) == (kind.label, kind.description)
        assert entry["browser_only"] is kind.browser_only
        assert (entry["handles"], entry["loop"]) == (list(kind.handles), kind.loop)
        schema = entry["schema"]
        assert schema == kind.params.model_json_schema()  # what `trawler schema --node` prints
        schema_check = _validator(schema)
        _check_defaults(schema, entry["defaults"])

        example = EXAMPLE_DATA[entry["type"]]
        schema_check.validate(example)
        schema_check.validate({**entry["defaults"], **example})
        parsed = kind.params.model_validate(example).model_dump(mode="json")
        unset = {k: v for k, v in entry["defaults"].items() if k not in example}
        assert {k: v for k, v in parsed.items() if k in unset} == unset
        assert not schema_check.is_valid({**example, "colour": "red"})

    for path in sorted(EXAMPLES.glob("*.json")):  # every node of the shipped bots
        schemas = {entry["type"]: _validator(entry["schema"]) for entry in catalog["nodes"]}
        for node in json.loads(path.read_text())["nodes"]:
            schemas[node["type"]].validate(node.get("data", {}))

    settings = catalog["settings"]
    assert settings["schema"] == BotSettings.model_json_schema()
    _check_defaults(settings["schema"], settings["defaults"])
    _validator(settings["schema"]).validate(settings["defaults"])
    assert BotSettings.model_validate(settings["defaults"]) == BotSettings()
    # the strings that may hold a secret say so, for the builder to mask them
    defs = settings["schema"]["$defs"]
    assert defs["HttpCredentials"]["properties"]["password"]["format"] == "password"
    assert settings["schema"]["properties"]["headers"]["additionalProperties"]["format"] == (
        "password"
    )

    variables = catalog["variables"]
    assert variables["schema"] == Variable.model_json_schema()
    # the one variable of a document's `variables` map, in its object form
    assert variables["schema"] == Workflow.model_json_schema()["$defs"]["Variable"]
    _check_defaults(variables["schema"], variables["defaults"])
    variable = _validator(variables["schema"])
    variable.validate({"value": "{{site}}/x", "secret": True, "description": "a token"})
    assert not variable.is_valid({"value": {"nested": 1}})
    for path in sorted(EXAMPLES.glob("*.json")):
        for value in json.loads(path.read_text()).get("variables", {}).values():
            variable.validate(value if isinstance(value, dict) else {"value": value})


async def test_the_catalog_is_cacheable(new_user: ApiUser) -> None:
    client = await new_user()
    first = await client.get("/nodes")
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("private")
    unchanged = await client.get("/nodes", headers={"If-None-Match": f'W/"x", {etag}'})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    stale = await client.get("/nodes", headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200
    assert stale.json() == first.json()


async def test_import_creates_the_bot_from_its_document(new_user: ApiUser) -> None:
    client = await new_user()
    load_workflow(EXPORTED_BOT)  # what `trawler validate` accepts
    created = await client.post("/bots/import", json={"bot": EXPORTED_BOT})
    assert created.status_code == 201, created.text
    bot = created.json()
    assert (bot["name"], bot["description"]) == ("quotes", "Every quote on the first pages.")
    assert bot["current_version"] == 1
    assert bot["workflow"] == EXPORTED_BOT
    assert (await client.get(f"/bots/{bot['id']}")).json()["workflow"] == EXPORTED_BOT

    renamed = await client.post(
        "/bots/import", json={"bot": EXPORTED_BOT, "name": "quotes (copy)", "description": ""}
    )
    assert renamed.status_code == 201, renamed.text
    assert (renamed.json()["name"], renamed.json()["description"]) == ("quotes (copy)", "")
    unnamed = {k: v for k, v in EXPORTED_BOT.items() if k not in ("name", "description")}
    defaulted = (await client.post("/bots/import", json={"bot": unnamed})).json()
    assert (defaulted["name"], defaulted["description"]) == ("bot", "")
    listed = (await client.get("/bots")).json()
    assert listed["total"] == 3


async def test_import_takes_the_document_itself_too(new_user: ApiUser) -> None:
    client = await new_user()
    created = await client.post("/bots/import", json=EXPORTED_BOT)
    assert created.status_code == 201, created.text
    bot = created.json()
    assert (bot["name"], bot["description"]) == ("quotes", "Every quote on the first pages.")
    assert bot["workflow"] == EXPORTED_BOT
    wrapped = (await client.post("/bots/import", json={"bot": EXPORTED_BOT})).json()
    assert wrapped["workflow"] == bot["workflow"]  # one document, either shape

    cases: list[tuple[Any, str, str | None, str]] = [
        ([EXPORTED_BOT], "invalid_workflow", None, "a bot must be a JSON object, not list"),
        ("quotes", "invalid_workflow", None, "a bot must be a JSON object, not str"),
        ({}, "invalid_workflow", "nodes", "Field required"),
        ({**EXPORTED_BOT, "bot": {}}, "invalid_workflow", "bot", "unknown field"),
        ({"bot": "quotes"}, "invalid_request", "body.bot", "Input should be a valid dictionary"),
        ({**EXPORTED_BOT, "name": "a\x00b"}, "invalid_request", "body", "NUL characters"),
    ]
    for body, code, field, message in cases:
        refused = await client.post("/bots/import", json=body)
        assert refused.status_code == 422, (body, refused.text)
        error = error_of(refused)
        assert error["code"] == code, error
        assert any(
            issue["field"] == field and message in issue["message"] for issue in error["details"]
        ), error
    not_json = await client.post(
        "/bots/import", content=b"{nodes: []}", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 422
    assert error_of(not_json)["details"][0]["message"] == (
        "malformed JSON in the body: Expecting property name enclosed in double quotes at line "
        "1 column 2"
    )
    assert (await client.get("/bots")).json()["total"] == 2


@pytest.mark.parametrize("length", [1_000, 10_000])
async def test_oversized_bots_are_refused_naming_the_count_and_the_limit(
    new_user: ApiUser, length: int
) -> None:
    client = await new_user()
    nodes = [{"id": "n0", "type": "navigate", "data": {"url": "https://example.test/"}}]
    nodes += [
        {"id": f"n{i}", "type": "set_variable", "data": {"name": "x", "value": i}}
        for i in range(1, length)
    ]
    edges = [{"source": f"n{i}", "target": f"n{i + 1}"} for i in range(min(length, 1000) - 1)]
    document = {"version": 1, "name": "long", "nodes": nodes, "edges": edges}
    for answer in (
        await client.post("/bots/import", json=document),
        await client.post("/bots", json={"name": "long", "workflow": document}),
    ):
        assert answer.status_code == 422, answer.text
        assert error_of(answer)["details"] == [
            {
                "node_id": None,
                "field": "nodes",
                "message": f"the bot has {length} nodes; at most 500 are allowed",
            }
        ]


async def test_unknown_document_versions_are_refused(new_user: ApiUser) -> None:
    client = await new_user()
    for version in (999, "1"):
        answer = await client.post("/bots/import", json={**EXPORTED_BOT, "version": version})
        assert answer.status_code == 422, answer.text
        assert error_of(answer)["details"] == [
            {
                "node_id": None,
                "field": "version",
                "message": f"unsupported document version {version!r}: this trawler reads "
                "version 1",
            }
        ]


async def test_an_invalid_import_names_every_problem_and_saves_nothing(
    new_user: ApiUser,
) -> None:
    client = await new_user()
    broken = {
        "name": "broken",
        "nodes": [
            {"id": "go", "type": "navigate", "data": {}},
            {"id": "press", "type": "click", "data": {"selector": "#buy", "colour": "red"}},
            {"id": "beam", "type": "teleport", "data": {}},
            {"id": "pick", "type": "extract", "data": {"item_selector": "li", "fields": []}},
        ],
        "edges": [],
    }
    answer = await client.post("/bots/import", json={"bot": broken})
    assert answer.status_code == 422
    error = error_of(answer)
    assert error["code"] == "invalid_workflow"
    located = {(issue["node_id"], issue["field"]) for issue in error["details"]}
    assert located >= {
        ("go", "data.url"),
        ("press", "data.colour"),
        ("beam", "type"),
        ("pick", "data.fields"),
    }
    # the same issues as creating it (and `trawler validate`) reports
    created = await client.post("/bots", json={"name": "broken", "workflow": broken})
    assert error_of(created)["details"] == error["details"]

    for body, code, field in [
        ({"bot": []}, "invalid_request", "body.bot"),  # not an object
        ({"bot": {"nodes": {"go": {}}}}, "invalid_workflow", "nodes"),
        ({"bot": {"nodes": [1]}}, "invalid_workflow", "nodes[0]"),
        ({"bot": {**EXPORTED_BOT, "colour": "red"}}, "invalid_workflow", "colour"),
        ({"bot": EXPORTED_BOT, "colour": "red"}, "invalid_request", "body.colour"),
        ({"bot": EXPORTED_BOT, "name": ""}, "invalid_request", "body.name"),
    ]:
        refused = await client.post("/bots/import", json=body)
        assert refused.status_code == 422, (body, refused.text)
        error = error_of(refused)
        assert error["code"] == code, error
        assert field in [issue["field"] for issue in error["details"]], error
        assert all(issue["message"] for issue in error["details"])
    assert (await client.get("/bots")).json()["total"] == 0


def _granted(answer: httpx.Response, origin: str) -> bool:
    return bool(answer.headers.get("access-control-allow-origin") == origin)


def _preflight(url: str, origin: str) -> httpx.Response:
    return httpx.options(
        f"{url}/api/v1/bots/import",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, x-api-key",
        },
    )


async def test_cors_grants_the_builder_and_the_extension_only(
    cors_api_url: str, new_user: ApiUser
) -> None:
    client = await new_user()
    key = (await client.post("/api-keys", json={"name": "extension"})).json()["key"]
    for origin in CORS_ORIGINS:
        preflight = _preflight(cors_api_url, origin)
        assert preflight.status_code == 200, preflight.text
        assert _granted(preflight, origin)
        assert preflight.headers["access-control-allow-credentials"] == "true"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        allowed = preflight.headers["access-control-allow-headers"].lower().split(", ")
        assert {"authorization", "content-type", "x-api-key"} <= set(allowed)

        imported = httpx.post(
            f"{cors_api_url}/api/v1/bots/import",
            json={"bot": EXPORTED_BOT},
            headers={"Origin": origin, "X-API-Key": key},
        )
        assert imported.status_code == 201, imported.text
        assert _granted(imported, origin)
        catalog = httpx.get(
            f"{cors_api_url}/api/v1/nodes", headers={"Origin": origin, "X-API-Key": key}
        )
        assert _granted(catalog, origin)
        assert "origin" in catalog.headers["vary"].lower()
        assert "etag" in catalog.headers["access-control-expose-headers"].lower()

    stranger = "chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba"
    refused = _preflight(cors_api_url, stranger)
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    answered = httpx.get(
        f"{cors_api_url}/api/v1/nodes", headers={"Origin": stranger, "X-API-Key": key}
    )
    assert "access-control-allow-origin" not in answered.headers


async def test_no_origin_is_granted_unless_configured(api_url: str) -> None:
    preflight = _preflight(api_url, CORS_ORIGINS[0])
    assert "access-control-allow-origin" not in preflight.headers
    answer = httpx.get(f"{api_url}/health", headers={"Origin": CORS_ORIGINS[0]})
    assert "access-control-allow-origin" not in answer.headers
