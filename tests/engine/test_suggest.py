"""Selector suggestions on the fixture site in Chromium: the path is taken in the browser, as the
extension takes it, and every suggestion is checked both in Chromium and with `Document`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Page

from browser_pool import BrowserPool
from engine import (
    Candidate,
    Document,
    ExtractField,
    NotInItem,
    PathNotFound,
    PathStep,
    suggest,
    suggest_list,
    suggest_within,
)
from engine._suggest_parts import generated, stable_classes
from engine.errors import SelectorError
from tests.engine.conftest import path_to
from tests.site.lab import SELECTOR_CARDS
from trawler.demo_site import PAGE_SIZE, DemoSite

# What the extension sends for a clicked element: root first, the element last.
PATH_JS = """el => {
  const path = [];
  for (let node = el; node; node = node.parentElement) {
    const attributes = {};
    for (const a of node.attributes) {
      if (a.name !== 'id' && a.name !== 'class') attributes[a.name] = a.value;
    }
    const own = [...node.childNodes].filter(n => n.nodeType === Node.TEXT_NODE)
      .map(n => n.textContent).join(' ').trim();
    path.unshift({
      tag: node.tagName.toLowerCase(),
      id: node.id || null,
      classes: [...node.classList],
      attributes,
      index: node.parentElement ? [...node.parentElement.children].indexOf(node) + 1 : 1,
      text: own ? own.slice(0, 60) : null,
    });
  }
  return path;
}"""

# Set after the suggestion is made, so no selector can rely on it.
MARK_JS = "el => el.setAttribute('data-marker', 'clicked')"
REORDER_JS = "el => { el.className = [...el.classList].reverse().join(' '); }"
NEW_SIBLING_JS = """el => {
  el.before(document.createElement(el.tagName));
  el.parentElement.prepend(document.createElement(el.tagName));
}"""
NEW_CARD_JS = """() => {
  const cards = document.querySelector('.cards');
  cards.prepend(cards.querySelector('.card').cloneNode(true));
}"""


@pytest.fixture
async def page(site: DemoSite) -> AsyncIterator[Page]:
    async with BrowserPool() as pool, pool.context() as lease:
        page = await lease.new_page()
        await page.goto(f"{site.base_url}/lab/selectors")
        yield page


async def path_of(page: Page, locator: str) -> list[PathStep]:
    steps: list[dict[str, Any]] = await page.locator(locator).evaluate(PATH_JS)
    return [PathStep.model_validate(step) for step in steps]


def in_browser(candidate: Candidate) -> str:
    expression = candidate.selector.removeprefix("xpath:")
    return ("xpath=" if candidate.kind == "xpath" else "") + expression


async def assert_selects_only_the_marked(page: Page, candidate: Candidate) -> None:
    """In Chromium and with the engine's matching, the selector finds the marked element only."""
    located = page.locator(in_browser(candidate))
    assert await located.count() == 1, candidate
    assert await located.get_attribute("data-marker") == "clicked", candidate
    marker = ExtractField(name="marker", value="attr:data-marker")
    assert Document(await page.content()).items(candidate.selector, [marker]) == [
        {"marker": "clicked"}
    ], candidate


ELEMENTS = {
    "stable id": "#search-box",
    "data-testid": "[data-testid=add-to-cart]",
    "classes only": "p.shipping-note",
    "ancestor anchor": "#summary .price",
    "position only": "table.features tr:nth-child(2) td:nth-child(2)",
}


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        ("stable id", "#search-box"),
        ("data-testid", '[data-testid="add-to-cart"]'),
        ("classes only", "p.shipping-note"),
        ("ancestor anchor", "#summary span.price"),
        ("position only", "table.features > tbody > tr:nth-of-type(2) > td:nth-of-type(2)"),
    ],
)
async def test_top_candidate_selects_exactly_the_clicked_element(
    page: Page, element: str, expected: str
) -> None:
    clicked = ELEMENTS[element]
    candidates = suggest(await page.content(), await path_of(page, clicked))
    top = candidates[0]
    assert (top.selector, top.kind, top.matches, top.unique) == (expected, "css", 1, True)
    await page.locator(clicked).evaluate(MARK_JS)
    await assert_selects_only_the_marked(page, top)
    assert any(c.kind == "xpath" for c in candidates)
    ranks = [(not c.unique, -c.stability) for c in candidates]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize("element", ["stable id", "data-testid", "classes only", "ancestor anchor"])
async def test_top_candidate_survives_reordered_classes_and_new_siblings(
    page: Page, element: str
) -> None:
    clicked = ELEMENTS[element]
    top = suggest(await page.content(), await path_of(page, clicked))[0]
    target = page.locator(clicked)
    await target.evaluate(MARK_JS)
    await target.evaluate(REORDER_JS)
    await target.evaluate(NEW_SIBLING_JS)
    await assert_selects_only_the_marked(page, top)


async def test_generated_ids_and_classes_are_never_used(page: Page) -> None:
    tokens = ("ember123", "react-select", ":r1:", "css-", "sc-")
    for clicked in ("button:has-text('Share')", "[data-testid=add-to-cart]", "div.toolbar"):
        candidates = suggest(await page.content(), await path_of(page, clicked))
        assert candidates, clicked
        for candidate in candidates:
            assert not any(t in candidate.selector for t in tokens), candidate
    share = suggest(await page.content(), await path_of(page, "button:has-text('Share')"))[0]
    assert share.selector == "xpath://button[normalize-space()='Share']"
    assert suggest(await page.content(), await path_of(page, "div.toolbar"))[0].selector == (
        "div.toolbar"
    )


async def test_every_count_agrees_with_chromium_and_the_engine(page: Page) -> None:
    html = await page.content()
    document = Document(html)
    for clicked in ELEMENTS.values():
        for candidate in suggest(html, await path_of(page, clicked)):
            assert document.count(candidate.selector) == candidate.matches, candidate
            located = page.locator(in_browser(candidate))
            assert await located.count() == candidate.matches, candidate


async def test_stale_indexes_are_located_by_id_and_classes(page: Page) -> None:
    path = await path_of(page, "#summary .price")
    await page.locator("#summary").evaluate(NEW_SIBLING_JS)  # moves #summary and its price
    await page.locator("#summary .price").evaluate(NEW_SIBLING_JS)
    await page.locator("#summary .price").evaluate(MARK_JS)
    top = suggest(await page.content(), path)[0]
    await assert_selects_only_the_marked(page, top)


async def assert_lists_the_cards(page: Page, candidates: list[Candidate]) -> None:
    top = candidates[0]
    assert top.unique, candidates
    assert top.matches == SELECTOR_CARDS
    assert await page.locator(in_browser(top)).count() == SELECTOR_CARDS
    assert Document(await page.content()).texts(top.selector + " h3") == [
        f"Card {i}" for i in range(1, SELECTOR_CARDS + 1)
    ]
    await page.evaluate(NEW_CARD_JS)
    assert Document(await page.content()).count(top.selector) == SELECTOR_CARDS + 1
    assert await page.locator(in_browser(top)).count() == SELECTOR_CARDS + 1


async def test_suggest_list_from_one_field_of_one_card(page: Page) -> None:
    example = await path_of(page, ".card:nth-child(2) .price")
    candidates = suggest_list(await page.content(), [example])
    assert candidates[0].selector == "div.card"
    await assert_lists_the_cards(page, candidates)


async def test_suggest_list_from_two_cards(page: Page) -> None:
    first = await path_of(page, ".card:nth-child(1) h3")
    fourth = await path_of(page, ".card:nth-child(4)")
    candidates = suggest_list(await page.content(), [first, fourth])
    assert any(c.kind == "xpath" and c.unique for c in candidates)
    await assert_lists_the_cards(page, candidates)


async def test_suggest_list_on_the_shop(page: Page, site: DemoSite) -> None:
    await page.goto(f"{site.base_url}/shop")
    examples = [await path_of(page, "li.product:nth-child(3) a.title")]
    top = suggest_list(await page.content(), examples)[0]
    assert (top.selector, top.matches, top.unique) == ("li.product", PAGE_SIZE, True)
    assert await page.locator(top.selector).count() == PAGE_SIZE


async def test_nothing_repeating_gives_no_list(page: Page) -> None:
    assert suggest_list(await page.content(), [await path_of(page, "h1")]) == []


def step(tag: str, index: int, *classes: str) -> PathStep:
    return PathStep(tag=tag, index=index, classes=list(classes))


def test_a_path_not_in_the_page_is_a_clear_error(site: DemoSite) -> None:
    html = httpx.get(f"{site.base_url}/lab/selectors").text
    good = [step("html", 1), step("body", 2), step("main", 2), step("p", 4, "shipping-note")]
    assert suggest(html, good)[0].selector == "p.shipping-note"
    lost = [*good[:3], step("div", 40, "card", "featured")]
    with pytest.raises(
        PathNotFound, match=r"^path step 4 \(div\.card\.featured\) is not in the page$"
    ):
        suggest(html, lost)
    with pytest.raises(PathNotFound, match=r"^example 2: path step 4 \(div\.card\.featured\)"):
        suggest_list(html, [good, lost])
    with pytest.raises(PathNotFound, match=r"path step 1 \(body\) is not the <html> element"):
        suggest(html, good[1:])
    with pytest.raises(PathNotFound, match="the path is empty"):
        suggest(html, [])


@pytest.mark.parametrize(
    ("name", "is_generated"),
    [
        ("ember123", True),
        ("react-select-3-input", True),
        (":r1:", True),
        ("css-1x2y3z", True),
        ("sc-abc", True),
        ("Button_root__a1B2c", True),
        ("kXzFjr", True),
        ("order-20240115", True),
        ("search-box", False),
        ("product-card", False),
        ("btn-primary", False),
        ("p001", False),
    ],
)
def test_generated_names(name: str, is_generated: bool) -> None:
    assert generated(name) is is_generated


def test_utility_classes_are_told_from_meaningful_ones() -> None:
    assert stable_classes(["mt-2", "flex", "md:hidden", "w-1/2", "active", "card", "price"]) == [
        "card",
        "price",
    ]


def test_a_row_added_by_script_without_tbody_is_found() -> None:
    # A script that appends <tr> to a <table> leaves no <tbody> in the DOM, so none in the path;
    # the HTML parser adds one when it reads the serialized page.
    html = "<html><head></head><body><table><tr><td>a</td></tr><tr><td>b</td></tr></table>"
    path = [step("html", 1), step("body", 2), step("table", 1), step("tr", 2), step("td", 1)]
    candidates = suggest(html, path)
    assert candidates[0].unique
    xpath = next(c for c in candidates if c.kind == "xpath")  # counted on lxml: no <tbody>
    assert xpath.unique
    for candidate in (candidates[0], xpath):
        assert Document(html).texts(candidate.selector) == ["b"]


# Three results: per-item ids and data values, a repeated id (a sloppy but common page), a
# badge only the second has, cells only their position tells apart.
ROWS = "".join(
    f'<li class="row" data-id="r{i}"><div class="meta">'
    f'<span id="price-r{i}" itemprop="price" data-currency="EUR">{i}.00</span>'
    f'<span data-kind="k{i}">kind {i}</span></div>'
    f'<h3 id="name">Name {i}</h3>'
    + ('<span class="badge">Sale</span>' if i == 2 else "")
    + f"<div><b>Colour</b><b>shade {i}</b></div><a href='/cart'>Add</a></li>"
    for i in range(1, 4)
)
RESULTS = f"<html><head></head><body><h1>Results</h1><ul class='results'>{ROWS}</ul></body></html>"


def within(item_selector: str, clicked: str) -> list[Any]:
    return suggest_within(
        RESULTS, item_selector, [PathStep.model_validate(s) for s in path_to(RESULTS, clicked)]
    )


def read(item_selector: str, selector: str) -> list[Any]:
    """The field in each item, as an extract node reads it: with CSS on lexbor, and with an
    XPath field beside it (everything on lxml)."""
    field = ExtractField(name="v", selector=selector)
    lexbor = [row["v"] for row in Document(RESULTS).items(item_selector, [field])]
    beside = ExtractField(name="x", selector="xpath:.//h3")
    lxml = [row["v"] for row in Document(RESULTS).items(item_selector, [field, beside])]
    assert lexbor == lxml, selector
    return lexbor


@pytest.mark.parametrize("items", ["li.row", "xpath://ul/li[@data-id]"])
@pytest.mark.parametrize(
    ("clicked", "best", "values"),
    [
        ("li[data-id=r2] span[itemprop]", 'span[itemprop="price"]', ["1.00", "2.00", "3.00"]),
        ("li[data-id=r2] span[data-kind]", "span[data-kind]", ["kind 1", "kind 2", "kind 3"]),
        ("li[data-id=r2] h3", "#name", ["Name 1", "Name 2", "Name 3"]),
        ("li[data-id=r2] a", 'a[href="/cart"]', ["Add"] * 3),
        (
            "li[data-id=r2] div:nth-of-type(2) b:nth-of-type(2)",
            "div:nth-of-type(2) > b:nth-of-type(2)",
            ["shade 1", "shade 2", "shade 3"],
        ),
    ],
)
def test_a_field_within_items_is_read_in_every_item(
    items: str, clicked: str, best: str, values: list[str]
) -> None:
    candidates = within(items, clicked)
    top = candidates[0]
    assert (top.selector, top.unique, top.items, top.matches) == (best, True, 3, 3)
    for candidate in candidates:
        found = read(items, candidate.selector)
        assert sum(v is not None for v in found) == candidate.items, candidate
        if candidate.unique:
            assert found == values, candidate
    assert any(c.kind == "xpath" and c.selector.startswith("xpath:.") for c in candidates)


def test_values_of_one_item_are_never_used() -> None:
    for clicked in ("span[itemprop]", "span[data-kind]", "h3", "a"):
        candidates = within("li.row", f"li[data-id=r2] {clicked}")
        said = " ".join(c.selector for c in candidates)
        for own in ("price-r2", "k2", "Name 2", "r2"):
            assert own not in said, candidates
    # a value the items share stays
    price = within("li.row", "li[data-id=r2] span[itemprop]")
    assert 'span[data-currency="EUR"]' in [c.selector for c in price]


def test_a_field_only_some_items_have() -> None:
    top = within("li.row", "li[data-id=r2] span.badge")[0]
    assert (top.selector, top.unique, top.items) == ("span.badge", True, 1)
    assert read("li.row", top.selector) == [None, "Sale", None]


def test_an_element_outside_the_items_is_refused() -> None:
    with pytest.raises(NotInItem, match=r"^it is outside the items: 'li.row' matches 3 elem"):
        within("li.row", "h1")
    with pytest.raises(NotInItem, match=r"'li.gone' matches nothing on the page$"):
        within("li.gone", "li[data-id=r2] h3")
    with pytest.raises(NotInItem, match=r"^it is one of the items 'li.row' matches, not inside"):
        within("li.row", "li[data-id=r2]")
    with pytest.raises(SelectorError):
        within("li..row", "li[data-id=r2] h3")
