"""Selector tests and suggestions over real HTTP: the page opened by a real worker's Chromium
through the priority queue, the answer back through Redis."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from parsel import Selector
from playwright.async_api import Browser
from selectolax.lexbor import LexborHTMLParser

from engine import Document, ExtractField
from tests.api.conftest import ApiUser, error_of, start_api
from tests.engine.conftest import path_to
from tests.site.canary import CANARY_HOST, WEBRTC, Lab, UdpCanary
from tests.worker.conftest import Processes
from trawler.demo_site import DemoSite

PNG = b"\x89PNG\r\n\x1a\n"


async def _outlined(browser: Browser, uri: str, box: list[float]) -> list[int]:
    """The colour of the screenshot just inside the left edge of `box`."""
    page = await browser.new_page()
    try:
        pixel: list[int] = await page.evaluate(
            """async ([uri, box]) => {
              const image = new Image();
              image.src = uri;
              await image.decode();
              const canvas = new OffscreenCanvas(image.width, image.height);
              const context = canvas.getContext('2d');
              context.drawImage(image, 0, 0);
              const x = Math.round(box[0] * image.width) + 1;
              const y = Math.round((box[1] + box[3] / 2) * image.height);
              return Array.from(context.getImageData(x, y, 1, 1).data.slice(0, 3));
            }""",
            [uri, box],
        )
        return pixel
    finally:
        await page.close()


def _texts(html: str, candidate: dict[str, Any]) -> list[str]:
    """The text of every element the candidate selects, read independently of the engine."""
    if candidate["kind"] == "css":
        return [node.text() for node in LexborHTMLParser(html).css(candidate["selector"])]
    expression = candidate["selector"].removeprefix("xpath:")
    return ["".join(node.xpath(".//text()").getall()) for node in Selector(html).xpath(expression)]


async def test_selectors_are_tried_on_a_worker(
    new_user: ApiUser, processes: Processes, site: DemoSite, browser: Browser, lab: Lab
) -> None:
    processes.start("worker")
    client = await new_user()
    shown = len(LexborHTMLParser(httpx.get(f"{site.base_url}/shop").text).css("li.product"))
    answer = await client.post(
        "/selectors/test",
        json={
            "url": f"{site.base_url}/shop",
            "selectors": ["li.product", "xpath://li[@data-id='p002']", "li..product"],
        },
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["url"] == f"{site.base_url}/shop"
    products, second, bad = body["selectors"]
    assert products["count"] == shown > 5
    assert products["error"] is None
    assert len(products["samples"]) == 5
    assert products["samples"][0]["tag"] == "li"
    assert products["samples"][0]["attributes"]["data-id"] == "p001"
    assert products["boxes"]  # the visible ones, on the screenshot
    assert all(0 <= left < 1 and 0 <= top < 1 for left, top, _, _ in products["boxes"])
    assert second["count"] == 1
    assert second["samples"][0]["attributes"]["class"] == "product"
    assert bad["count"] == 0
    assert "li..product" in bad["error"]
    assert body["screenshot"].startswith("data:image/png;base64,")
    assert base64.b64decode(body["screenshot"].split(",", 1)[1]).startswith(PNG)
    assert await _outlined(browser, body["screenshot"], products["boxes"][0]) == [240, 68, 56]

    html = "<ul><li class='x'>a</li><li class='x'>b</li><li>c</li></ul>"
    answer = await client.post(
        "/selectors/test", json={"html": html, "selectors": ["li.x"], "screenshot": False}
    )
    assert answer.status_code == 200, answer.text
    only = answer.json()["selectors"][0]
    assert (only["count"], [s["text"] for s in only["samples"]]) == (2, ["a", "b"])
    assert answer.json()["screenshot"] is None

    # before anything is picked, the builder wants the page alone
    for plain in ({"url": f"{site.base_url}/shop", "selectors": []}, {"html": html}):
        answer = await client.post("/selectors/test", json=plain)
        assert answer.status_code == 200, answer.text
        alone = answer.json()
        assert alone["selectors"] == []
        assert alone["title"] == ("" if "html" in plain else body["title"])
        assert base64.b64decode(alone["screenshot"].split(",", 1)[1]).startswith(PNG)
    assert alone["url"] == "about:blank"
    too_many = {"html": html, "selectors": ["p"] * 21}
    answer = await client.post("/selectors/test", json=too_many)
    assert answer.status_code == 422
    assert [d["field"] for d in error_of(answer)["details"]] == ["body.selectors"]

    missing = f"{site.base_url}/no-such-page"
    answer = await client.post("/selectors/test", json={"url": missing, "selectors": ["p"]})
    assert answer.status_code == 422
    error = error_of(answer)
    assert error["code"] == "page_failed"
    assert "404" in error["message"]
    assert missing in error["message"]

    # the builder's URL goes through the worker's network policy like a run's
    for url in (lab.canary_url("/probe"), lab.redirect(lab.canary_url("/probe-hop"), 302)):
        answer = await client.post("/selectors/test", json={"url": url, "selectors": ["p"]})
        assert answer.status_code == 422, answer.text
        assert "(rule 'loopback')" in error_of(answer)["message"]
    html = f"<img src='{lab.canary_url('/probe-img')}'><p>x</p>"
    answer = await client.post("/selectors/test", json={"html": html, "selectors": ["p"]})
    assert answer.status_code == 200, answer.text
    assert lab.canary.hits == 0

    # the page's WebRTC sends no UDP around the worker's egress proxy (a slow frame holds `load`)
    udp = UdpCanary(CANARY_HOST)
    probe = WEBRTC.format(host=udp.host, port=udp.port)
    html = f"<script>({probe})()</script><iframe src='{site.base_url}/lab/paced?delay_ms=1500'>"
    try:
        answer = await client.post("/selectors/test", json={"html": html, "selectors": ["p"]})
    finally:
        udp.close()
    assert answer.status_code == 200, answer.text
    assert udp.packets == []

    both = await client.post(
        "/selectors/test", json={"url": missing, "html": "<p>", "selectors": ["p"]}
    )
    assert both.status_code == 422
    assert "either url or html" in str(error_of(both)["details"])


async def test_suggestions_for_a_clicked_element_and_a_list(
    new_user: ApiUser, processes: Processes, site: DemoSite
) -> None:
    processes.start("worker")
    client = await new_user()
    html = httpx.get(f"{site.base_url}/shop").text
    document = LexborHTMLParser(html)

    clicked = path_to(html, "li.product[data-id='p003'] a.title")
    answer = await client.post("/selectors/suggest", json={"html": html, "path": clicked})
    assert answer.status_code == 200, answer.text
    best = answer.json()["candidates"][0]
    assert best["unique"] is True
    assert best["matches"] == 1
    target = document.css_first("li.product[data-id='p003'] a.title")
    assert target is not None
    assert _texts(html, best) == [target.text()]

    # the same question about a live page, which a worker opens
    answer = await client.post(
        "/selectors/suggest", json={"url": f"{site.base_url}/shop", "path": clicked}, timeout=60
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["candidates"][0]["unique"] is True

    items = [path_to(html, f"li.product[data-id='{i}']") for i in ("p001", "p004")]
    answer = await client.post("/selectors/suggest", json={"html": html, "examples": items})
    assert answer.status_code == 200, answer.text
    best = answer.json()["candidates"][0]
    shown = [item.text() for item in document.css("li.product")]
    assert best["matches"] == len(shown)
    assert _texts(html, best) == shown

    # a field of each item: relative to the item, with the items it is found in
    price = path_to(html, "li.product[data-id='p003'] span.price")
    asked = {"html": html, "path": price, "within": "li.product"}
    answer = await client.post("/selectors/suggest", json=asked)
    assert answer.status_code == 200, answer.text
    best = answer.json()["candidates"][0]
    assert (best["selector"], best["items"]) == ("span.price", len(shown))
    outside = {**asked, "path": path_to(html, "h1")}
    answer = await client.post("/selectors/suggest", json=outside)
    assert answer.status_code == 422
    assert error_of(answer)["code"] == "not_in_item"
    answer = await client.post("/selectors/suggest", json={**asked, "within": "li["})
    assert answer.status_code == 422
    answer = await client.post(
        "/selectors/suggest", json={**asked, "path": None, "examples": items}
    )
    assert answer.status_code == 422
    assert "within goes with path" in str(error_of(answer)["details"])

    lost = [*clicked[:-1], {"tag": "blink", "index": 9}]
    answer = await client.post("/selectors/suggest", json={"html": html, "path": lost})
    assert answer.status_code == 422
    assert error_of(answer)["code"] == "element_not_found"


async def test_a_probe_nobody_answers_times_out(processes: Processes) -> None:
    url = start_api(processes, TRAWLER_API__PROBE_WAIT="PT1S")  # and no worker
    async with httpx.AsyncClient(base_url=f"{url}/api/v1") as client:
        credentials = {"email": "probe@example.com", "password": "s3cret-pass"}
        assert (await client.post("/auth/register", json=credentials)).status_code == 201
        token = (await client.post("/auth/login", json=credentials)).json()["access_token"]
        answer = await client.post(
            "/selectors/test",
            json={"html": "<p>x</p>", "selectors": ["p"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 504
        assert error_of(answer)["code"] == "probe_timeout"
        answer = await client.post(
            "/selectors/at-point",
            json={"html": "<p>x</p>", "points": [{"x": 0.5, "y": 0.5}]},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 504
    assert error_of(answer)["code"] == "probe_timeout"


def _centre(box: list[float]) -> dict[str, float]:
    left, top, width, height = box
    return {"x": left + width / 2, "y": top + height / 2}


async def test_a_point_on_the_screenshot_picks_the_element_there(
    new_user: ApiUser, processes: Processes, site: DemoSite, browser: Browser
) -> None:
    processes.start("worker")
    client = await new_user()
    shop = f"{site.base_url}/shop"
    html = httpx.get(shop).text
    title_css = "li.product[data-id='p003'] a.title"
    target = LexborHTMLParser(html).css_first(title_css)
    assert target is not None
    # where the builder showed the title: /selectors/test's screenshot has the same viewport
    shown = await client.post("/selectors/test", json={"url": shop, "selectors": [title_css]})
    assert shown.status_code == 200, shown.text
    box = shown.json()["selectors"][0]["boxes"][0]

    answer = await client.post(
        "/selectors/at-point", json={"url": shop, "points": [_centre(box)]}, timeout=60
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"url", "title", "elements", "candidates", "screenshot"}
    assert body["url"] == shop
    (element,) = body["elements"]
    assert (element["tag"], element["text"]) == ("a", target.text())
    assert element["box"] == pytest.approx(box, abs=1e-4)
    assert element["path"][0]["tag"] == "html"
    assert element["path"][-1]["classes"] == ["title"]
    assert element["path"][-2]["attributes"]["data-id"] == "p003"
    assert 1 < len(body["candidates"]) <= 8
    best = body["candidates"][0]
    assert best["unique"] is True
    assert best["matches"] == best["count"] == 1
    assert best["boxes"] == [pytest.approx(box, abs=1e-4)]
    assert _texts(html, best) == [target.text()]
    # the product's data-id makes it stable: no position
    assert "data-id" in best["reason"]
    assert "nth-" not in best["selector"]
    assert "position" not in best["reason"]
    for candidate in body["candidates"]:  # each measured on the page: boxes of visible ones
        assert candidate["count"] >= len(candidate["boxes"]) >= 1
        if candidate["unique"] and candidate["kind"] == "css":
            assert candidate["boxes"] == [pytest.approx(box, abs=1e-4)]
    assert base64.b64decode(body["screenshot"].split(",", 1)[1]).startswith(PNG)
    assert await _outlined(browser, body["screenshot"], best["boxes"][0]) == [240, 68, 56]


async def test_two_points_on_list_items_pick_the_list(
    new_user: ApiUser, processes: Processes, site: DemoSite, browser: Browser
) -> None:
    processes.start("worker")
    client = await new_user()
    shop = f"{site.base_url}/shop"
    html = httpx.get(shop).text
    shown = await client.post("/selectors/test", json={"url": shop, "selectors": ["li.product"]})
    assert shown.status_code == 200, shown.text
    products = shown.json()["selectors"][0]
    points = [_centre(products["boxes"][0]), _centre(products["boxes"][3])]

    answer = await client.post("/selectors/at-point", json={"url": shop, "points": points})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["elements"]) == 2
    best = body["candidates"][0]
    assert best["unique"] is True
    items = [item.text() for item in LexborHTMLParser(html).css("li.product")]
    assert best["matches"] == best["count"] == products["count"] == len(items) > 5
    assert best["boxes"] == [pytest.approx(b, abs=1e-4) for b in products["boxes"]]
    assert _texts(html, best) == items
    assert await _outlined(browser, body["screenshot"], best["boxes"][2]) == [240, 68, 56]


async def test_a_point_within_items_picks_a_field_of_every_item(
    new_user: ApiUser, processes: Processes, site: DemoSite, browser: Browser
) -> None:
    processes.start("worker")
    client = await new_user()
    shop = f"{site.base_url}/shop"
    html = httpx.get(shop).text
    products = LexborHTMLParser(html).css("li.product")
    prices = [node.text() for node in LexborHTMLParser(html).css("li.product span.price")]
    assert len(prices) == len(products) == 10
    third = "li.product[data-id='p003']"
    shown = await client.post(
        "/selectors/test",
        json={
            "url": shop,
            "selectors": [f"{third} span.price", f"{third} a.title", "li.product span.price"],
        },
    )
    assert shown.status_code == 200, shown.text
    price, title, every_price = shown.json()["selectors"]
    assert every_price["count"] == 10
    assert 5 < len(every_price["boxes"]) < 10  # the first ones: the screenshot is the viewport

    async def at(box: list[float]) -> httpx.Response:
        json = {"url": shop, "points": [_centre(box)], "within": "li.product"}
        return await client.post("/selectors/at-point", json=json)

    def read(selector: str) -> list[Any]:
        """The field in each item, as an extract node with item_selector li.product reads it."""
        field = ExtractField(name="value", selector=selector)
        return [row["value"] for row in Document(html).items("li.product", [field])]

    answer = await at(price["boxes"][0])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    (element,) = body["elements"]
    assert (element["tag"], element["text"]) == ("span", prices[2])
    best = body["candidates"][0]
    assert (best["selector"], best["kind"], best["unique"]) == ("span.price", "css", True)
    assert best["count"] == best["matches"] == 10
    assert best["boxes"] == [pytest.approx(b, abs=1e-4) for b in every_price["boxes"]]
    assert read(best["selector"]) == prices
    for candidate in body["candidates"]:  # each works as a field as it is, in as many items
        found = read(candidate["selector"])
        assert sum(value is not None for value in found) == candidate["count"], candidate
        if candidate["unique"]:
            assert found == prices, candidate
    assert any(c["selector"].startswith("xpath:./") for c in body["candidates"])
    assert await _outlined(browser, body["screenshot"], every_price["boxes"][-1]) == [240, 68, 56]
    # the item selector and the field together select every price on the page
    tried = await client.post(
        "/selectors/test", json={"url": shop, "selectors": [f"li.product {best['selector']}"]}
    )
    assert tried.status_code == 200, tried.text
    (together,) = tried.json()["selectors"]
    assert together["count"] == 10
    assert [sample["text"] for sample in together["samples"]] == prices[:5]

    answer = await at(title["boxes"][0])
    assert answer.status_code == 200, answer.text
    candidates = answer.json()["candidates"]
    assert (candidates[0]["selector"], candidates[0]["count"]) == ("a.title", 10)
    titles = [node.text() for node in LexborHTMLParser(html).css("li.product a.title")]
    assert read(candidates[0]["selector"]) == titles
    said = " ".join(c["selector"] for c in candidates)
    assert "p003" not in said  # the item's own link and name are no field selectors
    assert titles[2] not in said

    # the same page made short enough to show every item: a box for each price
    short = html.replace("</head>", "<style>img, header { display: none }</style></head>")
    shown = await client.post(
        "/selectors/test", json={"html": short, "selectors": [f"{third} span.price"]}
    )
    box = shown.json()["selectors"][0]["boxes"][0]
    json = {"html": short, "points": [_centre(box)], "within": "li.product"}
    answer = await client.post("/selectors/at-point", json=json)
    assert answer.status_code == 200, answer.text
    best = answer.json()["candidates"][0]
    assert (best["selector"], best["count"], len(best["boxes"])) == ("span.price", 10, 10)

    # the shop's heading is in no item
    heading = await client.post("/selectors/test", json={"url": shop, "selectors": ["h1"]})
    answer = await at(heading.json()["selectors"][0]["boxes"][0])
    assert answer.status_code == 422, answer.text
    error = error_of(answer)
    assert error["code"] == "nothing_at_point"
    assert "it is outside the items: 'li.product' matches 10 elements" in error["message"]
    assert error["message"].startswith("point 1 (x=")
    assert error["details"] == [{"field": "body.points.0", "message": error["message"]}]

    for json, field in (
        ({"points": [{"x": 0.5, "y": 0.5}] * 2, "within": "li.product"}, "body"),
        ({"points": [{"x": 0.5, "y": 0.5}], "within": "li..product"}, "body.within"),
        ({"points": [{"x": 0.5, "y": 0.5}], "within": ""}, "body.within"),
    ):
        answer = await client.post("/selectors/at-point", json={"url": shop, **json})
        assert answer.status_code == 422, answer.text
        assert [d["field"] for d in error_of(answer)["details"]] == [field], answer.text


PAGE = "<style>body { margin: 0 } p, li { height: 100px; margin: 0 }</style>"


async def test_points_with_nothing_to_pick_are_refused(
    new_user: ApiUser, processes: Processes, lab: Lab, api_url: str
) -> None:
    processes.start("worker")
    client = await new_user()

    async def refused(html: str, *points: tuple[float, float]) -> dict[str, Any]:
        json = {"html": html, "points": [{"x": x, "y": y} for x, y in points]}
        answer = await client.post("/selectors/at-point", json=json)
        assert answer.status_code == 422, answer.text
        return error_of(answer)

    # the second point is on the background, below the paragraph
    error = await refused(PAGE + "<p>text</p>", (0.5, 0.05), (0.5, 0.9))
    assert error["code"] == "nothing_at_point"
    assert error["message"].startswith("point 2 (x=0.5, y=0.9): nothing is there")
    assert error["details"] == [{"field": "body.points.1", "message": error["message"]}]

    error = await refused(PAGE + "<iframe srcdoc='<p>inside</p>' id=shown></iframe>", (0.01, 0.01))
    assert error["code"] == "nothing_at_point"
    assert 'inside a frame (<iframe id="shown">)' in error["message"]

    sealed = """<sealed-box></sealed-box><script>
    customElements.define('sealed-box', class extends HTMLElement { constructor() { super();
      this.attachShadow({mode: 'closed'}).innerHTML = '<p style="height: 100px">sealed</p>';
    } });</script>"""
    error = await refused(PAGE + sealed, (0.2, 0.05))
    assert error["code"] == "nothing_at_point"
    assert "closed shadow root of <sealed-box>" in error["message"]
    assert error["details"][0]["field"] == "body.points.0"

    for points, field in (
        ([{"x": 1.5, "y": 0.2}], "body.points.0.x"),
        ([{"x": 0.5, "y": -0.1}], "body.points.0.y"),
        ([{"x": 0.5, "y": 0.5}] * 3, "body.points"),
        ([], "body.points"),
    ):
        answer = await client.post("/selectors/at-point", json={"html": "<p>", "points": points})
        assert answer.status_code == 422, answer.text
        assert [d["field"] for d in error_of(answer)["details"]] == [field]

    # the page goes through the worker's network policy like a run's
    answer = await client.post(
        "/selectors/at-point",
        json={"url": lab.canary_url("/at-point"), "points": [{"x": 0.5, "y": 0.5}]},
    )
    assert answer.status_code == 422, answer.text
    assert error_of(answer)["code"] == "page_failed"
    assert "(rule 'loopback')" in error_of(answer)["message"]
    assert lab.canary.hits == 0

    async with httpx.AsyncClient(base_url=f"{api_url}/api/v1") as anonymous:
        answer = await anonymous.post(
            "/selectors/at-point", json={"html": "<p>x</p>", "points": [{"x": 0.5, "y": 0.5}]}
        )
    assert answer.status_code == 401


async def test_a_point_in_an_open_shadow_root_is_picked_as_the_html_reads(
    new_user: ApiUser, processes: Processes
) -> None:
    processes.start("worker")
    client = await new_user()
    html = (
        PAGE
        + """<div id="host"></div><script>
    document.getElementById('host').attachShadow({mode: 'open'}).innerHTML =
      '<style>ul { margin: 0 } li { height: 100px }</style>' +
      '<ul><li class="row" data-id="a">A</li><li class="row" data-id="b">B</li></ul>';
    </script>"""
    )
    answer = await client.post(
        "/selectors/at-point", json={"html": html, "points": [{"x": 0.5, "y": 0.15}]}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [step["tag"] for step in body["elements"][0]["path"]] == [
        "html",
        "body",
        "div",
        "ul",
        "li",
    ]
    best = body["candidates"][0]
    assert (best["selector"], best["count"], best["unique"]) == ('[data-id="b"]', 1, True)
