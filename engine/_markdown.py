"""A page as a model reads it: its main content as Markdown, in chunks that fit a context.

Boilerplate goes first (scripts, navigation, headers and footers outside the content, cookie and
consent banners, hidden elements), then the content is the user's selector, else the page's
`main` (or its one `article`), else the body. Links and images keep absolute URLs, so a model can
return them as they are. Pure: HTML in, text out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from urllib.parse import urljoin

from markdownify import MarkdownConverter
from selectolax.lexbor import LexborHTMLParser, LexborNode

from engine.errors import StepError
from engine.extract import Document
from engine.extract import Field as ExtractField

_DROPPED = (
    "script, style, noscript, template, svg, canvas, iframe, object, embed, nav, aside, dialog, "
    "[hidden], [aria-hidden='true'], [role='navigation'], [role='banner'], "
    "[role='contentinfo'], [role='search'], [role='dialog']"
)
_BANNER = re.compile(r"cookie|consent|gdpr|cmp[-_]|onetrust|newsletter-popup", re.I)
_CONTENT = ("main", "[role='main']")

CHARS_PER_TOKEN = 3.5
"""A cautious estimate for Markdown with URLs in it (English prose runs about 4)."""


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def page_markdown(html: str, url: str, selector: str | None = None) -> str:
    """The page's content as Markdown; with `selector` (CSS or XPath), only what it matches."""
    if selector:
        found = Document(html, url).record(
            [ExtractField(name="part", selector=selector, value="html", many=True)]
        )["part"]
        if not found:
            raise StepError(f"content_selector {selector!r} matched nothing on {url}")
        html = "<body>" + "".join(found) + "</body>"
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    if root is None:
        return ""
    drop(root.css(_DROPPED))
    drop(
        node
        for node in root.css("header, footer, [id], [class]")
        if (node.tag in ("header", "footer") and not _inside(node, ("article", "main")))
        or _BANNER.search(f"{node.attributes.get('id') or ''} {node.attributes.get('class') or ''}")
    )
    if not selector:
        main = next((m for css in _CONTENT for m in root.css(css)), None)
        articles = root.css("article")
        root = main or (articles[0] if len(articles) == 1 else root)
    for node in root.css("a[href], img[src]"):
        attr = "href" if node.tag == "a" else "src"
        node.attrs[attr] = urljoin(url, node.attributes.get(attr) or "")
    text = MarkdownConverter(heading_style="ATX", bullets="-").convert(root.html or "")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def drop(nodes: Iterable[LexborNode]) -> None:
    """Remove the nodes, chosen before any is removed, innermost first: removing an element
    frees its descendants, which a later step must not touch."""
    for node in reversed(list(nodes)):
        node.decompose()


def _inside(node: LexborNode, tags: tuple[str, ...]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.parent
    return False


def chunks(text: str, budget: int) -> list[str]:
    """`text` in pieces of at most `budget` tokens, cut between blocks, else lines; a table cut
    in two keeps its header in both halves."""
    limit = max(1, int(budget * CHARS_PER_TOKEN))
    out: list[str] = []
    current = ""
    for block in _pieces(text, limit):
        joined = f"{current}\n\n{block}" if current else block
        if len(joined) <= limit:
            current = joined
            continue
        if current:
            out.append(current)
        current = block
    if current:
        out.append(current)
    return out


def _pieces(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    for block in text.split("\n\n"):
        if len(block) <= limit:
            pieces.append(block)
            continue
        lines = block.split("\n")
        table = len(lines) > 2 and re.fullmatch(r"[|\s:-]+", lines[1])
        header = lines[:2] if table and len(lines[0]) + len(lines[1]) < limit // 2 else []
        part: list[str] = []
        for line in lines:
            for cut in range(0, max(len(line), 1), limit):  # a line longer than the budget
                piece = line[cut : cut + limit]
                if part and len("\n".join([*part, piece])) > limit:
                    pieces.append("\n".join(part))
                    part = [*header] if header and piece not in header else []
                part.append(piece)
        if part:
            pieces.append("\n".join(part))
    return pieces
