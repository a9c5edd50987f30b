"""Turning a bot document into a `Workflow`, with every problem named by node id and field."""

from __future__ import annotations

import json
from itertools import chain
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from engine import template
from engine.errors import Issue, WorkflowInvalid
from engine.graph import Graph
from engine.nodes import KINDS, NodeParams, Selectors
from engine.selectors import playwright_only, validate_selector
from engine.transforms import OPS
from engine.workflow import (
    MAX_EDGES,
    MAX_NODES,
    SUPPORTED_VERSIONS,
    TEMPLATED_SETTINGS,
    VARIABLE_TAGS,
    Edge,
    Workflow,
)

LOOP_VARIABLES = {"paginate": "page", "for_each": "item"}
"""Set by loops for their body: {{page}} inside paginate, {{item.url}} / {{item.index}} inside
for_each; a paginate's own url_template uses {{page}} too."""


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _untagged(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """The location without the tags pydantic adds for a union's member: variables.site.value,
    not variables.site.object.value; transforms[0].pattern, not transforms[0].regex.pattern."""
    if loc[:1] == ("variables",):
        return tuple(part for i, part in enumerate(loc) if i != 2 or part not in VARIABLE_TAGS)
    return tuple(
        part
        for i, part in enumerate(loc)
        if not (i >= 2 and loc[i - 2] == "transforms" and isinstance(loc[i - 1], int))
        or part not in OPS
    )


def _issues(error: ValidationError, node_id: str | None = None, prefix: str = "") -> list[Issue]:
    issues = []
    for item in error.errors(include_url=False):
        loc = _untagged(tuple(item["loc"]))
        field = _path((prefix, *loc) if prefix else loc)
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] == "value_error":
            message = message.removeprefix("Value error, ")
        issues.append(Issue(message, node_id, field or None))
    return issues


class _Shell(BaseModel):
    """The document without node parameters, checked first so errors can name node ids."""

    model_config = ConfigDict(extra="ignore")
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]] = []


def parse_json(text: str | bytes, source: str = "bot") -> Any:
    """Parse JSON, reporting where it is malformed."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkflowInvalid(
            [
                Issue(
                    f"malformed JSON in {source}: {exc.msg} at line {exc.lineno} column {exc.colno}"
                )
            ]
        ) from None
    except UnicodeDecodeError as exc:
        raise WorkflowInvalid([Issue(f"{source} is not UTF-8 text: {exc}")]) from None


def _check_version(document: dict[str, Any]) -> None:
    """Refuse at once a document of another format version: its nodes may mean something
    else, and checking them by this version's rules would only mislead."""
    version = document.get("version", 1)
    if type(version) is not int or version not in SUPPORTED_VERSIONS:
        supported = " and ".join(str(v) for v in SUPPORTED_VERSIONS)
        message = f"unsupported document version {version!r}: this trawler reads version"
        raise WorkflowInvalid([Issue(f"{message} {supported}", None, "version")])


def _check_size(shell: _Shell) -> None:
    """Refuse an oversized document at once, before any work per node."""
    issues = [
        Issue(f"the bot has {len(items)} {what}; at most {limit} are allowed", None, what)
        for what, items, limit in (
            ("nodes", shell.nodes, MAX_NODES),
            ("edges", shell.edges, MAX_EDGES),
        )
        if len(items) > limit
    ]
    if issues:
        raise WorkflowInvalid(issues)


def _check_nodes(raw_nodes: list[dict[str, Any]]) -> tuple[list[Issue], dict[str, Any]]:
    issues: list[Issue] = []
    params: dict[str, Any] = {}
    for index, raw in enumerate(raw_nodes):
        node_id = raw.get("id")
        if not isinstance(node_id, str) or not node_id:
            issues.append(
                Issue("every node needs a non-empty string id", None, f"nodes[{index}].id")
            )
            continue
        if node_id in params:
            issues.append(Issue("duplicate node id", node_id, "id"))
            continue
        kind = KINDS.get(str(raw.get("type")))
        if kind is None:
            known = ", ".join(sorted(KINDS))
            issues.append(
                Issue(f"unknown node type {raw.get('type')!r}; known: {known}", node_id, "type")
            )
            params[node_id] = None
            continue
        try:
            params[node_id] = kind.params.model_validate(raw.get("data") or {})
        except ValidationError as exc:
            issues.extend(_issues(exc, node_id, "data"))
            params[node_id] = None
    return issues, params


def _check_graph(
    params: dict[str, Any], raw_nodes: list[dict[str, Any]], edges: list[Edge]
) -> tuple[list[Issue], Graph]:
    issues: list[Issue] = []
    types = {n.get("id"): str(n.get("type")) for n in raw_nodes}
    good = []
    for index, edge in enumerate(edges):
        for end in ("source", "target"):
            if getattr(edge, end) not in params:
                issues.append(
                    Issue(
                        f"edge {edge.id or index} {end} {getattr(edge, end)!r} is not a node",
                        None,
                        f"edges[{index}].{end}",
                    )
                )
        if edge.source in params and edge.target in params:
            kind = KINDS.get(types[edge.source])
            if edge.source_handle and kind and edge.source_handle not in kind.handles:
                allowed = ", ".join(kind.handles) or "only the default output"
                issues.append(
                    Issue(
                        f"unknown output handle {edge.source_handle!r} (has {allowed})",
                        edge.source,
                        f"edges[{index}].sourceHandle",
                    )
                )
            elif not edge.source_handle and kind and kind.handles and not kind.loop:
                outputs = " and ".join(repr(h) for h in kind.handles)
                issues.append(
                    Issue(
                        f"{kind.type} has only the outputs {outputs}: give the edge a sourceHandle",
                        edge.source,
                        f"edges[{index}].sourceHandle",
                    )
                )
            good.append((edge.source, edge.target, edge.source_handle))
    loops = frozenset(
        n for n, t in types.items() if t in KINDS and KINDS[t].loop and isinstance(n, str)
    )
    graph = Graph.build(list(params), loops, good)
    entries = graph.entries()
    if not entries:
        issues.append(Issue("no entry node: every node has an incoming edge"))
    elif len(entries) > 1:
        issues.append(
            Issue(f"more than one entry node (nodes without incoming edges): {', '.join(entries)}")
        )
    cycle = graph.cycle()
    if cycle:
        issues.append(
            Issue(
                f"cycle {' -> '.join(cycle)}: only an edge from a loop's body back to the "
                "paginate/for_each node may loop",
                cycle[0],
            )
        )
    if entries:  # the first in document order is the start; the rest of the graph must hang off it
        reachable = graph.reachable(entries[0])
        for node_id in params:
            if node_id not in reachable:
                issues.append(Issue(f"unreachable from the entry node {entries[0]!r}", node_id))
    return issues, graph


def _loop_variables(graph: Graph | None, types: dict[str, str]) -> dict[str, set[str]]:
    """Per node, the loop variables it may use: those of the loops whose body it is in."""
    scoped: dict[str, set[str]] = {n: set(LOOP_VARIABLES.values()) for n in types}
    if graph is None:  # the graph is broken (already reported): do not add noise
        return scoped
    scoped = {n: set() for n in types}
    for loop in graph.loops:
        name = LOOP_VARIABLES[types[loop]]
        for member in graph.body(loop) | ({loop} if name == "page" else set()):
            scoped[member].add(name)
    return scoped


def _check_selectors_and_variables(
    params: dict[str, Any], defined: set[str], scoped: dict[str, set[str]]
) -> list[Issue]:
    issues: list[Issue] = []
    for node_id, p in params.items():
        if p is None:
            continue
        visible = defined | scoped.get(node_id, set()) | set(template.BUILTINS)
        for field, selector, kind in chain(p.selectors(), _frame_selectors(p)):
            if "{{" in selector:
                continue
            check = validate_selector(selector, None if kind == "playwright" else kind)
            if check and not (kind == "playwright" and playwright_only(selector)):
                issues.append(Issue(check, node_id, f"data.{field}"))
        for field, name in p.uses():
            if name.split(".")[0] not in visible:
                issues.append(
                    Issue(f"variable {name!r} is never defined", node_id, f"data.{field}")
                )
        for field, text in template.walk_strings(p):
            for name in template.names(text):
                if name.split(".")[0] not in visible:
                    issues.append(
                        Issue(f"variable {{{{{name}}}}} is never defined", node_id, f"data.{field}")
                    )
    return issues


def _frame_selectors(params: NodeParams) -> Selectors:
    """The selectors of a node's `frame` field, checked as a click's are."""
    single = isinstance(getattr(params, "frame", None), str)
    for index, selector in enumerate(params.frames()):
        yield "frame" if single else f"frame[{index}]", selector, "playwright"


def _check_settings_variables(
    settings: Any, defined: set[str], set_by_nodes: set[str]
) -> list[Issue]:
    """Settings are rendered once, before the first page: only the bot's own variables (and
    those given at run time) have a value then, not those nodes set."""
    if not isinstance(settings, dict):
        return []  # the model reports it
    issues: list[Issue] = []
    for name in TEMPLATED_SETTINGS:
        for field, text in template.walk_strings(settings.get(name), f"settings.{name}"):
            if field == "settings.http_credentials.origin":
                continue  # no variables there: the model says so
            for variable in template.names(text):
                head = variable.split(".")[0]
                if head in defined:
                    continue
                message = f"variable {{{{{variable}}}}} is never defined"
                if head in set_by_nodes:
                    message = (
                        f"variable {{{{{variable}}}}} is set by a node, after settings are "
                        "read: use a bot variable"
                    )
                issues.append(Issue(message, None, field))
    return issues


def load_workflow(document: Any, *, extra_variables: set[str] | None = None) -> Workflow:
    """Validate a parsed bot document; raise `WorkflowInvalid` listing every problem."""
    if not isinstance(document, dict):
        raise WorkflowInvalid(
            [Issue(f"a bot must be a JSON object, not {type(document).__name__}")]
        )
    _check_version(document)
    try:
        shell = _Shell.model_validate(document)
    except ValidationError as exc:
        raise WorkflowInvalid(_issues(exc)) from None
    _check_size(shell)
    issues, params = _check_nodes(shell.nodes)
    edges: list[Edge] = []
    for index, raw in enumerate(shell.edges):
        try:
            edges.append(Edge.model_validate(raw))
        except ValidationError as exc:
            issues.extend(_issues(exc, None, f"edges[{index}]"))
    graph: Graph | None = None
    if not issues:
        graph_issues, graph = _check_graph(params, shell.nodes, edges)
        issues.extend(graph_issues)
    types = {str(n["id"]): str(n.get("type")) for n in shell.nodes if isinstance(n.get("id"), str)}
    defined = set(document.get("variables") or {}) | (extra_variables or set())
    issues.extend(
        Issue(f"variable name {name!r} is taken by the built-in {{{{{name}}}}}", None, "variables")
        for name in sorted(defined & set(template.BUILTINS))
    )
    set_by_nodes = {name for p in params.values() if p is not None for name in p.defines()}
    issues.extend(
        _check_settings_variables(document.get("settings"), defined, set_by_nodes - defined)
    )
    for node_id, p in params.items():
        if p is not None:
            defined.update(p.defines())
            issues.extend(
                Issue(
                    f"{name!r} is taken by the built-in {{{{{name}}}}}",
                    node_id,
                    "data.name" if types.get(node_id) == "set_variable" else "data.save_as",
                )
                for name in p.defines()
                if name in template.BUILTINS
            )
    scoped = _loop_variables(graph if graph and not issues else None, types)
    issues.extend(_check_selectors_and_variables(params, defined, scoped))
    if not issues:
        try:
            workflow = Workflow.model_validate(document)
        except ValidationError as exc:
            issues.extend(_issues(exc))
    if issues:
        raise WorkflowInvalid(issues)
    _check_renderer(workflow)
    return workflow


def _check_renderer(workflow: Workflow) -> None:
    if workflow.settings.renderer != "http":
        return
    fix = "settings.renderer is 'http' (use 'auto' or 'browser')"
    issues = [
        Issue(f"{node.type} needs the browser; {fix}", node.id, "type")
        for node in workflow.nodes
        if KINDS[node.type].browser_only
    ]
    issues += [
        Issue(f"a frame can only be entered in the browser; {fix}", node.id, "data.frame")
        for node in workflow.nodes
        if node.data.frames() and not KINDS[node.type].browser_only
    ]
    if issues:
        raise WorkflowInvalid(issues)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a bot document, one sub-schema per node kind."""
    return Workflow.model_json_schema()
