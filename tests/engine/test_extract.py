from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from engine.errors import SelectorError, StepError
from engine.extract import Document, Field, Fields
from engine.selectors import selector_kind, validate_selector

HTML = Path(__file__).parent / "html"
LIST_URL = "https://shop.example/tools/list.html"


def page(name: str, url: str | None = LIST_URL) -> Document:
    return Document((HTML / name).read_text(encoding="utf-8"), url)


def fields(*specs: dict[str, Any]) -> list[Field]:
    return [Field.model_validate(spec) for spec in specs]


# --- product list: CSS ------------------------------------------------------------------------

PRODUCT_FIELDS_CSS = fields(
    {"name": "sku", "value": "attr:data-sku"},
    {"name": "title", "selector": "h2.title"},
    {"name": "url", "selector": "h2 a", "value": "attr:href", "transforms": ["absolute_url"]},
    {"name": "price", "selector": ".price", "transforms": ["number"]},
    {
        "name": "rating",
        "selector": ".rating",
        "value": "attr:data-rating",
        "transforms": ["number"],
    },
    {"name": "added", "selector": "time", "transforms": ["date"]},
    {"name": "tags", "selector": "ul.tags li", "many": True},
)


def test_items_with_css_fields() -> None:
    rows = page("product_list.html").items("li.product", PRODUCT_FIELDS_CSS)
    assert len(rows) == 10
    assert rows[0] == {
        "sku": "HAM-001",
        "title": "Claw Hammer",
        "url": "https://shop.example/products/claw-hammer",
        "price": 24.99,
        "rating": 4.5,
        "added": "2026-01-15",
        "tags": ["hand tools", "bestseller"],
    }
    assert rows[1]["title"] == "Screwdriver Set (12 pcs)"
    assert rows[1]["price"] == 1249.0


def test_missing_element_is_none_and_missing_many_is_empty() -> None:
    rows = page("product_list.html").items("li.product", PRODUCT_FIELDS_CSS)
    spirit_level = rows[4]
    assert spirit_level["sku"] == "LEV-005"
    assert spirit_level["price"] is None
    assert rows[3]["tags"] == []


def test_relative_links_become_absolute() -> None:
    urls = [row["url"] for row in page("product_list.html").items("li.product", PRODUCT_FIELDS_CSS)]
    assert urls[6] == "https://shop.example/tools/wrench-set.html"
    assert urls[7] == "https://shop.example/clearance/pliers"
    assert urls[8] == "https://partner.example.org/gloves?ref=shop"


def test_attr_href_without_transform_is_the_raw_attribute() -> None:
    rows = page("product_list.html").items(
        "li.product", fields({"name": "href", "selector": "h2 a", "value": "attr:href"})
    )
    assert rows[6]["href"] == "wrench-set.html"


def test_default_fills_a_missing_price() -> None:
    price = fields(
        {
            "name": "price",
            "selector": ".price",
            "transforms": ["number", {"op": "default", "value": 0}],
        },
        {"name": "stock", "selector": ".stock", "transforms": [{"op": "default", "value": "ok"}]},
    )
    rows = page("product_list.html").items("li.product", price)
    assert rows[4] == {"price": 0, "stock": "Out of stock"}
    assert rows[0] == {"price": 24.99, "stock": "ok"}


def test_missing_attribute_is_none() -> None:
    rows = page("product_list.html").items(
        "li.product", fields({"name": "x", "selector": "h2 a", "value": "attr:data-missing"})
    )
    assert {row["x"] for row in rows} == {None}


def test_limit() -> None:
    doc = page("product_list.html")
    assert len(doc.items("li.product", PRODUCT_FIELDS_CSS, limit=3)) == 3
    assert doc.items("li.product", PRODUCT_FIELDS_CSS, limit=0) == []
    assert len(doc.items("li.product", PRODUCT_FIELDS_CSS, limit=100)) == 10
    with pytest.raises(ValueError, match="limit"):
        doc.items("li.product", PRODUCT_FIELDS_CSS, limit=-1)


def test_no_matching_items_gives_an_empty_list() -> None:
    assert page("product_list.html").items("article.nothing", PRODUCT_FIELDS_CSS) == []


def test_field_without_selector_reads_the_item_itself() -> None:
    rows = page("product_list.html").items(
        "li.product .rating", fields({"name": "rating", "transforms": ["number"]})
    )
    assert rows[0] == {"rating": 4.5}


def test_css_field_scope_includes_the_item_and_its_descendants() -> None:
    doc = page("product_list.html")
    rows = doc.items("li.product", fields({"name": "first_li", "selector": "li", "value": "html"}))
    assert rows[0]["first_li"].startswith('<li class="product" data-sku="HAM-001">')
    rows = doc.items("li.product", fields({"name": "tag", "selector": "li.product li"}))
    assert rows[0]["tag"] == "hand tools"


# --- XPath and mixed ------------------------------------------------------------------------

PRODUCT_FIELDS_XPATH = fields(
    {"name": "sku", "selector": "./@data-sku"},
    {"name": "title", "selector": ".//h2[@class='title']"},
    {
        "name": "url",
        "selector": "xpath:.//h2/a",
        "value": "attr:href",
        "transforms": ["absolute_url"],
    },
    {"name": "price", "selector": ".//span[@class='price']", "transforms": ["number"]},
    {
        "name": "rating",
        "selector": ".//*[@data-rating]",
        "value": "attr:data-rating",
        "transforms": ["number"],
    },
    {"name": "added", "selector": ".//time", "transforms": ["date"]},
    {"name": "tags", "selector": "./ul/li", "many": True},
)


def test_xpath_fields_give_the_same_rows_as_css() -> None:
    doc = page("product_list.html")
    css_rows = doc.items("li.product", PRODUCT_FIELDS_CSS)
    xpath_rows = doc.items("//li[contains(@class, 'product')]", PRODUCT_FIELDS_XPATH)
    assert xpath_rows == css_rows


def test_mixed_css_and_xpath() -> None:
    doc = page("product_list.html")
    mixed = [*PRODUCT_FIELDS_CSS[:3], *PRODUCT_FIELDS_XPATH[3:]]
    assert doc.items("li.product", mixed) == doc.items("li.product", PRODUCT_FIELDS_CSS)
    assert doc.items("//ul[@class='products']/li", PRODUCT_FIELDS_CSS) == doc.items(
        "li.product", PRODUCT_FIELDS_CSS
    )


def test_css_selector_lists_of_modern_pseudo_classes_work_next_to_xpath() -> None:
    doc = page("product_list.html")
    spec = fields(
        {"name": "price", "selector": "span:not(.rating, .stock)"},
        {"name": "sku", "selector": "./@data-sku"},
    )
    rows = doc.items("li.product:has(time)", spec)
    assert rows[0] == {"price": "$24.99", "sku": "HAM-001"}
    assert rows[4] == {"price": None, "sku": "LEV-005"}


def test_xpath_double_slash_in_an_item_searches_the_whole_document() -> None:
    rows = page("product_list.html").items(
        "li.product",
        fields(
            {"name": "anywhere", "selector": "//h2"},
            {"name": "relative", "selector": ".//h2"},
            {"name": "first_of_page", "selector": "(//h2)[1]"},
        ),
    )
    assert rows[2] == {
        "anywhere": "Claw Hammer",
        "relative": "Cordless Drill",
        "first_of_page": "Claw Hammer",
    }


def test_xpath_results_that_are_not_elements() -> None:
    record = page("product_list.html").record(
        fields(
            {"name": "count", "selector": "xpath:count(//li[@class='product'])"},
            {"name": "title_text", "selector": "//h2/a/text()"},
            {"name": "hrefs", "selector": "//h2/a/@href", "many": True},
            {"name": "has_next", "selector": "xpath:boolean(//a[@rel='next'])"},
            {"name": "no_attr_on_text", "selector": "//h1/text()", "value": "attr:href"},
        )
    )
    assert record["count"] == "9"  # one product also has the out-of-stock class
    assert record["title_text"] == "Claw Hammer"
    assert len(record["hrefs"]) == 10
    assert record["has_next"] == "true"
    assert record["no_attr_on_text"] is None


def test_xpath_item_selector_with_css_fields_keeps_css_relative() -> None:
    rows = page("categories.html").items(
        "//section[@data-id='kitchen']//li", fields({"name": "name", "selector": "a"})
    )
    assert rows == [{"name": "Chef's Knife"}, {"name": "Cutting Board"}]


# --- product detail: record -----------------------------------------------------------------


def test_record_from_a_detail_page() -> None:
    doc = page("product_detail.html", "https://werkzeug.example.de/p/xr-18v?ref=list")
    record = doc.record(
        fields(
            {"name": "name", "selector": "h1"},
            {"name": "sku", "selector": ".sku span"},
            {
                "name": "price",
                "selector": ".price .current",
                "transforms": [{"op": "number", "decimal": ","}],
            },
            {
                "name": "old_price",
                "selector": ".price .old",
                "transforms": [{"op": "number", "decimal": ",", "integer": True}],
            },
            {"name": "discount", "selector": ".discount", "transforms": ["number"]},
            {
                "name": "stock",
                "selector": ".availability",
                "value": "attr:data-stock",
                "transforms": [{"op": "number", "integer": True}],
            },
            {
                "name": "released",
                "selector": ".released",
                "transforms": [{"op": "date", "dayfirst": True}],
            },
            {
                "name": "image",
                "selector": "meta[property='og:image']",
                "value": "attr:content",
                "transforms": ["absolute_url"],
            },
            {"name": "canonical", "selector": "link[rel=canonical]", "value": "attr:href"},
            {"name": "lang", "selector": "html", "value": "attr:lang"},
            {"name": "cart_disabled", "selector": "button.add-to-cart", "value": "attr:disabled"},
            {"name": "breadcrumbs", "selector": ".breadcrumbs a", "many": True},
            {"name": "description", "selector": ".description"},
        )
    )
    assert record == {
        "name": "Akku-Bohrschrauber XR 18V",
        "sku": "XR-18-2024",
        "price": 1234.5,
        "old_price": 1499,
        "discount": -18.0,
        "stock": 7,
        "released": "2025-02-03",
        "image": "https://werkzeug.example.de/media/xr18-front.jpg",
        "canonical": "https://werkzeug.example.de/p/xr-18v",
        "lang": "de",
        "cart_disabled": "",
        "breadcrumbs": ["Start", "Elektrowerkzeug", "Bohrschrauber"],
        "description": (
            "Kompakter Bohrschrauber mit bürstenlosem Motor. Inklusive 2 Akkus & Ladegerät."
        ),
    }


def test_many_attributes_skip_elements_without_the_attribute() -> None:
    doc = page("product_detail.html", "https://werkzeug.example.de/p/xr-18v")
    spec = {
        "name": "images",
        "selector": ".gallery img",
        "value": "attr:src",
        "many": True,
        "transforms": ["absolute_url"],
    }
    expected = [
        "https://werkzeug.example.de/media/xr18-front.jpg",
        "https://werkzeug.example.de/media/xr18-side.jpg",
        "https://werkzeug.example.de/p/media/xr18-case.jpg",
    ]
    assert doc.record(fields(spec)) == {"images": expected}
    xpath_spec = {**spec, "selector": "//div[@class='gallery']/img"}
    assert doc.record(fields(xpath_spec)) == {"images": expected}


def test_xpath_for_what_css_cannot_say() -> None:
    doc = page("product_detail.html")
    record = doc.record(
        fields(
            {
                "name": "weight",
                "selector": "//th[.='Gewicht']/following-sibling::td",
                "transforms": [{"op": "number", "decimal": ","}],
            },
            {"name": "torque", "selector": "//tr[th='Drehmoment']/td"},
            {"name": "title", "selector": "h1"},
        )
    )
    assert record == {"weight": 1.6, "torque": "60 Nm", "title": "Akku-Bohrschrauber XR 18V"}


def test_record_field_without_selector_reads_the_whole_page() -> None:
    record = page("categories.html").record(fields({"name": "all"}))
    assert record["all"].startswith("Catalogue Garden Rake $19.00")


def test_html_and_inner_html_in_both_backends() -> None:
    doc = page("messy.html")
    spec = fields(
        {"name": "outer", "selector": "p.inline", "value": "html"},
        {"name": "inner", "selector": "p.inline", "value": "inner_html"},
        {"name": "nbsp", "selector": "p.nbsp", "value": "inner_html"},
    )
    css = doc.record(spec)
    assert css == {
        "outer": '<p class="inline">Hello, <b>World</b>!<!-- hidden comment --> <i>again</i></p>',
        "inner": "Hello, <b>World</b>!<!-- hidden comment --> <i>again</i>",
        "nbsp": "Price:&nbsp;&nbsp;€&nbsp;12,50",
    }
    with_xpath = doc.record([*spec, *fields({"name": "x", "selector": "//title"})])
    assert {k: with_xpath[k] for k in css} == css


# --- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("title", "Messy page"),
        ("div.headline", "Café & Bistro — “Le Petit”"),
        ("p.nbsp", "Price: € 12,50"),
        ("p.lines", "line one line two line three"),
        ("p.inline", "Hello, World! again"),
        ("p.empty", ""),
        ("p.escaped", "1 < 2 && 3 > 2"),
        ("ul.list", "alpha beta gamma delta"),
        ("pre.code", "keep nothing special"),
    ],
)
def test_text_is_what_a_reader_sees(selector: str, expected: str) -> None:
    doc = page("messy.html")
    assert doc.record(fields({"name": "t", "selector": selector})) == {"t": expected}
    xpath = f"//*[contains(concat(' ', @class, ' '), ' {selector.split('.')[-1]} ')]"
    if "." not in selector:
        xpath = f"//{selector}"
    assert doc.record(fields({"name": "t", "selector": xpath})) == {"t": expected}


def test_text_leaves_out_scripts_styles_and_comments_but_reads_a_script_itself() -> None:
    html = (
        "<div id=a>x<script>var a</script><style>p{}</style><p>one</p><p>two<!--c--></p>"
        "<table><tr><td>a</td><td>b</td></tr></table>tail<b>B</b>c</div>"
        '<script type="application/ld+json">{"sku": "A1"}</script>'
    )
    doc = Document(html)
    spec = fields(
        {"name": "div", "selector": "#a"},
        {"name": "ld", "selector": "script[type='application/ld+json']"},
    )
    expected = {"div": "x one two a b tailBc", "ld": '{"sku": "A1"}'}
    assert doc.record(spec) == expected
    assert doc.record([*spec, *fields({"name": "x", "selector": "//p"})])["div"] == expected["div"]


def test_entities_in_attributes_are_decoded() -> None:
    record = page("messy.html").record(
        fields(
            {"name": "title", "selector": "a.link", "value": "attr:title"},
            {"name": "checked", "selector": "input.flag", "value": "attr:checked"},
            {"name": "empty", "selector": "input.flag", "value": "attr:data-empty"},
            {"name": "upper", "selector": "div", "value": "attr:class"},
        )
    )
    assert record == {"title": "Tom & Jerry's", "checked": "", "empty": "", "upper": "headline"}


def test_texts() -> None:
    doc = page("messy.html")
    assert doc.texts("ul.list li") == ["alpha", "beta", "", "gamma delta"]
    assert doc.texts("//ul/li") == ["alpha", "beta", "", "gamma delta"]


# --- nested lists -----------------------------------------------------------------------------

PRODUCT = [
    {"name": "name", "selector": "a"},
    {"name": "url", "selector": "a", "value": "attr:href", "transforms": ["absolute_url"]},
    {"name": "price", "selector": ".price", "transforms": ["number"]},
]


def test_nested_fields_make_lists_of_records() -> None:
    doc = page("categories.html", "https://shop.example/catalogue")
    rows = doc.items(
        "#catalogue > section.category",
        fields(
            {"name": "category", "selector": "h2"},
            {"name": "id", "value": "attr:data-id"},
            {"name": "products", "selector": "li.item", "fields": PRODUCT},
            {
                "name": "subcategories",
                "selector": "section.sub",
                "fields": [
                    {"name": "name", "selector": "h3"},
                    {"name": "products", "selector": "li.item", "fields": PRODUCT},
                ],
            },
        ),
    )
    assert [row["category"] for row in rows] == ["Garden", "Kitchen", "Coming soon"]
    garden, kitchen, empty = rows
    # CSS reaches every descendant, so the garden's products include its sub-category's lamp.
    assert [p["name"] for p in garden["products"]] == ["Rake", "Hose 25 m", "Shears", "Solar Lamp"]
    assert garden["products"][1] == {
        "name": "Hose 25 m",
        "url": "https://shop.example/garden/hose",
        "price": 34.5,
    }
    assert garden["subcategories"] == [
        {
            "name": "Lighting",
            "products": [
                {
                    "name": "Solar Lamp",
                    "url": "https://shop.example/garden/lighting/solar-lamp",
                    "price": 8.99,
                }
            ],
        }
    ]
    assert kitchen["products"][1] == {
        "name": "Cutting Board",
        "url": "https://shop.example/kitchen/board",
        "price": None,
    }
    assert kitchen["subcategories"] == []
    assert empty["products"] == []


def test_nested_fields_with_relative_xpath_take_direct_children_only() -> None:
    doc = page("categories.html", "https://shop.example/catalogue")
    rows = doc.items(
        "//div[@id='catalogue']/section",
        fields(
            {"name": "category", "selector": "./h2"},
            {"name": "products", "selector": "./ul/li", "fields": PRODUCT},
        ),
    )
    assert [p["name"] for p in rows[0]["products"]] == ["Rake", "Hose 25 m", "Shears"]


def test_nested_fields_without_selector_group_the_scope() -> None:
    rows = page("categories.html").items(
        "section[data-id=kitchen] li.item",
        fields({"name": "product", "fields": [{"name": "name", "selector": "a"}]}),
    )
    assert rows == [
        {"product": [{"name": "Chef's Knife"}]},
        {"product": [{"name": "Cutting Board"}]},
    ]


# --- links and count --------------------------------------------------------------------------


def test_links_are_absolute_deduplicated_and_skip_non_pages() -> None:
    doc = page("product_list.html")
    links = doc.links("a")
    assert links[:3] == [
        "https://shop.example/",
        "https://shop.example/products/",
        "https://shop.example/products/claw-hammer",
    ]
    assert len(links) == len(set(links))
    assert "https://shop.example/tools/wrench-set.html" in links
    assert "https://shop.example/tools/list.html?page=2" in links
    assert not [link for link in links if link.startswith(("javascript:", "mailto:", "tel:"))]
    assert not [link for link in links if "#" in link]
    assert links[-1] == "https://shop.example/about"


def test_links_fall_back_to_the_first_descendant_anchor() -> None:
    doc = page("product_list.html")
    assert doc.links("li.product")[:2] == [
        "https://shop.example/products/claw-hammer",
        "https://shop.example/products/screwdriver-set",
    ]
    assert doc.links("//li[@data-sku='WRN-007']") == ["https://shop.example/tools/wrench-set.html"]


def test_links_with_another_attribute_and_with_xpath() -> None:
    doc = page("product_list.html")
    images = doc.links("li.product img", attr="src")
    assert images[6:9] == [
        "https://shop.example/tools/img/wrench-set.jpg",
        "https://shop.example/img/pliers.jpg",
        "https://cdn.example.org/gloves.jpg",
    ]
    assert doc.links("//a[@rel='next']/@href") == ["https://shop.example/tools/list.html?page=2"]
    assert doc.links(".pagination a") == doc.links("//nav[@class='pagination']/a")


def test_links_without_a_page_url_stay_as_written() -> None:
    doc = page("product_list.html", url=None)
    assert doc.links(".pagination a") == ["?page=2", "?page=3"]


def test_links_strip_whitespace_inside_href() -> None:
    assert page("messy.html", "https://m.example/a/").links("a.link") == [
        "https://m.example/path/to%20page?q=a&b=c#frag"
    ]


def test_count() -> None:
    doc = page("product_list.html")
    assert doc.count("li.product") == 10
    assert doc.count("//li[contains(@class, 'product')]") == 10
    assert doc.count(".nothing") == 0


# --- selectors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("li.product", ("css", "li.product")),
        ("//li", ("xpath", "//li")),
        ("./a", ("xpath", "./a")),
        (".//a", ("xpath", ".//a")),
        ("../a", ("xpath", "../a")),
        ("(//a)[1]", ("xpath", "(//a)[1]")),
        ("xpath:count(//a)", ("xpath", "count(//a)")),
        ("XPath: //a", ("xpath", "//a")),
        ("css:a.b", ("css", "a.b")),
        ("  a > b ", ("css", "a > b")),
        (".price", ("css", ".price")),
    ],
)
def test_selector_kind_auto(selector: str, expected: tuple[str, str]) -> None:
    assert selector_kind(selector) == expected


def test_selector_kind_explicit() -> None:
    assert selector_kind("a", "xpath") == ("xpath", "a")
    assert selector_kind("xpath://a", "xpath") == ("xpath", "//a")
    assert selector_kind("/a", "css") == ("css", "/a")


@pytest.mark.parametrize(
    "selector",
    [
        "li.product > a[href^='/']",
        "li:has(a)",
        "div:has(> p)",
        ":is(h1, h2) a",
        "div:where(.x, .y)",
        "p:not(.x, .y)",
        "a:not([href='a,b'], .q)",
        "div:has(:not(p, a))",
        "li:nth-child(2n+1)",
        "a[href$='.pdf' i]",
        "//a[@href]",
        "//a[has-class('x')]",
        "//a[re:test(@href, '^/p/')]",
        "xpath:count(//li)",
        "(//li)[last()]",
        "./following-sibling::td[1]",
    ],
)
def test_valid_selectors(selector: str) -> None:
    assert validate_selector(selector) is None


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("div >", "invalid CSS selector 'div >': "),
        ("a[href", "invalid CSS selector 'a[href': "),
        ("p:not(.x,)", "invalid CSS selector 'p:not(.x,)': "),
        (":is(p", "invalid CSS selector ':is(p': "),
        ("###", "invalid CSS selector '###': "),
        ("", "invalid CSS selector '': it is empty"),
        ("a::attr(href)", "use the field value 'text' or 'attr:NAME'"),
        ("p::text", "pseudo-elements such as ::text"),
        ("p:contains('x')", "invalid CSS selector \"p:contains('x')\": not supported"),
        ("//a[", "invalid XPath '//a[': invalid expression"),
        ("xpath://a[@", "invalid XPath '//a[@': "),
        ("xpath:foo(1)", "invalid XPath 'foo(1)': unregistered function"),
        ("xpath:count(1)", "invalid XPath 'count(1)': "),
        ("count(//li)", "invalid CSS selector 'count(//li)'"),
    ],
)
def test_invalid_selectors_name_the_selector(selector: str, message: str) -> None:
    problem = validate_selector(selector)
    assert problem is not None
    assert message in problem


def test_explicit_selector_type() -> None:
    assert validate_selector("a", "xpath") is None  # a child element named "a"
    assert validate_selector("//a", "css") is not None


def test_invalid_selectors_raise_a_step_error_at_run_time() -> None:
    doc = page("product_list.html")
    with pytest.raises(SelectorError, match="invalid CSS selector 'li\\['") as caught:
        doc.items("li[", PRODUCT_FIELDS_CSS)
    assert isinstance(caught.value, StepError)
    assert caught.value.retryable is False
    with pytest.raises(SelectorError, match="a\\[href"):
        doc.items("li", fields({"name": "x", "selector": "a[href"}))
    with pytest.raises(SelectorError, match="//a\\["):
        doc.count("//a[")
    # An unknown function inside a predicate only fails once the predicate is evaluated.
    assert validate_selector("//a[foo()]") is None
    with pytest.raises(SelectorError, match="unregistered function"):
        doc.count("//a[foo()]")
    with pytest.raises(SelectorError, match="cannot be used together with XPath"):
        doc.items(
            "li", fields({"name": "x", "selector": ":is(div p)"}, {"name": "y", "selector": "//a"})
        )


# --- the field model --------------------------------------------------------------------------


def test_field_defaults() -> None:
    field = Field(name="title")
    assert field.selector is None
    assert field.selector_type is None
    assert field.value == "text"
    assert field.many is False
    assert field.transforms == []
    assert field.fields == []


@pytest.mark.parametrize("value", ["text", "html", "inner_html", "attr:href", "attr:data-x_y.z"])
def test_field_value_forms(value: str) -> None:
    assert Field(name="x", value=value).value == value


@pytest.mark.parametrize("value", ["", "txt", "attr:", "attr", "attr:a b", "href", "Text"])
def test_bad_value_form_is_rejected(value: str) -> None:
    with pytest.raises(ValidationError, match="is not one of"):
        Field(name="x", value=value)


@pytest.mark.parametrize("name", ["", "   "])
def test_blank_name_is_rejected(name: str) -> None:
    with pytest.raises(ValidationError):
        Field(name=name)


def test_duplicate_sibling_names_are_rejected() -> None:
    with pytest.raises(ValidationError, match="duplicate field name 'a'"):
        Field.model_validate(
            {"name": "list", "selector": "li", "fields": [{"name": "a"}, {"name": "a"}]}
        )
    with pytest.raises(ValidationError, match="duplicate field name 'a'"):
        TypeAdapter(Fields).validate_python([{"name": "a"}, {"name": "b"}, {"name": "a"}])
    with pytest.raises(ValueError, match="duplicate field name 'a'"):
        page("product_list.html").record([Field(name="a"), Field(name="a")])


def test_same_name_at_different_levels_is_fine() -> None:
    field = Field.model_validate({"name": "a", "selector": "li", "fields": [{"name": "a"}]})
    assert field.fields[0].name == "a"


def test_nested_fields_take_no_value_or_transforms() -> None:
    with pytest.raises(ValidationError, match="has sub-fields"):
        Field.model_validate({"name": "a", "value": "html", "fields": [{"name": "b"}]})
    with pytest.raises(ValidationError, match="has sub-fields"):
        Field.model_validate({"name": "a", "transforms": ["trim"], "fields": [{"name": "b"}]})


def test_bad_transform_in_a_field_is_rejected() -> None:
    with pytest.raises(ValidationError, match="invalid regular expression"):
        Field.model_validate({"name": "a", "transforms": [{"op": "regex", "pattern": "("}]})
    with pytest.raises(ValidationError, match="extra"):
        Field.model_validate({"name": "a", "colour": "red"})


def test_field_round_trips_through_json_and_documents_every_property() -> None:
    field = Field.model_validate(
        {
            "name": "products",
            "selector": "li",
            "fields": [{"name": "price", "selector": ".p", "transforms": ["number"]}],
        }
    )
    assert Field.model_validate_json(field.model_dump_json()) == field
    schema = Field.model_json_schema()
    properties = (
        schema["$defs"]["Field"]["properties"] if "$defs" in schema else schema["properties"]
    )
    assert all(prop.get("description") for prop in properties.values())


# --- speed ------------------------------------------------------------------------------------


def test_fifty_thousand_items() -> None:
    n = 50_000
    rows_html = "".join(
        f"<li class='item'><a href='/p/{i}'>Product {i}</a> <span class='price'>${i}.99</span></li>"
        for i in range(n)
    )
    doc = Document(f"<html><body><ul>{rows_html}</ul></body></html>", "https://ex.com/")
    spec = fields({"name": "name", "selector": "a"}, {"name": "price", "selector": ".price"})
    started = time.perf_counter()
    rows = doc.items("li.item", spec)
    elapsed = time.perf_counter() - started
    print(f"\nitems() over {n} <li> with 2 CSS fields, parse included: {elapsed:.3f} s")
    assert len(rows) == n
    assert rows[-1] == {"name": f"Product {n - 1}", "price": f"${n - 1}.99"}
