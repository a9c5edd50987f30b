"""The bot document: settings, variables, and a React Flow compatible graph of nodes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    Tag,
    WithJsonSchema,
    create_model,
    field_validator,
)
from pydantic.config import JsonDict

from engine.errors import VariableError
from engine.nodes import KINDS, NodeParams
from engine.template import render_value

MAX_NODES = 500
"""The most nodes a bot may have. A bot is a page flow, not a program: real ones have tens of
nodes, and the builder draws each on its canvas. 500 leaves room for generated bots, while a
document of thousands is an accident or an attack that would only cost validation, storage and
every run's bookkeeping."""
MAX_EDGES = 4 * MAX_NODES
"""Edges, by the same measure: a node has a default output and a few handles."""
SUPPORTED_VERSIONS = (1,)
"""The versions of the bot document format this engine reads."""


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Viewport(Strict):
    width: int = Field(1280, ge=200, le=7680, description="Viewport width in CSS pixels.")
    height: int = Field(800, ge=200, le=4320, description="Viewport height in CSS pixels.")


class Timeouts(Strict):
    navigation_ms: int = Field(30_000, gt=0, description="Time for one page to load.")
    action_ms: int = Field(10_000, gt=0, description="Time for a click, fill or wait.")
    selector_ms: int = Field(
        3_000, ge=0, description="How long extraction waits for its selector to appear."
    )
    run_ms: int | None = Field(None, gt=0, description="Time limit for the whole run.")
    llm_ms: int = Field(120_000, gt=0, description="Time for one answer of a language model.")
    pattern_ms: int = Field(
        1_000,
        gt=0,
        le=60_000,
        description="Time one regular expression (regex, replace, matches) may take on one "
        "value; past it the step fails, naming the field and the pattern.",
    )


class ProxyUse(Strict):
    mode: Literal["auto", "none"] = Field(
        "auto",
        description="auto: the account's own proxies if it has any, else the deployment's, "
        "else a direct connection; none: always direct.",
    )
    tags: list[str] = Field(
        default_factory=list,
        description='Use only proxies with every one of these tags ("residential", '
        '"country:de"); the run fails a page when none is usable.',
    )


class StealthSettings(Strict):
    user_agents: bool = Field(
        True, description="Claim a desktop Chrome of the browser's own version, a new one per run."
    )
    viewports: bool = Field(True, description="Take a common desktop viewport, a new one per run.")
    locales: list[str] = Field(
        default_factory=list, description="Locales to take in turn, one per run (en-US, de-DE)."
    )
    timezones: list[str] = Field(
        default_factory=list, description="IANA time zones to take in turn, one per run."
    )


SECRET: JsonDict = {"format": "password"}
"""JSON Schema of a string that may hold a secret: the builder masks its input (OpenAPI's
`format: password`). The API still returns it as written: it marks, it does not hide."""

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL as browsers spell an origin: lower case, no default
    port. Raises ValueError for what is not an http(s) URL with a host."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an http(s) origin: {url!r}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = parts.port  # raises ValueError for a port out of range
    return f"{scheme}://{host}" + (f":{port}" if port and port != DEFAULT_PORTS[scheme] else "")


class HttpCredentials(Strict):
    """A user name and password for sites that ask with HTTP Basic or Digest authentication."""

    username: str = Field(description="User name; {{variables}} allowed.")
    password: str = Field(
        description="Password; {{variables}} allowed, typically a secret or env one. Never "
        "shown in logs, events, errors or traces, even when written here as it is.",
        repr=False,
        json_schema_extra=SECRET,
    )
    origin: str | None = Field(
        None,
        description="Answer only this origin's challenge (scheme://host[:port], e.g. "
        "https://intranet.example.com); without it, any site that asks gets them.",
    )

    @field_validator("origin")
    @classmethod
    def _origin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if "{" in value or "}" in value:
            raise ValueError("an origin takes no {{variables}}: write it out")
        if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
            raise ValueError(f"give an origin (scheme://host[:port]) without a path: {value!r}")
        try:
            return origin_of(value)
        except ValueError:
            raise ValueError(
                f"give an origin such as https://example.com or http://10.0.0.5:8080: {value!r}"
            ) from None


class DialogAnswers(Strict):
    """How the browser answers a page's confirm() and prompt(); alert() is just closed."""

    confirm: bool = Field(True, description="What confirm() returns: true (OK) or false (Cancel).")
    prompt: str | None = Field(
        "",
        description="What prompt() returns: this text ({{variables}} allowed), or null for Cancel.",
    )


TEMPLATED_SETTINGS = ("headers", "http_credentials", "dialogs")
"""The settings whose strings may hold {{variables}}: rendered once per run, from the bot's
variables, before the first page opens."""


class BotSettings(Strict):
    renderer: Literal["browser", "http", "auto"] = Field(
        "browser",
        description="browser: Chromium; http: plain HTTP requests; auto: HTTP, browser on need.",
    )
    timeouts: Timeouts = Field(default_factory=Timeouts)
    viewport: Viewport = Field(default_factory=Viewport)
    user_agent: str | None = Field(None, description="User-Agent header and navigator value.")
    locale: str | None = Field(None, description="Browser locale, e.g. en-US.")
    timezone: str | None = Field(None, description="IANA time zone for the browser.")
    headers: dict[str, Annotated[str, Field(json_schema_extra=SECRET)]] = Field(
        default_factory=dict,
        description="Extra request headers, sent with every request of the run; values may "
        "use {{variables}} (a token in a secret variable stays out of logs and traces).",
    )
    http_credentials: HttpCredentials | None = Field(
        None,
        description="User name and password for HTTP Basic or Digest authentication, sent "
        "when a site asks (a 401 with its challenge).",
    )
    dialogs: DialogAnswers = Field(
        default_factory=DialogAnswers,
        description="How the browser answers confirm() and prompt() in every page and frame.",
    )
    block: list[Literal["images", "fonts", "media", "stylesheets", "trackers"]] = Field(
        default_factory=list,
        description="What the browser does not load: resource types, and trackers (analytics "
        "and ad hosts).",
    )
    stealth: StealthSettings | None = Field(
        None,
        description="Make runs look less alike: rotate the user agent, viewport, locale and "
        "time zone, and hide navigator.webdriver. It does not make automation undetectable.",
    )
    proxy: ProxyUse = Field(default_factory=ProxyUse, description="Which proxies pages go through.")
    transient_retries: int = Field(
        2,
        ge=0,
        le=10,
        description="Load a page again after a transient failure (a timeout, a dropped "
        "connection, HTTP 408, 425, 429, 500, 502, 503 or 504), waiting 1 s, 2 s, 4 s... or the "
        "site's Retry-After (up to 60 s); 0 fails the step at once. Every load counts: "
        "navigate, paginate's next page, for_each items.",
    )
    unique_rows: list[str] = Field(
        default_factory=list,
        description='Keep one row per value of these fields (e.g. ["url"]): a row whose values '
        "equal an earlier row's is dropped, and the count logged.",
    )
    max_pages: int | None = Field(
        1000, gt=0, description="Stop after loading this many pages (null: no limit)."
    )
    max_rows: int | None = Field(None, gt=0, description="Stop after this many rows.")
    concurrency: int = Field(4, ge=1, le=32, description="Pages open at once in for_each.")
    trace: Literal["none", "errors", "steps", "full"] = Field(
        "errors",
        description=(
            "Artifacts per step: none; errors (screenshot and HTML of failed steps); "
            "steps (a screenshot of every step, the HTML of HTTP pages); "
            "full (screenshot and HTML of every step)."
        ),
    )

    def rendered(self, variables: Mapping[str, Any]) -> BotSettings:
        """These settings with the {{variables}} of `TEMPLATED_SETTINGS` replaced; raises
        `VariableError` for a variable without a value, or one that breaks a header's line."""
        changes = {
            name: render_value(getattr(self, name), variables) for name in TEMPLATED_SETTINGS
        }
        for header, value in changes["headers"].items():
            if "\r" in value or "\n" in value:  # it would end the header and start another
                raise VariableError(f"header {header!r} has a line break once its variables are in")
        return self.model_copy(update=changes)


class Variable(Strict):
    """A bot variable in its object form; a plain value in a document is short for
    `{"value": ...}`."""

    value: str | int | float | bool | None = Field(None, description="The value.")
    env: str | None = Field(None, description="Read the value from this environment variable.")
    secret: bool = Field(False, description="Never shown in logs, events or errors.")
    description: str | None = None


VARIABLE_TAGS = ("object", "value")
"""The two shapes of a variable; validation leaves them out of error locations."""


def _variable_shape(value: Any) -> str:
    return VARIABLE_TAGS[0] if isinstance(value, dict | Variable) else VARIABLE_TAGS[1]


def _scalar(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ValueError("give a string, number, boolean or null, or an object {value, env, secret}")


Scalar = Annotated[
    str | int | float | bool | None,
    PlainValidator(_scalar),
    WithJsonSchema({"type": ["string", "number", "boolean", "null"]}),
]

VariableValue = Annotated[
    Annotated[Variable, Tag(VARIABLE_TAGS[0])] | Annotated[Scalar, Tag(VARIABLE_TAGS[1])],
    Discriminator(_variable_shape),
]
"""A plain value, or an object with value/env/secret; errors name only the shape given."""


class Position(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")
    x: float = 0
    y: float = 0


class NodeBase(BaseModel):
    """A React Flow node; UI-only keys the builder adds (width, selected...) are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    id: str = Field(min_length=1, max_length=200)
    type: str
    position: Position | None = None
    data: NodeParams


def _node_model(type_name: str) -> type[NodeBase]:
    kind = KINDS[type_name]
    name = "".join(part.title() for part in type_name.split("_")) + "Node"
    literal: Any = Literal[type_name]
    model: type[NodeBase] = create_model(
        name,
        __base__=NodeBase,
        __doc__=kind.description,
        type=(literal, ...),
        data=(kind.params, Field(default_factory=kind.params)),
    )
    return model


NODE_MODELS: dict[str, type[NodeBase]] = {t: _node_model(t) for t in KINDS}

if TYPE_CHECKING:
    Node = NodeBase
else:
    # built from the registry, so adding a node kind touches no other file
    Node = Annotated[Union[tuple(NODE_MODELS.values())], Field(discriminator="type")]  # noqa: UP007


class Edge(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
    id: str | None = None
    source: str
    target: str
    source_handle: str | None = Field(None, alias="sourceHandle")


class Workflow(Strict):
    """A bot: what to run and how. Validate documents with `engine.validate.load_workflow`."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="Bot")
    version: Literal[1] = Field(1, description="Version of the bot document format.")
    name: str = Field("bot", min_length=1, max_length=200)
    description: str | None = None
    settings: BotSettings = Field(default_factory=BotSettings)
    variables: dict[str, VariableValue] = Field(
        default_factory=dict, description="Values the nodes refer to as {{name}}."
    )
    nodes: list[Node] = Field(min_length=1, max_length=MAX_NODES)
    edges: list[Edge] = Field(default_factory=list, max_length=MAX_EDGES)
    viewport: dict[str, float] | None = Field(
        None, description="The builder's canvas viewport, kept as is."
    )

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)
