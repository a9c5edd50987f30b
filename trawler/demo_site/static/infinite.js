// /infinite: when the sentinel under the list comes near the viewport, appends the next 10
// products from the API; after the last one, replaces the sentinel with "No more products".
"use strict";
(() => {
  const { productItem, delay, fetchJson } = window.trawlerDemo;
  const feed = document.getElementById("feed");
  const sentinel = document.getElementById("sentinel");
  const LIMIT = 10;
  const LOAD_DELAY_MS = 150;
  let offset = feed.querySelectorAll("li.product").length;
  let busy = false;
  let done = false;

  const nearViewport = () => sentinel.getBoundingClientRect().top < window.innerHeight + 200;

  function finish() {
    done = true;
    observer.disconnect();
    sentinel.remove();
    const end = document.createElement("p");
    end.className = "end";
    end.textContent = "No more products";
    feed.after(end);
  }

  async function loadMore() {
    if (busy || done) return;
    busy = true;
    feed.setAttribute("aria-busy", "true");
    try {
      const [data] = await Promise.all([
        fetchJson(`/api/products?offset=${offset}&limit=${LIMIT}`),
        delay(LOAD_DELAY_MS),
      ]);
      feed.insertAdjacentHTML("beforeend", data.items.map(productItem).join(""));
      offset += data.items.length;
      if (data.next === null || data.items.length === 0) finish();
    } finally {
      busy = false;
      feed.removeAttribute("aria-busy");
    }
    // The observer only reports changes: keep going while the sentinel is still in reach.
    if (!done && nearViewport()) loadMore();
  }

  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((entry) => entry.isIntersecting)) loadMore();
    },
    { rootMargin: "0px 0px 200px 0px" },
  );
  observer.observe(sentinel);
})();
