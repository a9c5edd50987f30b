// Renders products exactly like the server does (see trawler/demo_site/layout.py).
"use strict";
window.trawlerDemo = (() => {
  const entities = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" };
  const escape = (value) => String(value).replace(/[&<>"']/g, (c) => entities[c]);
  const stars = (n) => "\u2605".repeat(n) + "\u2606".repeat(5 - n);
  const productItem = (p) =>
    `<li class="product" data-id="${escape(p.id)}">` +
    `<img class="thumb" src="/static/thumb/${escape(p.id)}.svg" alt="" width="64" height="64">` +
    ` <a class="title" href="${escape(p.url)}">${escape(p.name)}</a>` +
    ` <span class="price">$${escape(p.price)}</span>` +
    ` <span class="category">${escape(p.category)}</span>` +
    ` <span class="rating" data-stars="${p.rating}">${stars(p.rating)}</span>` +
    ` <span class="stock">${p.stock > 0 ? "In stock" : "Out of stock"}</span></li>`;
  const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  async function fetchJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }
  return { productItem, delay, fetchJson };
})();
