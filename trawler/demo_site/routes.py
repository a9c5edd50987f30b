"""The shop's route table; `DemoSite` merges a caller's extra routes over it."""

from __future__ import annotations

from . import account, api, assets, httpauth, pages
from .messages import Handler


def build_routes() -> dict[str, Handler]:
    """Every route of the shop, by path pattern (see `router` for the syntax)."""
    return {
        "/": pages.home,
        "/shop": pages.shop,
        "/shop/category/<slug>": pages.category,
        "/product/<id>": pages.product,
        "/js/shop": pages.js_shop,
        "/infinite": pages.infinite,
        "/login": account.login,
        "/account": account.account,
        "/logout": account.logout,
        "/basic": httpauth.basic,
        "/digest": httpauth.digest,
        "/api/products": api.products,
        "/static/thumb/<name>": assets.thumbnail,
        "/static/<path:name>": assets.static_file,
    }
