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
from itertools import takewhile
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
from engine.errors import NotInItem, SelectorError
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

    relative = False  # XPath from the document's root

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
        expr = chain_xpath(chain, relative=self.relative)
        return self._judge(expr, "xpath", chain, chain_score(chain) - penalty)

    def _judge(
        self, expr: str, kind: SelectorType, chain: Sequence[Link], score: float
    ) -> Candidate | None:
        selector = expr if kind == "css" else f"xpath:{expr}"
        if selector in self.found:
            return self.found[selector]
        candidate = None
        if validate_selector(selector) is None and (verdict := self._verdict(kind, expr)):
            matches, unique = verdict
            candidate = Candidate(
                selector=selector,
                kind=kind,
                matches=matches,
                unique=unique,
                stability=round(max(score, 0.0), 3),
                reason=chain_reason(chain),
            )
        self.found[selector], self.chains[selector] = candidate, chain
        return candidate

    def _verdict(self, kind: SelectorType, expr: str) -> tuple[int, bool] | None:
        """Its match count and whether it matches only the wanted elements; `None` when it
        misses one of them."""
        hits, wanted = self._hits(kind, expr)
        return (len(hits), hits == wanted) if wanted and wanted <= hits else None

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
        return sorted(found, key=self._rank)

    def _rank(self, c: Candidate) -> tuple[bool, float, float, int]:
        return not c.unique, 0, -c.stability, len(c.selector)


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


class FieldCandidate(Candidate):
    """A field selector, relative to a list's item as an extract node applies it."""

    items: int = Field(ge=0, description="Items in which it matches an element.")


class _InItems(_Judge):
    """Judges chains as an extract node applies its fields: inside each item (the clicked
    element's first), unique when it finds the element in its item and one at most in others;
    of equally unique ones, those matching in more items come first."""

    relative = True

    def __init__(self, page: Page, items: list[LexborNode], target: LexborNode) -> None:
        super().__init__(page, [target])
        self.items, self.target = items, target
        self.covered: dict[str, int] = {}
        self._twins: list[Any] | None = None

    def _lxml(self) -> list[Any]:
        """The target and the items in the lxml tree (`None` where the parsers disagree)."""
        if self._twins is None:
            self._twins = [self.page.twin(node) for node in (self.target, *self.items)]
        return self._twins

    def _verdict(self, kind: SelectorType, expr: str) -> tuple[int, bool] | None:
        if kind == "css":
            found = [item.css(expr) for item in self.items]
            hit = any(same(node, self.target) for node in found[0])
        else:
            target, *items = self._lxml()
            found = [list(item.xpath(expr)) if item is not None else [] for item in items]
            hit = target is not None and target in found[0]
        self.covered[expr if kind == "css" else f"xpath:{expr}"] = sum(1 for f in found if f)
        unique = len(found[0]) == 1 and all(len(f) <= 1 for f in found[1:])
        return (sum(map(len, found)), unique) if hit else None

    def _rank(self, c: Candidate) -> tuple[bool, float, float, int]:
        return not c.unique, -self.covered[c.selector], -c.stability, len(c.selector)

    def shared(self, part: Part) -> bool:
        """Whether the part names no value, or one every other item carrying that attribute
        has too; an id or a text must also be seen in another item (else it is this item's)."""
        if part.value_of is None:
            return True
        others = self.items[1:]
        if part.css is None:  # a text
            twins = self._lxml()[2:]
            return any(t is not None and t.xpath(f".//{part.xpath}") for t in twins)
        carried = [item for item in others if item.css(f"[{part.value_of}]")]
        if not all(item.css(part.css) for item in carried):
            return False
        return bool(carried) or part.value_of != "id"

    def fields(self, limit: int) -> list[FieldCandidate]:
        ranked = self.ranked(limit)
        return [FieldCandidate(**c.model_dump(), items=self.covered[c.selector]) for c in ranked]


def _item_around(target: LexborNode, items: list[LexborNode], item_selector: str) -> LexborNode:
    """The nearest of `items` that `target` is inside."""
    ours = {item.mem_id: item for item in items}
    node = target.parent
    while node is not None:
        if node.mem_id in ours:
            return ours[node.mem_id]
        node = node.parent
    if target.mem_id in ours:
        raise NotInItem(f"it is one of the items {item_selector!r} matches, not inside one")
    matched = f"{len(items)} elements, none around it" if items else "nothing on the page"
    raise NotInItem(f"it is outside the items: {item_selector!r} matches {matched}")


def _steps(item: LexborNode, target: LexborNode) -> list[Link]:
    """Child steps from the item down to the element: each by its tag where no sibling has
    that tag, else by its position."""
    links: list[Link] = []
    node = target
    while not same(node, item) and (parent := node.parent) is not None:
        peers = [k for k in kids(parent) if k.tag == node.tag]
        tag = node.tag or "*"
        alone = len(peers) == 1
        step = element_parts(tag, {})[-1] if alone else position_part(tag, position(node, peers))
        links.insert(0, (step, True))
        node = parent
    return links


def suggest_within(
    html: str, item_selector: str, path: list[PathStep], *, limit: int = 8
) -> list[FieldCandidate]:
    """Field selectors for the clicked element at the end of `path`, relative to the item
    around it that `item_selector` matches, as an extract node reads fields; best first.

    Values only the clicked element's item has (ids, texts, per-item attributes) are left out.
    Raises `PathNotFound` when the path is not in `html`, `NotInItem` when no item is around
    the element and `SelectorError` for an invalid `item_selector`.
    """
    _check(limit)
    if problem := validate_selector(item_selector):
        raise SelectorError(problem)
    page = Page(html)
    target = page.locate(path)
    items = page.select(item_selector)
    home = _item_around(target, items, item_selector)
    judge = _InItems(page, [home, *(i for i in items if not same(i, home))], target)
    parts = _parts(target)
    own = [p for p in parts if judge.shared(p)]
    varying = [p.value_of for p in parts if p.value_of and p not in own]
    own += presence_parts(target.tag or "*", [name for name in varying if name != "text()"])
    weak = [p for p in own if (c := judge.css([(p, False)])) is None or not c.unique]
    said = text_part(target.tag or "*", path[-1].text) if path[-1].text else None
    if said is not None and judge.shared(said):
        judge.xpath([(said, False)])
    between = takewhile(lambda node: not same(node, home), lineage(target)[1:])
    for ancestor in list(between)[:_ANCESTORS]:
        anchors = [p for p in _parts(ancestor) if judge.shared(p)]
        for anchor in anchors[:_PARTS]:
            for part in weak[:_PARTS]:
                judge.css([(anchor, False), (part, False)])
    judge.css(_steps(home, target))
    return judge.fields(limit)
