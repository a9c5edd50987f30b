"""Selector parts for `engine.suggest`: which names look generated, and how each part scores.

A part selects one element on its own (`#main`, `li.product`, `[data-testid="buy"]`); a chain
joins parts with descendant or child combinators and is written both as CSS and as XPath.
A chain is as stable as its weakest part, less `HOP` for every part after the first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise

TEST_ATTRIBUTES = (
    "data-testid",
    "data-test-id",
    "data-test",
    "data-qa",
    "data-cy",
    "data-automation-id",
    "data-id",
)
"""Attributes written for tests and automation: as stable as a hand-written id."""

# Scores are rough odds that a selector on the name survives the site's next release.
ID_SCORE = 0.95
_ATTRIBUTE_SCORES: dict[str, float] = {
    **dict.fromkeys(TEST_ATTRIBUTES, 0.95),
    "name": 0.9,
    "itemprop": 0.88,
    "aria-label": 0.85,
    "for": 0.8,
    "placeholder": 0.75,
    "rel": 0.75,
    "title": 0.75,
    "role": 0.7,
    "type": 0.7,
    "alt": 0.7,
    "href": 0.65,
}
DATA_SCORE = 0.75  # other data-* attributes
CLASS_SCORE = 0.8
CLASSES_SCORE = 0.75  # two classes: more specific, one more thing to change
UTILITY_SCORE = 0.5
TAG_SCORE = 0.6
TEXT_SCORE = 0.7
POSITION_SCORE = 0.4
PRESENCE_PENALTY = 0.2  # `[data-id]` says less than `[data-id="p1"]` or a class naming the kind
HOP = 0.95

_MAX_VALUE = 80
_IDENT = re.compile(r"-?[A-Za-z_][A-Za-z0-9_-]*")
_UNSAFE = re.compile(r"[\"'\\\x00-\x1f]")

# Prefixes of CSS-in-JS and framework output: generated whatever follows.
_ALWAYS = re.compile(r"^(css|sc|jsx|svelte|emotion|ng-tns|tw)-|^jss\d", re.IGNORECASE)
# Prefixes that frameworks number: generated when a digit follows.
_NUMBERED = re.compile(
    r"^(ember|ext-gen|ext-comp|yui_|gwt-|j_id|react-select|react-aria|mui-|radix-|headlessui-"
    r"|downshift-|rc-|select2-|ui-id-|uid-|__bvid__)",
    re.IGNORECASE,
)
_DIGIT_RUN = re.compile(r"\d{4,}")
_MODULE_HASH = re.compile(r"__[A-Za-z0-9_-]{5,}$")  # CSS modules: Button_root__a1B2c
_HEX = re.compile(r"[0-9a-f]{8,}", re.IGNORECASE)
_UTILITY = re.compile(
    r"^-?[mp][trblxyse]?-"
    r"|^(w|h|min-w|max-w|min-h|max-h|gap|space-[xy]|inset|top|left|right|bottom|z|order"
    r"|col-span|row-span|basis|grow|shrink|text|bg|border|rounded|font|leading|tracking|shadow"
    r"|opacity|ring|outline|fill|stroke|items|justify|content|self|place|overflow|cursor"
    r"|select|transition|duration|ease|translate|scale|rotate|d|col|g|align|float|fs|fw|lh)-"
    r"|^(flex|grid|block|inline|inline-block|inline-flex|hidden|contents|absolute|relative"
    r"|fixed|sticky|static|container|clearfix|sr-only|truncate|underline|uppercase|lowercase"
    r"|capitalize|italic|visible|invisible|rounded|shadow|border)$"
    r"|[:/\[\]!.]"
)
_STATE = re.compile(
    r"^(active|selected|current|open|opened|closed|hover|hovered|focus|focused|disabled|checked"
    r"|expanded|collapsed|show|shown|in|fade|loading|loaded|ng-\S+|is-\S+|has-\S+)$"
)


def _hashlike(segment: str) -> bool:
    switches = sum(a.isdigit() != b.isdigit() for a, b in pairwise(segment))
    if len(segment) >= 4 and switches >= 3:  # a8f3k2, 1x2y3z
        return True
    if _HEX.fullmatch(segment) and any(c.isdigit() for c in segment):
        return True
    # styled-components style: kXzFjr
    return 5 <= len(segment) <= 8 and segment.isalpha() and sum(map(str.isupper, segment[1:])) >= 2


def generated(name: str) -> bool:
    """Whether an id, class or token looks produced by a build tool or framework."""
    return ":" in name or _generated_token(name)  # React's useId gives ":r1:"


def _generated_token(name: str) -> bool:
    if not name or name[0].isdigit():
        return True
    if _ALWAYS.search(name) or _DIGIT_RUN.search(name) or _MODULE_HASH.search(name):
        return True
    if _NUMBERED.match(name) and any(c.isdigit() for c in name):
        return True
    return any(_hashlike(s) for s in re.split(r"[-_.]+", name))


def utility(name: str) -> bool:
    """Whether a class only styles or marks a state (`mt-2`, `flex`, `md:hidden`, `active`)."""
    return bool(_UTILITY.search(name) or _STATE.match(name))


def stable_classes(classes: Sequence[str]) -> list[str]:
    """The classes that name what an element is, in page order."""
    return [c for c in classes if _IDENT.fullmatch(c) and not generated(c) and not utility(c)]


@dataclass(frozen=True, slots=True)
class Part:
    """One element's selector as CSS (`None` if CSS cannot say it) and as an XPath step."""

    css: str | None
    xpath: str
    score: float
    reason: str
    positional_tag: str | None = None  # set when the part picks an element by position
    # the attribute ("id", "data-id", ...) or "text()" whose value it names: values that a
    # list's items may each have their own of
    value_of: str | None = None


Link = tuple[Part, bool]
"""A part and whether it must be a child (not any descendant) of the previous one."""


def _usable(value: str) -> bool:
    return bool(value.strip()) and len(value) <= _MAX_VALUE and not _UNSAFE.search(value)


def _value_generated(value: str) -> bool:
    tokens = re.split(r"[\s/?=&#]+", value)
    return any(_generated_token(t) for t in tokens if t and not (t.isdigit() and len(t) < 4))


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def _attribute_part(tag: str, name: str, value: str, score: float) -> Part:
    scope = "" if name in TEST_ATTRIBUTES else tag
    return Part(
        f'{scope}[{name}="{value}"]',
        f"{scope or '*'}[@{name}='{value}']",
        score,
        f"{name}={value!r}",
        value_of=name,
    )


def element_parts(tag: str, attributes: Mapping[str, str | None]) -> list[Part]:
    """The parts that could select an element, best first; generated names are left out."""
    tag = tag if _IDENT.fullmatch(tag) else "*"
    parts: list[Part] = []
    id_ = attributes.get("id")
    if id_ and _usable(id_) and not generated(id_):
        css = f"#{id_}" if _IDENT.fullmatch(id_) else f'[id="{id_}"]'
        parts.append(Part(css, f"*[@id='{id_}']", ID_SCORE, f"id {id_!r}", value_of="id"))
    for name, value in attributes.items():
        score = _ATTRIBUTE_SCORES.get(name, DATA_SCORE if name.startswith("data-") else 0)
        named = score and _IDENT.fullmatch(name) and not generated(name)
        if named and value and _usable(value) and not _value_generated(value):
            parts.append(_attribute_part(tag, name, value, score))
    classes = (attributes.get("class") or "").split()
    good = stable_classes(classes)[:3]
    for c in good:
        parts.append(Part(f"{tag}.{c}", f"{tag}[{_has_class(c)}]", CLASS_SCORE, f"class {c!r}"))
    for a, b in combinations(good, 2):
        xpath = f"{tag}[{_has_class(a)}][{_has_class(b)}]"
        parts.append(Part(f"{tag}.{a}.{b}", xpath, CLASSES_SCORE, f"classes {a!r} and {b!r}"))
    if not good:
        tools = [c for c in classes if _IDENT.fullmatch(c) and not generated(c)][:2]
        for c in tools:
            parts.append(
                Part(f"{tag}.{c}", f"{tag}[{_has_class(c)}]", UTILITY_SCORE, f"class {c!r}")
            )
    parts.append(Part(tag, tag, TAG_SCORE, f"tag {tag}"))
    return sorted(parts, key=lambda p: -p.score)


def presence_parts(tag: str, names: Sequence[str]) -> list[Part]:
    """Parts requiring attributes to be present, whatever their values (for list items)."""
    parts = []
    for name in names:
        score = _ATTRIBUTE_SCORES.get(name, DATA_SCORE if name.startswith("data-") else 0)
        if score and _IDENT.fullmatch(name) and not generated(name) and name not in ("id", "href"):
            reason = f"attribute {name}"
            parts.append(
                Part(f"{tag}[{name}]", f"{tag}[@{name}]", score - PRESENCE_PENALTY, reason)
            )
    return parts


def text_part(tag: str, text: str) -> Part | None:
    """An XPath part on the element's whole text, if the text is short and quotable."""
    text = " ".join(text.split())
    if not text or len(text) > 40 or _UNSAFE.search(text) or not _IDENT.fullmatch(tag):
        return None
    xpath = f"{tag}[normalize-space()='{text}']"
    return Part(None, xpath, TEXT_SCORE, f"text {text!r}", value_of="text()")


def position_part(tag: str, position: int) -> Part:
    """The `position`-th element of its tag among its siblings."""
    css = f"{tag}:nth-of-type({position})"
    return Part(css, f"{tag}[{position}]", POSITION_SCORE, f"position {position}", tag)


def chain_css(chain: Sequence[Link]) -> str | None:
    """The chain as CSS, or `None` when a part has no CSS form."""
    out: list[str] = []
    for i, (part, child) in enumerate(chain):
        if part.css is None:
            return None
        out.append(part.css if i == 0 else (" > " if child else " ") + part.css)
    return "".join(out)


def chain_xpath(chain: Sequence[Link], *, relative: bool = False) -> str:
    """The chain as an absolute XPath (`//a//b/c`), or one `relative` to the element it is
    applied to (`.//a//b/c`, `./a` for a child); a bare `tbody` step is left out, since lxml
    adds no `<tbody>` where browsers and lexbor do."""
    out: list[str] = ["."] if relative else []
    loose = not relative
    for part, child in chain:
        if out and part.xpath == "tbody":
            loose = True
            continue
        out.append(("/" if child and not loose else "//") + part.xpath)
        loose = False
    return "".join(out)


def chain_score(chain: Sequence[Link]) -> float:
    """The weakest part's score, less `HOP` per extra part and a little for a weak anchor."""
    score = min(part.score for part, _ in chain)
    if len(chain) > 1:
        score *= HOP ** (len(chain) - 1) * (0.9 + 0.1 * chain[0][0].score)
    return score


def chain_reason(chain: Sequence[Link]) -> str:
    """What the chain relies on, in words."""
    last, first = chain[-1][0], chain[0][0]
    if len(chain) == 1:
        return last.reason
    steps = any(p.positional_tag for p, _ in chain[1:-1])
    return f"{last.reason} under {first.reason}" + (" via positions" if steps else "")
