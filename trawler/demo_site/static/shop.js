// /js/shop: renders one page of products from the API after a short delay; the Next button
// fetches the following page, re-renders the list in place and pushes ?page=N to the history.
"use strict";
(() => {
  const { productItem, delay, fetchJson } = window.trawlerDemo;
  const app = document.getElementById("app");
  const RENDER_DELAY_MS = 100;
  let busy = false;

  const pageFromUrl = () => {
    const page = Number.parseInt(new URLSearchParams(location.search).get("page") ?? "1", 10);
    return Number.isFinite(page) && page > 0 ? page : 1;
  };

  function renderButton(next) {
    let button = document.querySelector("button.next");
    if (next === null) {
      button?.remove();
      return;
    }
    if (!button) {
      button = document.createElement("button");
      button.className = "next";
      button.type = "button";
      button.textContent = "Next";
      button.addEventListener("click", () => show(Number(button.dataset.page), true));
      app.after(button);
    }
    button.dataset.page = String(next);
  }

  async function show(page, push) {
    if (busy) return;
    busy = true;
    app.setAttribute("aria-busy", "true");
    try {
      const [data] = await Promise.all([
        fetchJson(`/api/products?page=${page}`),
        delay(RENDER_DELAY_MS),
      ]);
      app.innerHTML = data.items.map(productItem).join("");
      app.dataset.page = String(page);
      renderButton(data.next);
      if (push) history.pushState({ page }, "", `?page=${page}`);
    } finally {
      busy = false;
      app.removeAttribute("aria-busy");
    }
  }

  window.addEventListener("popstate", () => show(pageFromUrl(), false));
  show(pageFromUrl(), false);
})();
