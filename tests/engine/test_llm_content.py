"""What a model is given and what its answer must fit: a page as Markdown without boilerplate,
chunks within a budget, the schema as a pydantic model, a page's outline for selectors. Pure."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from engine._markdown import chunks, estimate_tokens, page_markdown
from engine._schema import SchemaField, build_model, rows_model
from engine.errors import StepError
from engine.llm_suggest import page_outline

PAGE = """<html><head><title>T</title><style>p{}</style></head><body>
<header class="top"><a href="/">Home</a><div class="cookie-banner">We use cookies</div></header>
<aside><nav><a href="/a">Aside nav</a></nav></aside>
<div id="gdpr-consent"><p>Accept all?</p><button>OK</button></div>
<main>
  <article><header><h1>Kettle</h1></header><p>Boils <b>water</b>. <a href="/buy?id=1">Buy</a></p>
  <img src="img/k.png" alt="A kettle"></article>
  <script>var secret = 1;</script>
  <div hidden>hidden text</div>
</main>
<footer>Copyright</footer>
</body></html>"""


def test_the_main_content_as_markdown_without_boilerplate() -> None:
    text = page_markdown(PAGE, "https://shop.example/p/1")
    assert text.startswith("# Kettle")
    assert "Boils **water**. [Buy](https://shop.example/buy?id=1)" in text
    assert "![A kettle](https://shop.example/p/img/k.png)" in text
    for gone in ("Home", "cookies", "Aside nav", "Accept all", "secret", "hidden", "Copyright"):
        assert gone not in text


def test_a_content_selector_narrows_the_page_and_names_itself_when_it_misses() -> None:
    assert page_markdown(PAGE, "https://shop.example/", "article p") == (
        "Boils **water**. [Buy](https://shop.example/buy?id=1)"
    )
    with pytest.raises(StepError, match=r"content_selector '\.nope' matched nothing"):
        page_markdown(PAGE, "https://shop.example/", ".nope")


def test_chunks_stay_within_the_budget_and_a_cut_table_keeps_its_header() -> None:
    rows = "\n".join(f"| item {i} | {i}.00 |" for i in range(200))
    text = "# Prices\n\nIntro paragraph.\n\n| name | price |\n| --- | --- |\n" + rows
    parts = chunks(text, 300)
    assert len(parts) > 3
    assert all(estimate_tokens(part) <= 300 for part in parts)
    assert all(part.count("| name | price |") == 1 for part in parts[1:])
    joined = "\n".join(parts)
    assert all(f"| item {i} |" in joined for i in range(200))
    # a line longer than a whole chunk is cut, not lost
    long_line = "x" * 5000
    assert "".join(chunks(long_line, 300)) == long_line


def test_the_schema_becomes_a_model_with_types_lists_objects_and_names_as_given() -> None:
    fields = [
        SchemaField(name="Product name", required=True, description="as shown"),
        SchemaField(name="price", type="number"),
        SchemaField(name="stock", type="integer"),
        SchemaField(name="in stock", type="boolean"),
        SchemaField(name="released", type="date"),
        SchemaField(name="link", type="url"),
        SchemaField(name="tags", many=True),
        SchemaField(
            name="seller",
            type="object",
            fields=[SchemaField(name="name"), SchemaField(name="rating", type="number")],
        ),
        SchemaField(name="sku", selector=".sku"),  # read by the selector, not the model
    ]
    row = build_model("Row", fields)
    schema = row.model_json_schema()
    assert set(schema["properties"]) == {
        "Product name",
        "price",
        "stock",
        "in stock",
        "released",
        "link",
        "tags",
        "seller",
    }
    assert schema["required"] == ["Product name"]
    assert schema["properties"]["Product name"]["description"] == "as shown"
    answer = row.model_validate(
        {
            "Product name": "Kettle",
            "price": "5.5",
            "stock": 3,
            "in stock": True,
            "released": "2024-03-01",
            "link": "https://shop.example/p/1",
            "seller": {"name": "Ada", "rating": 4.5},
        }
    )
    assert answer.model_dump(mode="json", by_alias=True) == {
        "Product name": "Kettle",
        "price": 5.5,
        "stock": 3,
        "in stock": True,
        "released": "2024-03-01",
        "link": "https://shop.example/p/1",
        "tags": [],
        "seller": {"name": "Ada", "rating": 4.5},
    }
    assert isinstance(answer.model_dump()["f4"], dt.date)
    with pytest.raises(ValidationError, match="Product name"):
        row.model_validate({"price": 1})
    with pytest.raises(ValidationError, match="not a URL"):
        row.model_validate({"Product name": "x", "link": "call us"})
    many = rows_model(row)
    assert many.model_json_schema()["properties"]["rows"]["type"] == "array"


def test_a_schema_field_is_checked() -> None:
    with pytest.raises(ValidationError, match="is an object, so needs fields"):
        SchemaField(name="seller", type="object")
    with pytest.raises(ValidationError, match="duplicate field name 'a'"):
        SchemaField(name="o", type="object", fields=[SchemaField(name="a"), SchemaField(name="a")])


def test_the_outline_keeps_structure_and_value_attributes_only() -> None:
    outline = page_outline(
        '<body><ul class="list" style="color:red" onclick="x()">'
        '<li class="item" data-id="7"><a href="/p/7" target="_blank">'
        + "A very long product name " * 10
        + "</a></li></ul><script>x</script></body>"
    )
    assert outline.startswith('<body><ul class="list"><li class="item" data-id="7">')
    assert '<a href="/p/7">A very long product name' in outline
    assert "…</a>" in outline
    assert "style" not in outline
    assert "onclick" not in outline
    assert "script" not in outline
