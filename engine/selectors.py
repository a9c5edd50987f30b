"""Selectors: CSS or XPath by form, validity checks with messages, CSS for the XPath path."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Literal

import cssselect
from parsel import Selector, css2xpath
from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from engine.errors import SelectorError

SelectorType = Literal["css", "xpath"]

_XPATH_STARTS = ("/", "./", "../", "(")
_PREFIXES: tuple[tuple[str, SelectorType], ...] = (("xpath:", "xpath"), ("css:", "css"))


@functools.lru_cache(maxsize=4096)  # asked for every field of every page a run reads
def selector_kind(
    selector: str, selector_type: SelectorType | None = None
) -> tuple[SelectorType, str]:
    """Resolve the selector's kind and strip an `xpath:` / `css:` prefix.

    Without `selector_type`, a selector starting with "/", "./", "../" or "(" is XPath.
    """
    text = selector.strip()
    for prefix, kind in _PREFIXES:
        if text[: len(prefix)].lower() == prefix and selector_type in (None, kind):
            return kind, text[len(prefix) :].strip()
    if selector_type is not None:
        return selector_type, text
    return ("xpath" if text.startswith(_XPATH_STARTS) else "css"), text


def validate_selector(selector: str, selector_type: SelectorType | None = None) -> str | None:
    """Return `None` if the selector is valid, else a message naming it."""
    return _problem(*selector_kind(selector, selector_type))


@functools.lru_cache(maxsize=2048)
def _problem(kind: SelectorType, expr: str) -> str | None:
    if kind == "xpath":
        if not expr:
            return "invalid XPath '': it is empty"
        try:
            # Evaluating on a tiny page also catches unknown functions and wrong argument types.
            Selector(text="<html><body></body></html>", type="html").xpath(expr)
        except ValueError as e:
            return f"invalid XPath {expr!r}: {xpath_message(e, expr)}"
        return None
    if not expr:
        return "invalid CSS selector '': it is empty"
    problem = _cssselect_problem(expr)
    if problem is None:
        try:
            LexborHTMLParser("<p></p>").css(expr)
        except SelectolaxError:
            problem = (
                "pseudo-elements such as ::text and ::attr() are not supported; "
                "use the field value 'text' or 'attr:NAME'"
                if "::" in expr
                else "not supported by the HTML parser"
            )
    return None if problem is None else f"invalid CSS selector {expr!r}: {problem}"


def xpath_message(error: ValueError, expr: str) -> str:
    message = str(error).removeprefix("XPath error: ").removesuffix(f" in {expr}")
    return message[:1].lower() + message[1:]


def _cssselect_problem(css: str) -> str | None:
    """Check the selector with cssselect (which lexbor's lenient parser needs, e.g. for `a[href`).

    cssselect lags behind on the selector-list forms of :has(), :is(), :where() and :not(), which
    lexbor supports, so those arguments are checked one by one instead.
    """
    try:
        cssselect.parse(css)
    except cssselect.SelectorError as e:
        problem = str(e)
    else:
        return None
    groups: list[tuple[str, list[str]]] = []

    def placeholder(name: str, args: list[str]) -> str:
        groups.append((name, args))
        return ":first-child"

    outer = _map_functional_pseudos(css, placeholder)
    if outer is None or not groups or _cssselect_problem(outer) is not None:
        return problem
    for name, args in groups:
        for raw in args:
            arg = raw.strip()
            if name == "has" and arg[:1] in (">", "+", "~"):
                arg = "* " + arg
            if not arg or _cssselect_problem(arg) is not None:
                return problem
    return None


_FUNCTIONAL = re.compile(r":(has|is|where|not)\(", re.IGNORECASE)


def _map_functional_pseudos(css: str, replace: Callable[[str, list[str]], str]) -> str | None:
    """Replace each top-level :has/:is/:where/:not(...) via `replace(name, arguments)`.

    Returns `None` when brackets or quotes do not balance.
    """
    out: list[str] = []
    quote, i = "", 0
    while i < len(css):
        ch = css[i]
        if ch == "\\":
            out.append(css[i : i + 2])
            i += 2
            continue
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif (m := _FUNCTIONAL.match(css, i)) and not css[:i].endswith(":"):
            parsed = _arguments(css, m.end())
            if parsed is None:
                return None
            out.append(replace(m.group(1).lower(), parsed[0]))
            i = parsed[1]
            continue
        out.append(ch)
        i += 1
    return None if quote else "".join(out)


def _arguments(css: str, start: int) -> tuple[list[str], int] | None:
    """Split the argument list opened just before `start`; return it and the index after ")"."""
    args: list[str] = []
    depth, quote, begin, i = 0, "", start, start
    while i < len(css):
        ch = css[i]
        if ch == "\\":
            i += 2
            continue
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            if depth == 0:
                if ch == "]":
                    return None
                args.append(css[begin:i])
                return args, i + 1
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(css[begin:i])
            begin = i + 1
        i += 1
    return None


@functools.lru_cache(maxsize=1024)
def css_to_xpath(css: str) -> str:
    """Translate CSS for the parsel path, splitting :not(A, B) into :not(A):not(B) for cssselect."""

    def split_one(name: str, args: list[str]) -> str:
        if name == "not":
            return "".join(f":not({split_all(arg.strip())})" for arg in args)
        return f":{name}({', '.join(split_all(arg.strip()) for arg in args)})"

    def split_all(text: str) -> str:
        return _map_functional_pseudos(text, split_one) or text

    for candidate in (css, split_all(css)):
        try:
            return css2xpath(candidate)
        except cssselect.SelectorError as e:
            error = e
    raise SelectorError(
        f"CSS selector {css!r} cannot be used together with XPath selectors: {error}"
    )


_PLAYWRIGHT_ENGINES = (
    "text=",
    "role=",
    "css=",
    "xpath=",
    "id=",
    "data-testid=",
    "internal:",
    "nth=",
)
_PLAYWRIGHT_PSEUDO = (">>", ":has-text(", ":text(", ":text-is(", ":visible", ":nth-match(")


def playwright_only(selector: str) -> bool:
    """A selector only Playwright understands (its engines and pseudo-classes), not our parsers."""
    return selector.startswith(_PLAYWRIGHT_ENGINES) or any(
        m in selector for m in _PLAYWRIGHT_PSEUDO
    )


def playwright_selector(selector: str) -> str:
    """Our `xpath:` / `css:` prefixes and XPath forms ("/…", "(…") in Playwright's spelling;
    CSS and Playwright engines as they are."""
    kind, expression = selector_kind(selector)
    if kind == "xpath":
        return "xpath=" + expression
    if selector.strip()[:4].lower() == "css:":
        return "css=" + expression
    return selector
