import assert from "node:assert/strict";
import { test } from "node:test";
import { compounds, generated } from "../src/dom";

test("compounds: split at the top level only", () => {
  assert.deepEqual(compounds('ul.products > li[data-x="a > b"]:nth-child(2n+1) a.title'), [
    "ul.products",
    ">",
    'li[data-x="a > b"]:nth-child(2n+1)',
    " ",
    "a.title",
  ]);
  assert.deepEqual(compounds("h1 + p ~ span"), ["h1", "+", "p", "~", "span"]);
  assert.deepEqual(compounds("a.title"), ["a.title"]);
  assert.equal(compounds("a, b"), null);
});

test("generated class names", () => {
  for (const name of ["css-1x2y3z", "sc-bdVaJa", "_3kXy9", "jsx-123456", "a1b2c3d4"]) assert.ok(generated(name), name);
  for (const name of ["title", "price", "order-id", "col-2", "h1"]) assert.ok(!generated(name), name);
});
