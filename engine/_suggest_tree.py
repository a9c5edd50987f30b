"""The parsed page for `engine.suggest`: finding a clicked element by its path, and the same
element in the lexbor tree (CSS) and the lxml tree (XPath), both ways."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from parsel import Selector
from selectolax.lexbor import LexborHTMLParser, LexborNode

from engine.errors import PathNotFound
from engine.selectors import selector_kind

# Elements one parser adds and another may not (lxml adds no <tbody>; browsers and lexbor do).
_IMPLIED = frozenset(("tbody", "thead", "tfoot", "colgroup"))

N = TypeVar("N")
_Facts = tuple[str, str | None, frozenset[str]]


class Step(Protocol):
    """One element of a path, as the extension describes it."""

    @property
    def tag(self) -> str: ...
    @property
    def id(self) -> str | None: ...
    @property
    def classes(self) -> Sequence[str]: ...
    @property
    def index(self) -> int: ...


@dataclass(frozen=True, slots=True)
class _Step:
    tag: str
    id: str | None
    classes: Sequence[str]
    index: int


def _label(step: Step) -> str:
    if step.id:
        return f"{step.tag}#{step.id}"
    return step.tag + "".join(f".{c}" for c in step.classes[:2])


def _child(
    parent: N, step: Step, kids: Callable[[N], list[N]], facts: Callable[[N], _Facts]
) -> N | None:
    """The child the step names: by index, else by id and classes nearest the index, else by
    index and tag alone."""
    children = kids(parent)

    def fits(node: N) -> bool:
        tag, id_, classes = facts(node)
        return tag == step.tag and step.id in (None, id_) and set(step.classes) <= classes

    at = children[step.index - 1] if step.index <= len(children) else None
    if at is not None and fits(at):
        return at
    same = [(abs(i - step.index), node) for i, node in enumerate(children, 1) if fits(node)]
    if same:
        return min(same, key=lambda pair: pair[0])[1]
    return at if at is not None and facts(at)[0] == step.tag else None


def _walk(
    root: N,
    path: Sequence[Step],
    kids: Callable[[N], list[N]],
    facts: Callable[[N], _Facts],
    what: str = "",
) -> N:
    """Follow `path` from the `<html>` element `root`; `PathNotFound` names the first lost step."""
    if not path:
        raise PathNotFound(f"{what}the path is empty")
    if path[0].tag != "html" or facts(root)[0] != "html":
        raise PathNotFound(f"{what}path step 1 ({_label(path[0])}) is not the <html> element")
    node, number = root, 2
    while number <= len(path):
        step = path[number - 1]
        found = _child(node, step, kids, facts)
        if found is None:  # a wrapper only this tree has
            wrappers = [k for k in kids(node) if facts(k)[0] in _IMPLIED]
            found = next((f for w in wrappers if (f := _child(w, step, kids, facts))), None)
        skippable = step.tag in _IMPLIED and number < len(path)  # a wrapper this tree lacks
        if found is None and skippable and _child(node, path[number], kids, facts) is not None:
            number += 1
            continue
        if found is None:
            raise PathNotFound(f"{what}path step {number} ({_label(step)}) is not in the page")
        node, number = found, number + 1
    return node


def kids(node: LexborNode) -> list[LexborNode]:
    """The element children (no text, comments or doctype)."""
    return [k for k in node.iter() if k.tag and k.tag[0] not in "-#_"]


# LexborNode's `==` compares serialized HTML (two equal-looking <li> are "equal", and a big
# subtree is slow to compare); its hash is the node's address, so sets and dicts are right.
def same(a: LexborNode | None, b: LexborNode | None) -> bool:
    """Whether `a` and `b` are the same node."""
    return a is not None and b is not None and a.mem_id == b.mem_id


def position(node: LexborNode, nodes: Sequence[LexborNode]) -> int:
    """The 1-based position of `node` in `nodes`."""
    return next(i for i, other in enumerate(nodes, 1) if same(node, other))


def classes(node: LexborNode) -> frozenset[str]:
    """The element's classes."""
    return frozenset((node.attributes.get("class") or "").split())


def _facts(node: LexborNode) -> _Facts:
    return node.tag or "", node.attributes.get("id"), classes(node)


def _lxml_kids(element: Any) -> list[Any]:
    return [k for k in element if isinstance(k.tag, str)]


def _lxml_facts(element: Any) -> _Facts:
    return element.tag, element.get("id"), frozenset((element.get("class") or "").split())


def lineage(node: LexborNode) -> list[LexborNode]:
    """The node and its ancestors, up to (not including) `<body>`."""
    found = []
    current: LexborNode | None = node
    while current is not None and current.tag not in ("body", "html"):
        found.append(current)
        current = current.parent
    return found


def inside(node: LexborNode | None, ancestor: LexborNode) -> bool:
    """Whether `node` is `ancestor` or one of its descendants."""
    while node is not None:
        if same(node, ancestor):
            return True
        node = node.parent
    return False


class Page:
    """The parsed page: lexbor for CSS, lxml (built when first needed) for XPath."""

    def __init__(self, html: str) -> None:
        root = LexborHTMLParser(html).root
        if root is None:
            raise PathNotFound("the page has no <html> element")
        self.html, self.root = html, root
        self._lxml: Selector | None = None

    def locate(self, path: Sequence[Step], what: str = "") -> LexborNode:
        """The element at the end of `path`; `what` prefixes the error message."""
        return _walk(self.root, path, kids, _facts, what)

    def css(self, expr: str) -> list[LexborNode]:
        return self.root.css(expr)

    def select(self, selector: str) -> list[LexborNode]:
        """The elements a CSS or XPath selector (as a bot writes it) matches, in the lexbor
        tree; an XPath match the parsers disagree about is left out."""
        kind, expr = selector_kind(selector)
        if kind == "css":
            return self.css(expr)
        elements = [e for e in self.xpath(expr) if isinstance(getattr(e, "tag", None), str)]
        return [node for e in elements if (node := self._lexbor_twin(e)) is not None]

    def _selector(self) -> Selector:
        if self._lxml is None:
            self._lxml = Selector(text=self.html, type="html")
        return self._lxml

    def xpath(self, expr: str) -> list[Any]:
        return [s.root for s in self._selector().xpath(expr)]

    def mirror(self, nodes: Iterable[LexborNode]) -> set[Any] | None:
        """The same elements in the lxml tree, or `None` if the parsers disagree about one."""
        found: set[Any] = set()
        families: dict[LexborNode, list[LexborNode]] = {}
        for node in nodes:
            if same(node, self.root):
                found.add(self._selector().root)
            elif node.parent is not None:
                families.setdefault(node.parent, []).append(node)
        for parent, family in families.items():
            twin = self.twin(parent)
            ours = kids(parent)
            theirs = _lxml_kids(twin) if twin is not None else []
            if [k.tag for k in ours] != [t.tag for t in theirs]:
                return None
            position = {kid: i for i, kid in enumerate(ours)}
            found.update(theirs[position[node]] for node in family)
        return found

    def twin(self, node: LexborNode) -> Any:
        """The same element in the lxml tree, or `None` if the parsers disagree about it."""
        steps: list[_Step] = []
        current: LexborNode | None = node
        while current is not None and current.tag and current.tag[0] not in "-#_":
            parent = current.parent
            index = position(current, kids(parent)) if parent is not None else 1
            tag, id_, names = _facts(current)
            steps.insert(0, _Step(tag, id_, sorted(names), index))
            current = parent
        try:
            return _walk(self._selector().root, steps, _lxml_kids, _lxml_facts)
        except PathNotFound:
            return None

    def _lexbor_twin(self, element: Any) -> LexborNode | None:
        steps: list[_Step] = []
        current = element
        while current is not None:
            parent = current.getparent()
            index = _lxml_kids(parent).index(current) + 1 if parent is not None else 1
            tag, id_, names = _lxml_facts(current)
            steps.insert(0, _Step(tag, id_, sorted(names), index))
            current = parent
        try:
            return _walk(self.root, steps, kids, _facts)
        except PathNotFound:
            return None
