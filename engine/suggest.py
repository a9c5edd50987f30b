"""Selector suggestions for an element clicked on a page: HTML and the element's path in, ranked
selectors out.

CSS candidates are counted on selectolax's lexbor parser and XPath candidates on parsel (lxml),
the parsers extraction uses, so a count here is the count a bot will see. Candidates that match
exactly the clicked element (for a list: exactly its items) come first, then by stability: ids
and test attributes (data-testid, data-qa, ...), then name, itemprop, aria-label, then a
meaningful class, then other attributes and the element's text (XPath only), then the tag, then
utility classes, and positions last. A combination is as stable as its weakest part, less 5%
for each extra part. Generated-looking ids and classes (`ember123`, `:r1:`, `css-1x2y3z`) are
never used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from selectolax.lexbor import LexborNode

from engine._suggest_parts import (
    TAG_SCORE,
    Link,
    Part,
    chain_css,
    chain_reason,
    chain_score,
    chain_xpath,
    element_parts,
    position_part,
    presence_parts,
    stable_classes,
    text_part,
)
from engine._suggest_tree import Page, classes, inside, kids, lineage, position, same
from engine.selectors import SelectorType, validate_selector


class PathStep(BaseModel):
    """One element on the path from `<html>` down to the clicked element."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tag: str = Field(min_length=1, description="Tag name, lower case.")
    id: str | None = Field(None, description="The element's id, if it has one.")
    classes: list[str] = Field(default_factory=list, description="The element's classes.")
    attributes: dict[str, str] = Field(
        default_factory=dict,
        description="Its other attributes (data-*, name, role, aria-label, href, ...).",
    )
    index: int = Field(ge=1, description="1-based position among its parent's element children.")
    text: str | None = Field(None, description="The element's own trimmed text, maybe truncated.")

    @field_validator("tag")
    @classmethod
    def _lower(cls, tag: str) -> str:
        return tag.lower()


class Candidate(BaseModel):
    """One suggested selector with how many elements it matches on the page."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    selector: str = Field(description="CSS as is; XPath with the `xpath:` prefix.")
    kind: SelectorType = Field(description="Selector language.")
    matches: int = Field(ge=0, description="Number of elements it matches on the page.")
    unique: bool = Field(
        description="Matches exactly the clicked element (for a list: exactly its items)."
    )
    stability: float = Field(
        ge=0, le=1, description="How likely it survives a site change: a heuristic, 0 to 1."
    )
    reason: str = Field(description="What the selector relies on.")


# How far combinations reach: enough for real pages, small enough to stay quick.
_ANCESTORS = 5
_PARTS = 4
_TWINS = 1  # best CSS candidates also offered as XPath
# Positional CSS on lexbor takes time quadratic in a list's length (20,000 items: over 10 s, for
# a bot too); past this many elements of the tag, positions are offered as XPath only.
_POSITION_LIMIT = 2000
_SAMPLE = 40  # items whose parts are compared in a long list; the count checks them all
_LANDMARKS = frozenset(("html", "body", "main", "header", "footer", "nav"))


def _parts(node: LexborNode) -> list[Part]:
    return element_parts(node.tag or "*", node.attributes)


class _Judge:
    """Counts chains' matches and keeps those that match every wanted element."""

    def __init__(self, page: Page, wanted: Sequence[LexborNode]) -> None:
        self.page, self.wanted = page, set(wanted)
        self._wanted_xpath: set[Any] | None = None
        self.found: dict[str, Candidate | None] = {}
        self.chains: dict[str, Sequence[Link]] = {}

    def css(self, chain: Sequence[Link]) -> Candidate | None:
        """Judge the chain as CSS (as XPath when it has no CSS form or positions in a long list)."""
        expr = chain_css(chain)
        tags = {part.positional_tag for part, _ in chain if part.positional_tag}
        if expr is None or any(len(self.page.css(t)) > _POSITION_LIMIT for t in tags):
            return self.xpath(chain)
        return self._judge(expr, "css", chain, chain_score(chain))

    def xpath(self, chain: Sequence[Link], penalty: float = 0.0) -> Candidate | None:
        return self._judge(chain_xpath(chain), "xpath", chain, chain_score(chain) - penalty)

    def _judge(
        self, expr: str, kind: SelectorType, chain: Sequence[Link], score: float
    ) -> Candidate | None:
        selector = expr if kind == "css" else f"xpath:{expr}"
        if selector in self.found:
            return self.found[selector]
        candidate = None
        if validate_selector(selector) is None:
            hits, wanted = self._hits(kind, expr)
            if wanted and wanted <= hits:
                candidate = Candidate(
                    selector=selector,
                    kind=kind,
                    matches=len(hits),
                    unique=hits == wanted,
                    stability=round(max(score, 0.0), 3),
                    reason=chain_reason(chain),
                )
        self.found[selector], self.chains[selector] = candidate, chain
        return candidate

    def _hits(self, kind: SelectorType, expr: str) -> tuple[set[Any], set[Any]]:
        if kind == "css":
            return set(self.page.css(expr)), self.wanted
        if self._wanted_xpath is None:
            self._wanted_xpath = self.page.mirror(self.wanted) or set()
        return set(self.page.xpath(expr)), self._wanted_xpath

    def ranked(self, limit: int) -> list[Candidate]:
        """Exact matches first, then by stability, then shorter; one XPath at least (limit > 1)."""
        for candidate in self._ordered()[:_TWINS]:
            if candidate.kind == "css":
                self.xpath(self.chains[candidate.selector], penalty=0.01)
        ordered = self._ordered()
        top = ordered[:limit]
        if limit > 1 and not any(c.kind == "xpath" for c in top):
            xpath = next((c for c in ordered if c.kind == "xpath"), None)
            top = top if xpath is None else [*top[: limit - 1], xpath]
        return top

    def _ordered(self) -> list[Candidate]:
        found = [c for c in self.found.values() if c is not None]
        return sorted(found, key=lambda c: (not c.unique, -c.stability, len(c.selector)))


def _positional(page: Page, target: LexborNode) -> list[Link]:
    """Child steps by position from the nearest ancestor that a part selects alone (by tag only
    for landmarks such as `<main>`)."""
    links: list[Link] = []
    node = target
    while (parent := node.parent) is not None and node.tag != "html":
        peers = [k for k in kids(parent) if k.tag == node.tag]
        tag = node.tag or "*"
        step = _parts(node)[-1] if len(peers) == 1 else position_part(tag, position(node, peers))
        links.insert(0, (step, True))
        for part in _parts(parent):
            if part.score <= TAG_SCORE and parent.tag not in _LANDMARKS:
                continue
            if part.css is not None and _only(page.css(part.css), parent):
                return [(part, False), *links]
        node = parent
    return links


def _only(nodes: list[LexborNode], node: LexborNode) -> bool:
    return len(nodes) == 1 and same(nodes[0], node)


def _check(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")


def suggest(html: str, path: list[PathStep], *, limit: int = 8) -> list[Candidate]:
    """Selectors for the clicked element at the end of `path`, best first.

    Raises `PathNotFound` when the path is not in `html`.
    """
    _check(limit)
    page = Page(html)
    target = page.locate(path)
    judge = _Judge(page, [target])
    own = _parts(target)
    weak = [p for p in own if (c := judge.css([(p, False)])) is None or not c.unique]
    said = text_part(target.tag or "*", path[-1].text) if path[-1].text else None
    if said is not None:
        judge.xpath([(said, False)])
    for ancestor in lineage(target)[1 : _ANCESTORS + 1]:
        for anchor in _parts(ancestor)[:_PARTS]:
            for part in weak[:_PARTS]:
                judge.css([(anchor, False), (part, False)])
    if positions := _positional(page, target):
        judge.css(positions)
    return judge.ranked(limit)


def _similar(a: LexborNode, b: LexborNode) -> bool:
    """Same tag, and a shared meaningful class unless neither has one."""
    ours = set(stable_classes(sorted(classes(a))))
    theirs = set(stable_classes(sorted(classes(b))))
    return a.tag == b.tag and (bool(ours & theirs) or not (ours or theirs))


def _group(node: LexborNode) -> list[LexborNode]:
    parent = node.parent
    return [k for k in kids(parent) if _similar(node, k)] if parent is not None else [node]


def _items(targets: list[LexborNode]) -> list[LexborNode]:
    """The repeating elements the examples belong to; empty if nothing repeats."""
    lines = [lineage(t)[::-1] for t in targets]  # outermost first
    if len(targets) > 1:
        depth = next(
            (d for d, ns in enumerate(zip(*lines, strict=False)) if len(set(ns)) > 1), None
        )
        if depth is not None:
            heads = [line[depth] for line in lines]
            if all(_similar(heads[0], h) for h in heads[1:]):
                return _group(heads[0])
    for depth in range(min(map(len, lines))):
        nodes = [line[-1 - depth] for line in lines]
        if len(set(nodes)) < len(nodes):
            break  # the examples meet: nothing between them repeats
        if all(_similar(nodes[0], n) for n in nodes[1:]):
            groups = [_group(n) for n in nodes]
            if all(len(g) >= 2 for g in groups):
                return list(dict.fromkeys(n for g in groups for n in g))
    return []


def _shared_parts(items: list[LexborNode]) -> list[Part]:
    """The parts every item has, and attributes they all carry, best first."""
    items = items[:: max(1, len(items) // _SAMPLE)]
    each = [{p.css: p for p in _parts(item)} for item in items]
    parts = [p for css, p in each[0].items() if all(css in e for e in each[1:])]
    names = set.intersection(*(set(item.attributes) for item in items))
    parts += presence_parts(items[0].tag or "*", sorted(names))
    return sorted(parts, key=lambda p: -p.score)


def suggest_list(html: str, examples: list[list[PathStep]], *, limit: int = 5) -> list[Candidate]:
    """Selectors for the repeating items that one or more clicked examples belong to, best first.

    Empty if nothing around the examples repeats; raises `PathNotFound` when a path is not in
    `html`.
    """
    _check(limit)
    if not examples:
        raise ValueError("suggest_list needs at least one example")
    page = Page(html)
    many = len(examples) > 1
    located = [page.locate(p, f"example {i}: " if many else "") for i, p in enumerate(examples, 1)]
    items = _items(list(dict.fromkeys(located)))
    if not items:
        return []
    judge = _Judge(page, items)
    shared = _shared_parts(items)
    for part in shared:
        judge.css([(part, False)])
    parents = {item.parent for item in items}
    container = items[0].parent
    while container is not None and not all(inside(p, container) for p in parents):
        container = container.parent
    if container is not None:
        for hops, ancestor in enumerate(lineage(container)[:_ANCESTORS]):
            child = hops == 0 and len(parents) == 1
            for anchor in _parts(ancestor)[:_PARTS]:
                for part in shared[:_PARTS]:
                    judge.css([(anchor, False), (part, child)])
    return judge.ranked(limit)
