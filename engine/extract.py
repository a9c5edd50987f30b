"""Pure extraction: an HTML string in, plain data out.

`Document` parses a page once and answers queries on it. Queries whose selectors are all CSS run
on selectolax's lexbor parser (the fast path); a query that involves any XPath runs entirely on
parsel (lxml), which handles both. Each parsed tree is built on first use and kept.

Scope inside an item: a CSS field selector matches the item itself and its descendants (as in
parsel); on the lexbor path the selector's leading parts may also match the item's ancestors, as
in a browser's `querySelectorAll`. XPath keeps its own rules: `./a` and `.//a` are relative to
the item, while `//a` searches the whole document.

Values: "text" is the text a reader sees, whitespace collapsed (line breaks and block elements
separate words; script and style inside the element are left out); "html" and "inner_html" are
serialised by the backend's parser, so details such as attribute quoting may differ between the
two paths. Absence is `None`: a missing element or attribute gives `None`, `[]` for `many`.
"""

from __future__ import annotations

import html as htmlcodec
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, TypeVar
from urllib.parse import urljoin, urlsplit

import pydantic
from parsel import Selector
from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator, model_validator
from selectolax.lexbor import LexborHTMLParser, LexborNode

from engine.errors import PatternTooSlow, SelectorError
from engine.selectors import (
    SelectorType,
    css_to_xpath,
    selector_kind,
    validate_selector,
    xpath_message,
)
from engine.transforms import Transform, TransformSpec, apply

# --- the field model -----------------------------------------------------------------------

_VALUE_FORM = re.compile(r"text|html|inner_html|attr:[^\s\"'>/=]+")


class _Named(Protocol):
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=_Named)


def unique_names(fields: list[N]) -> list[N]:
    """The fields, if no two share a name; ValueError naming the first repeated one."""
    seen: set[str] = set()
    for field in fields:
        if field.name in seen:
            raise ValueError(f"duplicate field name {field.name!r}")
        seen.add(field.name)
    return fields


class Field(BaseModel):
    """One named value to extract; with `fields`, a list of sub-records instead."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = pydantic.Field(min_length=1, description="Key of the value in the record.")
    selector: str | None = pydantic.Field(
        None, description="CSS or XPath selector; empty for the item element itself."
    )
    selector_type: SelectorType | None = pydantic.Field(
        None,
        description='Selector language; empty to detect: XPath if it starts with "/", "./", '
        '"../", "(" or "xpath:", CSS otherwise.',
    )
    value: str = pydantic.Field(
        "text",
        description='What to take from the element: "text", "html" (outer), "inner_html" or '
        '"attr:NAME".',
    )
    many: bool = pydantic.Field(False, description="Take every match as a list, not the first.")
    template: str | None = pydantic.Field(
        None,
        description="Write this text instead of reading the page: {{current.url}}, "
        "{{current.title}}, {{now}}, a variable or an evaluate result ({{name}}); no selector.",
    )
    transforms: list[TransformSpec] = pydantic.Field(
        default_factory=list, description="Transforms applied in order to the value."
    )
    fields: list[Field] = pydantic.Field(
        default_factory=list,
        description="Sub-fields: each match of `selector` becomes a record of these fields.",
    )

    @field_validator("selector", "selector_type", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        # a builder's form sends "" for a field left empty
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("field name is blank")
        return name

    @field_validator("value")
    @classmethod
    def _value_form(cls, value: str) -> str:
        if not _VALUE_FORM.fullmatch(value):
            raise ValueError(
                f'value {value!r} is not one of "text", "html", "inner_html", "attr:NAME"'
            )
        return value

    @field_validator("fields")
    @classmethod
    def _fields_unique(cls, fields: list[Field]) -> list[Field]:
        return unique_names(fields)

    @model_validator(mode="after")
    def _consistent(self) -> Field:
        # Selector syntax is checked by workflow validation, which knows about {{variables}}.
        if self.fields and (self.transforms or self.value != "text"):
            raise ValueError(f"field {self.name!r} has sub-fields, so takes no value or transforms")
        if self.template is not None and (
            self.selector is not None or self.fields or self.many or self.value != "text"
        ):
            raise ValueError(
                f"field {self.name!r} has a template, so takes no selector, value, many or fields"
            )
        return self


Fields = Annotated[list[Field], AfterValidator(unique_names)]
"""A list of fields with unique names, for use in node parameters."""


# --- backends ------------------------------------------------------------------------------


def _collapse(text: str) -> str:
    return " ".join(text.split())


# Text reads as a person sees it: line breaks and block boundaries separate words even in
# minified HTML, and the contents of script/style inside the element are not text.
_BLOCK_TAGS = (
    "address article aside blockquote br caption dd details dialog div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr legend li main menu "
    "nav ol option p pre section summary table tbody td tfoot th thead tr ul"
)
_BLOCKS = frozenset(_BLOCK_TAGS.split())
_HIDDEN = frozenset(("script", "style", "template"))


def _lexbor_text(node: LexborNode) -> str:
    first = node.first_child
    if first is not None and first.next is None and first.tag == "-text":
        return _collapse(first.text_content or "")  # the common case: one text node
    parts: list[str] = []
    stack: list[LexborNode | str | None] = [first]  # a str is a pending space
    while stack:
        item = stack.pop()
        if item is None:
            continue
        if isinstance(item, str):
            parts.append(item)
            continue
        stack.append(item.next)
        tag = item.tag
        if tag == "-text":
            parts.append(item.text_content or "")
        elif tag is None or tag[0] == "-" or tag in _HIDDEN:
            continue  # comments and the like
        elif tag in _BLOCKS:
            parts.append(" ")
            stack += (" ", item.first_child)
        else:
            stack.append(item.first_child)
    return _collapse("".join(parts))


def _lxml_text(element: Any) -> str:
    parts: list[str] = []
    stack: list[Any] = [element]  # lxml elements, or str to append as they are
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        if item is not element and (not isinstance(item.tag, str) or item.tag in _HIDDEN):
            continue  # comments, processing instructions, script, style
        parts.append(item.text or "")
        for child in reversed(item):
            stack.append(child.tail or "")
            if isinstance(child.tag, str) and child.tag in _BLOCKS:
                stack += (" ", child, " ")
            else:
                stack.append(child)
    return _collapse("".join(parts))


@dataclass(frozen=True, slots=True)
class _Plan:
    """A field made ready for one backend: selector resolved, value form split."""

    name: str
    query: str | None
    how: str
    attr: str
    many: bool
    transforms: tuple[Transform, ...]
    fields: tuple[_Plan, ...] | None
    template: str | None


class _Lexbor:
    """CSS on selectolax lexbor nodes."""

    def __init__(self, tree: LexborHTMLParser) -> None:
        root = tree.root
        if root is None:
            raise ValueError("the HTML parser produced no document root")
        self.root: LexborNode = root

    def query(self, kind: SelectorType, expr: str) -> str:
        return expr

    def select(self, scope: LexborNode, query: str) -> list[LexborNode]:
        return scope.css(query)

    def value(self, node: LexborNode, how: str, attr: str) -> str | None:
        if how == "text":
            return _lexbor_text(node)
        if how == "attr":
            attrs = node.attrs
            found = attrs.get(attr)
            if found is None and attr in attrs:
                return ""  # an attribute written without a value, like `disabled`
            return found
        return node.html if how == "html" else node.inner_html

    def link(self, node: LexborNode, attr: str) -> str | None:
        found = node.attrs.get(attr)
        if found is None and (anchor := node.css_first("a[href]")) is not None:
            found = anchor.attrs.get("href")
        return found


class _Parsel:
    """CSS (translated) and XPath on parsel selectors."""

    def __init__(self, root: Selector) -> None:
        self.root = root

    def query(self, kind: SelectorType, expr: str) -> str:
        return css_to_xpath(expr) if kind == "css" else expr

    def select(self, scope: Selector, query: str) -> list[Selector]:
        try:
            return list(scope.xpath(query))
        except ValueError as e:
            raise SelectorError(f"invalid XPath {query!r}: {xpath_message(e, query)}") from None

    def value(self, node: Selector, how: str, attr: str) -> str | None:
        root = node.root
        if isinstance(root, str | bool | int | float):  # an attribute, text node or XPath value
            if how == "attr":
                return None
            text = _scalar(root)
            return _collapse(text) if how == "text" else text
        if how == "text":
            return _lxml_text(root)
        if how == "attr":
            found: str | None = root.get(attr)
            return found
        if how == "html":
            markup: str = node.get()
        else:
            markup = "".join(
                htmlcodec.escape(child.root, quote=False)
                if isinstance(child.root, str)
                else child.get()
                for child in node.xpath("node()")
            )
        return markup.replace("\xa0", "&nbsp;")  # serialise as lexbor (and the HTML spec) do

    def link(self, node: Selector, attr: str) -> str | None:
        if isinstance(node.root, str):
            return node.root
        found: str | None = node.root.get(attr) if hasattr(node.root, "get") else None
        if found is None:
            found = node.xpath("descendant-or-self::a[@href][1]/@href").get()
        return found


def _scalar(value: str | bool | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _plans(backend: _Lexbor | _Parsel, fields: Sequence[Field]) -> tuple[_Plan, ...]:
    plans = []
    for field in fields:
        query = None
        if field.selector is not None:
            query = backend.query(*_checked(field.selector, field.selector_type))
        how, _, attr = field.value.partition(":")
        nested = _plans(backend, field.fields) if field.fields else None
        plans.append(
            _Plan(
                field.name,
                query,
                how,
                attr,
                field.many,
                tuple(field.transforms),
                nested,
                field.template,
            )
        )
    return tuple(plans)


# The backends share a shape but not a node type; `Any` stands for "the backend's own node".
def _record(backend: Any, scope: Any, plans: tuple[_Plan, ...], url: str | None) -> dict[str, Any]:
    """Extract one record from `scope`, a node of `backend`."""
    row: dict[str, Any] = {}
    found: dict[str, list[Any]] = {}  # fields often share a selector, e.g. a link's text and href
    for plan in plans:
        if plan.template is not None:  # written by the bot, its {{values}} already filled in
            row[plan.name] = apply(plan.transforms, plan.template, url)
            continue
        if plan.query is None:
            nodes: list[Any] = [scope]
        elif plan.query in found:
            nodes = found[plan.query]
        else:
            nodes = found[plan.query] = backend.select(scope, plan.query)
        try:
            row[plan.name] = _value(backend, nodes, plan, url)
        except PatternTooSlow as exc:
            raise exc.within(plan.name) from None
    return row


def _value(backend: Any, nodes: list[Any], plan: _Plan, url: str | None) -> Any:
    """One field's value from the nodes its selector matched."""
    value: Any
    if plan.fields is not None:
        return [_record(backend, node, plan.fields, url) for node in nodes]
    if plan.many:
        values = (backend.value(node, plan.how, plan.attr) for node in nodes)
        value = [v for v in values if v is not None]
    else:
        value = backend.value(nodes[0], plan.how, plan.attr) if nodes else None
    return apply(plan.transforms, value, url) if plan.transforms else value


def _kinds(fields: Sequence[Field]) -> set[SelectorType]:
    kinds: set[SelectorType] = set()
    for field in fields:
        if field.selector is not None:
            kinds.add(selector_kind(field.selector, field.selector_type)[0])
        kinds |= _kinds(field.fields)
    return kinds


def _checked(selector: str, selector_type: SelectorType | None) -> tuple[SelectorType, str]:
    if problem := validate_selector(selector, selector_type):
        raise SelectorError(problem)
    return selector_kind(selector, selector_type)


_SKIPPED_LINKS = ("javascript:", "mailto:", "tel:", "data:", "#")


def page_link(raw: str) -> str | None:
    """An href cleaned of the tabs and newlines browsers ignore, or None when it does not lead
    to another web page (javascript:, mailto:, tel:, data:, other schemes, a "#" fragment)."""
    link = re.sub(r"[\t\n\r]", "", raw).strip()
    if not link or link.lower().startswith(_SKIPPED_LINKS):
        return None
    return link if urlsplit(link).scheme.lower() in ("", "http", "https") else None


# --- the document --------------------------------------------------------------------------


class Document:
    """One parsed page: parse once, query many times.

    Invalid selectors raise `SelectorError`.
    """

    def __init__(self, html: str, url: str | None = None) -> None:
        self.html = html
        self.url = url
        self._lexbor: _Lexbor | None = None
        self._parsel: _Parsel | None = None

    def _backend(self, kinds: set[SelectorType]) -> Any:
        if "xpath" in kinds:
            if self._parsel is None:
                self._parsel = _Parsel(Selector(text=self.html, type="html"))
            return self._parsel
        if self._lexbor is None:
            self._lexbor = _Lexbor(LexborHTMLParser(self.html))
        return self._lexbor

    def _matches(self, selector: str, selector_type: SelectorType | None) -> tuple[Any, list[Any]]:
        kind, expr = _checked(selector, selector_type)
        backend = self._backend({kind})
        return backend, backend.select(backend.root, backend.query(kind, expr))

    def count(self, selector: str, selector_type: SelectorType | None = None) -> int:
        """Number of elements the selector matches."""
        return len(self._matches(selector, selector_type)[1])

    def texts(self, selector: str, selector_type: SelectorType | None = None) -> list[str]:
        """Whitespace-collapsed text of every match."""
        backend, nodes = self._matches(selector, selector_type)
        return [text for node in nodes if (text := backend.value(node, "text", "")) is not None]

    def record(self, fields: Sequence[Field]) -> dict[str, Any]:
        """One record from the whole page; a field without selector reads the `<html>` element."""
        unique_names(list(fields))
        backend = self._backend(_kinds(fields))
        return _record(backend, backend.root, _plans(backend, fields), self.url)

    def items(
        self,
        item_selector: str,
        fields: Sequence[Field],
        *,
        limit: int | None = None,
        selector_type: SelectorType | None = None,
    ) -> list[dict[str, Any]]:
        """One record per element matching `item_selector`; field selectors are scoped to it."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        unique_names(list(fields))
        kind, expr = _checked(item_selector, selector_type)
        backend = self._backend({kind} | _kinds(fields))
        nodes: list[Any] = backend.select(backend.root, backend.query(kind, expr))
        plans = _plans(backend, fields)
        return [_record(backend, node, plans, self.url) for node in nodes[:limit]]

    def links(
        self, selector: str, *, attr: str = "href", selector_type: SelectorType | None = None
    ) -> list[str]:
        """Absolute URLs of the matches, de-duplicated in order.

        An element without `attr` gives the href of its first `a[href]` (itself included);
        javascript:, mailto:, tel:, data: and same-page "#" links are skipped.
        """
        backend, nodes = self._matches(selector, selector_type)
        seen: dict[str, None] = {}
        for node in nodes:
            raw = backend.link(node, attr)
            link = page_link(raw) if raw is not None else None
            if link is None:
                continue
            seen.setdefault(urljoin(self.url, link) if self.url else link)
        return list(seen)
