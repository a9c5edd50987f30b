import assert from "node:assert/strict";
import { test } from "node:test";
import type { Draft } from "../src/types";
import { appended, newBot } from "../src/workflow";
import { EXISTING, SAMPLE } from "./sample";

test("a new bot: one node per step in order, a chain of edges, passwords as secrets", () => {
  const bot = newBot("sample", SAMPLE);
  const types = ["navigate", "fill", "fill", "click", "click", "select", "scroll", "scroll", "extract", "extract"];
  assert.deepEqual(
    bot.nodes.map((node) => node.type),
    types,
  );
  const ids = bot.nodes.map((node) => node.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(
    bot.edges,
    ids.slice(1).map((target, i) => ({ source: ids[i], target })),
  );
  assert.deepEqual(bot.variables, { password: { value: "s3cret", secret: true } });
  assert.deepEqual(bot.nodes[2].data, { selector: "#password", text: "{{password}}", press: "Enter" });
  assert.deepEqual(bot.nodes[3].data, { selector: "xpath://button[@id='go']", wait_for: "navigation", label: "Click “Go”" });
  assert.deepEqual(bot.nodes[4].data, { selector: "button.more" });
  assert.deepEqual(bot.nodes[8].data, {
    mode: "list",
    item_selector: "li.product",
    fields: [
      { name: "title", selector: "a.title" },
      { name: "link", selector: "a.title", value: "attr:href", transforms: ["absolute_url"] },
      { name: "item" },
    ],
  });
  assert.deepEqual(bot.nodes[9].data, { mode: "single", fields: [{ name: "heading", selector: "h1" }] });
  assert.ok(!JSON.stringify(bot.nodes).includes("s3cret"));
});

test("appended: after the bot's last node, ids and secret names of its own", () => {
  const bot = appended(EXISTING, SAMPLE);
  assert.deepEqual(bot.nodes.slice(0, 2), EXISTING.nodes);
  const added = bot.nodes.slice(2);
  assert.equal(added[0].id, "navigate-2");
  assert.equal(added[1].id, "fill-2");
  assert.deepEqual(bot.edges.slice(0, 2), [...EXISTING.edges, { source: "fill", target: "navigate-2" }]);
  assert.deepEqual(bot.variables, {
    password: { value: "other", secret: true },
    site: "https://shop.example",
    password_2: { value: "s3cret", secret: true },
  });
  assert.equal(added[2].data.text, "{{password_2}}");
  assert.ok(added.every((node) => (node.position?.y ?? 0) > 120));
});

test("nothing to save", () => {
  const empty: Draft = { ...SAMPLE, steps: [{ kind: "extract", id: "x", item_selector: null, fields: [] }] };
  assert.throws(() => newBot("empty", empty), /Nothing recorded/);
  assert.throws(() => appended(EXISTING, empty), /Nothing recorded/);
});
