"""The demo shop: a small deterministic website served on loopback for examples and tests.

`DemoSite` serves the shop (server-rendered and JavaScript-rendered product lists, product
pages, infinite scroll, a login, pages behind HTTP Basic and Digest authentication, a JSON
API) from a background thread; `extra_routes` adds pages such as the test lab. The catalog
is exported so callers can compute the expected rows.
"""

from __future__ import annotations

from .account import DEMO_PASSWORD, DEMO_USERNAME, SESSION_COOKIE, SESSION_TOKEN
from .api import product_json
from .catalog import (
    CATEGORIES,
    ORDERS,
    PAGE_COUNT,
    PAGE_SIZE,
    PRODUCTS,
    Order,
    Product,
    page_of,
    product_by_id,
)
from .layout import SITE_NAME, pagination, product_item, product_list, render_page
from .messages import Handler, Request, Response, SiteState
from .routes import build_routes
from .server import DemoSite

__all__ = [
    "CATEGORIES",
    "DEMO_PASSWORD",
    "DEMO_USERNAME",
    "ORDERS",
    "PAGE_COUNT",
    "PAGE_SIZE",
    "PRODUCTS",
    "SESSION_COOKIE",
    "SESSION_TOKEN",
    "SITE_NAME",
    "DemoSite",
    "Handler",
    "Order",
    "Product",
    "Request",
    "Response",
    "SiteState",
    "build_routes",
    "page_of",
    "pagination",
    "product_by_id",
    "product_item",
    "product_json",
    "product_list",
    "render_page",
]
