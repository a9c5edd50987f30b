import assert from "node:assert/strict";
import { test } from "node:test";
import { diffWorkflows, edgeKey, leaves } from "../src/diff";
import type { Workflow } from "../src/types";

const v1: Workflow = {
  version: 1,
  name: "shop",
  settings: { renderer: "browser", limits: { max_pages: 10 } },
  nodes: [
    { id: "open", type: "navigate", position: { x: 0, y: 0 }, data: { url: "https://a.test/" } },
    {
      id: "items",
      type: "extract",
      position: { x: 0, y: 100 },
      data: { item_selector: "li", fields: [{ name: "name", selector: "h2" }] },
    },
  ],
  edges: [{ source: "open", target: "items" }],
};

test("the same document has no changes, whatever the positions", () => {
  const moved = structuredClone(v1);
  moved.nodes[0].position = { x: 300, y: 40 };
  assert.deepEqual(diffWorkflows(v1, moved), []);
});

test("parameters, settings, nodes and edges that differ are named by path", () => {
  const v2 = structuredClone(v1);
  v2.name = "shop 2";
  (v2.settings as { limits: { max_pages: number } }).limits.max_pages = 20;
  (v2.nodes[1].data.fields as { selector: string }[])[0].selector = "h2.title";
  (v2.nodes[1].data.fields as object[]).push({ name: "price", selector: ".price" });
  v2.nodes.push({ id: "shot", type: "screenshot", data: {} });
  v2.edges.push({ source: "items", target: "shot" });
  v2.nodes.splice(0, 1);
  v2.edges.splice(0, 1);
  const found = diffWorkflows(v1, v2).map(
    (c) => `${c.kind} ${c.what} ${c.subject} ${c.path}`.trim(),
  );
  assert.deepEqual(found, [
    "changed field name",
    "changed field settings limits.max_pages",
    "removed node open",
    "changed node items data.fields[0].selector",
    "added node items data.fields[1]",
    "added node shot",
    "removed edge open->items",
    "added edge items->shot",
  ]);
});

test("leaves and edge keys", () => {
  assert.deepEqual(leaves({ a: [1, 2] }, { a: [1, 3], b: true }), [
    ["a[1]", 2, 3],
    ["b", undefined, true],
  ]);
  assert.equal(edgeKey({ source: "pages", target: "items", sourceHandle: "body" }), "pages:body->items");
  assert.equal(edgeKey({ source: "a", target: "b", sourceHandle: null }), "a->b");
});
