"""Every validation error names the node id and the field."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from engine import KINDS, WorkflowInvalid, json_schema, load_workflow, parse_json
from engine.graph import Graph
from engine.workflow import MAX_EDGES, MAX_NODES
from tests.engine.conftest import bot, node

NAV = node("open", "navigate", url="https://example.test/")
LIST = node("items", "extract", item_selector="li.product", fields=[{"name": "n", "selector": "a"}])


def issues(document: Any) -> list[str]:
    with pytest.raises(WorkflowInvalid) as caught:
        load_workflow(document)
    return [str(i) for i in caught.value.issues]


def test_a_valid_bot_loads() -> None:
    workflow = load_workflow(bot(NAV, LIST))
    assert [n.type for n in workflow.nodes] == ["navigate", "extract"]
    assert workflow.settings.renderer == "browser"


def test_react_flow_canvas_keys_are_kept_or_ignored() -> None:
    document = bot(NAV, LIST)
    document["nodes"][0] |= {"position": {"x": 10, "y": 20}, "width": 150, "selected": True}
    document["edges"][0] |= {"id": "e1", "type": "smoothstep", "animated": True}
    document["viewport"] = {"x": 0, "y": 0, "zoom": 1}
    workflow = load_workflow(document)
    assert workflow.nodes[0].position is not None
    assert workflow.nodes[0].position.x == 10
    assert workflow.edges[0].id == "e1"


def test_malformed_json_says_where() -> None:
    with pytest.raises(WorkflowInvalid) as caught:
        parse_json('{"nodes": [', "bot.json")
    message = str(caught.value.issues[0])
    assert "malformed JSON in bot.json" in message
    assert "line 1 column 12" in message


def test_not_an_object() -> None:
    assert issues([1, 2]) == ["a bot must be a JSON object, not list"]


def test_unknown_type_lists_the_known_ones() -> None:
    (message,) = issues(bot(NAV, node("x", "teleport")))
    assert message.startswith("node 'x', field 'type': unknown node type 'teleport'")
    assert "navigate" in message


def test_missing_and_invalid_params_name_node_and_field() -> None:
    found = issues(
        bot(
            node("open", "navigate"),
            node("c", "click", selector="a", button="sideways"),
            node("x", "extract", mode="list", fields=[{"name": "n", "value": "colour"}]),
            node("y", "extract", mode="list", fields=[{"name": "n", "selector": "b"}]),
        )
    )
    assert "node 'open', field 'data.url': Field required" in found
    assert any(m.startswith("node 'c', field 'data.button'") for m in found)
    assert any(m.startswith("node 'x', field 'data.fields[0].value'") for m in found)
    assert any(m.startswith("node 'y', field 'data'") and "needs item_selector" in m for m in found)


def test_unknown_params_are_refused() -> None:
    (message,) = issues(bot(node("open", "navigate", url="https://a.test/", wiat_until="load")))
    assert message == "node 'open', field 'data.wiat_until': unknown field"


def test_duplicate_ids() -> None:
    document = bot(NAV, LIST)
    document["nodes"].append(dict(LIST))
    assert "node 'items', field 'id': duplicate node id" in issues(document)


def test_edge_to_a_missing_node() -> None:
    found = issues(bot(NAV, LIST, edges=[("open", "items"), ("items", "ghost")]))
    assert found == ["field 'edges[1].target': edge 1 target 'ghost' is not a node"]


def test_unknown_output_handle() -> None:
    found = issues(bot(NAV, LIST, edges=[("open", "items", "yes")]))
    assert found == [
        "node 'open', field 'edges[0].sourceHandle': unknown output handle 'yes' "
        "(has only the default output)"
    ]


def test_condition_edges_need_a_handle() -> None:
    test = node("test", "condition", selector="li.product")
    found = issues(bot(NAV, test, LIST, edges=[("open", "test"), ("test", "items")]))
    assert found == [
        "node 'test', field 'edges[1].sourceHandle': condition has only the outputs 'true' "
        "and 'false': give the edge a sourceHandle"
    ]


def test_condition_variable_must_be_defined() -> None:
    test = node("test", "condition", variable="colour", op="eq", value="red")
    (message,) = issues(bot(NAV, test, LIST, edges=[("open", "test"), ("test", "items", "true")]))
    assert message == "node 'test', field 'data.variable': variable 'colour' is never defined"


def test_no_entry_node() -> None:
    found = issues(bot(NAV, LIST, edges=[("open", "items"), ("items", "open")]))
    assert "no entry node: every node has an incoming edge" in found


def test_more_than_one_entry_node() -> None:
    found = issues(bot(NAV, LIST, edges=[]))
    assert found == [
        "more than one entry node (nodes without incoming edges): open, items",
        "node 'items': unreachable from the entry node 'open'",
    ]


def test_unreachable_nodes_are_named() -> None:
    orphan = node("orphan", "wait", mode="time", ms=10)
    later = node("later", "navigate", url="https://a.test/")
    found = issues(bot(NAV, LIST, orphan, later, edges=[("open", "items"), ("orphan", "later")]))
    assert found == [
        "more than one entry node (nodes without incoming edges): open, orphan",
        "node 'orphan': unreachable from the entry node 'open'",
        "node 'later': unreachable from the entry node 'open'",
    ]


def test_a_detached_cycle_is_a_cycle_and_unreachable() -> None:
    a = node("a", "wait", mode="time", ms=1)
    b = node("b", "wait", mode="time", ms=1)
    found = issues(bot(NAV, LIST, a, b, edges=[("open", "items"), ("a", "b"), ("b", "a")]))
    assert found[0].startswith("node 'a': cycle a -> b -> a")
    assert found[1:] == [
        "node 'a': unreachable from the entry node 'open'",
        "node 'b': unreachable from the entry node 'open'",
    ]


def test_unreachable_behind_a_cycle_is_named() -> None:
    cycle = [("open", "a"), ("a", "b"), ("b", "a")]
    a = node("a", "wait", mode="time", ms=1)
    b = node("b", "wait", mode="time", ms=1)
    (message,) = issues(bot(NAV, a, b, edges=cycle))
    assert message.startswith("node 'a': cycle a -> b -> a")


def test_a_cycle_through_a_loop_body_is_allowed() -> None:
    pages = node("pages", "paginate", next_selector="a.next")
    document = bot(
        NAV, pages, LIST, edges=[("open", "pages"), ("pages", "items", "body"), ("items", "pages")]
    )
    workflow = load_workflow(document)
    assert len(workflow.edges) == 3


def test_invalid_css_and_xpath() -> None:
    fields = [
        {"name": "a", "selector": "div >"},
        {"name": "b", "selector": "//a[@href"},
        {"name": "c", "selector": "span.ok"},
    ]
    found = issues(bot(NAV, node("x", "extract", mode="single", fields=fields)))
    assert len(found) == 2
    assert found[0].startswith("node 'x', field 'data.fields[0].selector': invalid CSS")
    assert found[1].startswith("node 'x', field 'data.fields[1].selector': invalid XPath")


def test_playwright_selectors_are_allowed_where_playwright_runs_them() -> None:
    click = node("c", "click", selector="button:has-text('Next')")
    text = node("t", "click", selector="text=Sign in")
    load_workflow(bot(NAV, click, text))
    found = issues(bot(NAV, node("c", "click", selector="div >")))
    assert found[0].startswith("node 'c', field 'data.selector': invalid CSS")


def test_undefined_variable() -> None:
    found = issues(bot(node("open", "navigate", url="{{base}}/shop?q={{query}}")))
    assert "node 'open', field 'data.url': variable {{base}} is never defined" in found
    assert "node 'open', field 'data.url': variable {{query}} is never defined" in found


def test_variables_defined_by_nodes_and_loops_count() -> None:
    document = bot(
        node("setq", "set_variable", name="query", value="mug"),
        node("open", "navigate", url="https://a.test/?q={{query}}"),
    )
    load_workflow(document)
    document = bot(node("open", "navigate", url="{{base}}/"))
    document["variables"] = {"base": {"value": "https://a.test", "description": "site"}}
    load_workflow(document)
    load_workflow(bot(node("open", "navigate", url="{{cli}}/")) | {}, extra_variables={"cli"})


def test_settings_variables_must_be_bot_variables() -> None:
    document = bot(
        node("setq", "set_variable", name="late", value="x"),
        NAV,
        headers={"Authorization": "Bearer {{token}}", "X-Site": "{{site}}"},
        http_credentials={"username": "{{user}}", "password": "{{late}}"},
        dialogs={"prompt": "{{item.url}}"},
    )
    document["variables"] = {"site": "a"}
    assert issues(document) == [
        "field 'settings.headers.Authorization': variable {{token}} is never defined",
        "field 'settings.http_credentials.username': variable {{user}} is never defined",
        "field 'settings.http_credentials.password': variable {{late}} is set by a node, after "
        "settings are read: use a bot variable",
        "field 'settings.dialogs.prompt': variable {{item.url}} is never defined",
    ]
    document["variables"] |= {"token": {"env": "TOKEN", "secret": True}, "late": "", "item": 1}
    load_workflow(document, extra_variables={"user"})


@pytest.mark.parametrize(
    ("origin", "message"),
    [
        ("https://a.test/login", "give an origin (scheme://host[:port]) without a path"),
        ("ftp://a.test", "give an origin such as https://example.com or http://10.0.0.5:8080"),
        ("https://{{host}}", "an origin takes no {{variables}}: write it out"),
    ],
)
def test_http_credentials_origin_is_an_origin(origin: str, message: str) -> None:
    credentials = {"username": "u", "password": "pw-9x", "origin": origin}
    (found,) = issues(bot(NAV, http_credentials=credentials))
    assert found.startswith(f"field 'settings.http_credentials.origin': {message}")
    credentials["origin"] = "HTTPS://A.test:443/"
    workflow = load_workflow(bot(NAV, http_credentials=credentials))
    assert workflow.settings.http_credentials is not None
    assert workflow.settings.http_credentials.origin == "https://a.test"  # as browsers write it
    assert "pw-9x" not in repr(workflow.settings)


def test_loop_variables_exist_only_inside_their_loop() -> None:
    pages = node(
        "pages", "paginate", mode="url_template", url_template="https://a.test/?p={{page}}"
    )
    each = node("each", "for_each", selector="li a")
    inner = node("inner", "navigate", url="{{item.url}}?from={{page}}")
    after = node("after", "navigate", url="https://a.test/{{page}}/{{item.url}}")
    edges = [("pages", "each", "body"), ("each", "inner", "body"), ("pages", "after")]
    found = issues(bot(pages, each, inner, after, edges=edges))
    assert found == [
        "node 'after', field 'data.url': variable {{page}} is never defined",
        "node 'after', field 'data.url': variable {{item.url}} is never defined",
    ]


def test_http_renderer_refuses_browser_only_nodes() -> None:
    found = issues(bot(NAV, node("c", "click", selector="a"), renderer="http"))
    assert found == [
        "node 'c', field 'type': click needs the browser; settings.renderer is 'http' "
        "(use 'auto' or 'browser')"
    ]


def test_settings_are_checked() -> None:
    found = issues(bot(NAV, renderer="quantum", max_pages=0))
    assert any(m.startswith("field 'settings.renderer'") for m in found)
    assert any(m.startswith("field 'settings.max_pages'") for m in found)


def test_a_bad_variable_gets_one_message() -> None:
    document = bot(NAV)
    document["variables"] = {"site": {"valeu": "x"}, "pages": [1, 2], "ok": {"value": 3}}
    assert issues(document) == [
        "field 'variables.site.valeu': unknown field",
        "field 'variables.pages': give a string, number, boolean or null, "
        "or an object {value, env, secret}",
    ]


def test_all_errors_at_once() -> None:
    document = bot(
        node("open", "navigate"),
        node("open", "click", selector="a"),
        node("x", "bogus"),
    )
    assert len(issues(document)) == 3


def test_schema_has_one_sub_schema_per_node_kind() -> None:
    schema = json_schema()
    defs = schema["$defs"]
    for type_name in KINDS:
        model = "".join(p.title() for p in type_name.split("_")) + "Node"
        assert defs[model]["properties"]["type"]["const"] == type_name
    mapping = json.dumps(schema)
    assert '"discriminator"' in mapping
    assert defs["NavigateParams"]["properties"]["url"]["description"]


def test_patterns_are_compiled_when_the_bot_is_validated() -> None:
    found = issues(
        bot(
            NAV,
            node(
                "items",
                "extract",
                item_selector="li",
                fields=[
                    {"name": "a", "transforms": ["trim", {"op": "regex", "pattern": "(ab"}]},
                    {"name": "b", "transforms": [{"op": "replace", "pattern": "x{2,1}"}]},
                ],
            ),
            node("check", "condition", variable="site", op="matches", value="(("),
            node("later", "condition", variable="site", op="matches", value="{{site}}("),
        )
        | {"variables": {"site": "x"}}
    )
    assert found == [
        "node 'items', field 'data.fields[0].transforms[1].pattern': invalid regular "
        "expression '(ab': missing ) at position 3",
        "node 'items', field 'data.fields[1].transforms[0].pattern': invalid regular "
        "expression 'x{2,1}': min repeat greater than max repeat at position 2",
        "node 'check', field 'data.value': invalid regular expression '((': missing ) at "
        "position 2",
    ]  # a pattern made of {{variables}} is checked once rendered


def chain(length: int) -> dict[str, Any]:
    """A bot of `length` nodes one after the other."""
    first = node("n0", "navigate", url="https://example.test/")
    rest = [node(f"n{i}", "set_variable", name="last", value=i) for i in range(1, length)]
    return bot(first, *rest)


@pytest.mark.parametrize("length", [1_000, 10_000])
def test_a_bot_past_the_node_limit_is_refused_by_its_size(length: int) -> None:
    found = issues(chain(length))
    assert found[0] == f"field 'nodes': the bot has {length} nodes; at most {MAX_NODES} are allowed"
    edges = length - 1
    assert found[1:] == (
        [f"field 'edges': the bot has {edges} edges; at most {MAX_EDGES} are allowed"]
        if edges > MAX_EDGES
        else []
    )


def test_edges_past_their_limit_are_refused() -> None:
    document = chain(3)
    document["edges"] = [{"source": "n0", "target": "n1"}] * (MAX_EDGES + 1)
    assert issues(document) == [
        f"field 'edges': the bot has {MAX_EDGES + 1} edges; at most {MAX_EDGES} are allowed"
    ]


def test_a_chain_at_the_limit_validates() -> None:
    workflow = load_workflow(chain(MAX_NODES))
    assert len(workflow.nodes) == MAX_NODES


def test_graph_walks_need_no_recursion() -> None:
    ids = [f"n{i}" for i in range(20_000)]
    graph = Graph.build(ids, frozenset(), [(a, b, None) for a, b in itertools.pairwise(ids)])
    assert graph.cycle() is None
    assert graph.entries() == ["n0"]
    assert len(graph.reachable("n0")) == len(ids)
    looped = Graph.build(ids, frozenset(), [*((a, b, None) for a, b in itertools.pairwise(ids))])
    looped.out["n19999"].append((None, "n5"))
    found = looped.cycle()
    assert found is not None
    assert (found[0], found[-1], len(found)) == ("n5", "n5", 19_996)


@pytest.mark.parametrize("version", [999, 0, 2, "1", 1.0, True, None])
def test_unknown_document_versions_are_refused(version: Any) -> None:
    document = bot(NAV, LIST) | {"version": version}
    assert issues(document) == [
        f"field 'version': unsupported document version {version!r}: this trawler reads version 1"
    ]


def test_version_1_or_none_given_is_read() -> None:
    assert load_workflow(bot(NAV, LIST) | {"version": 1}).version == 1
    assert load_workflow(bot(NAV, LIST)).version == 1
    assert json_schema()["properties"]["version"]["const"] == 1


def test_built_in_values_need_no_definition_and_take_their_names() -> None:
    written = node(
        "read",
        "extract",
        mode="single",
        fields=[{"name": "at", "template": "{{current.url}} {{current.title}} {{now}}"}],
    )
    load_workflow(bot(NAV, written))
    document = bot(
        NAV,
        node("keep", "evaluate", expression="1", save_as="now"),
        node("set", "set_variable", name="current", value="x"),
        written,
    )
    document["variables"] = {"current": "y"}
    assert issues(document) == [
        "field 'variables': variable name 'current' is taken by the built-in {{current}}",
        "node 'keep', field 'data.save_as': 'now' is taken by the built-in {{now}}",
        "node 'set', field 'data.name': 'current' is taken by the built-in {{current}}",
    ]


def test_a_template_field_reads_nothing_from_the_page() -> None:
    field = {"name": "at", "template": "{{now}}", "selector": "p"}
    (message,) = issues(bot(NAV, node("read", "extract", mode="single", fields=[field])))
    assert message.startswith("node 'read', field 'data.fields[0]'")
    assert "field 'at' has a template, so takes no selector, value, many or fields" in message
