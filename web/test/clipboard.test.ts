import assert from "node:assert/strict";
import { test } from "node:test";
import { copy, paste, STEP } from "../src/clipboard";
import type { FlowEdge, FlowNode } from "../src/graph";

const nodes: FlowNode[] = [
  { id: "open", type: "navigate", position: { x: 0, y: 0 }, data: { url: "https://x.test" } },
  { id: "pages", type: "paginate", position: { x: 0, y: 120 }, data: {} },
  { id: "extract-1", type: "extract", position: { x: 260, y: 240 }, data: { fields: [{ name: "a" }] } },
];
const edges: FlowEdge[] = [
  { id: "open:->pages", source: "open", target: "pages", sourceHandle: null },
  { id: "pages:body->extract-1", source: "pages", target: "extract-1", sourceHandle: "body" },
];

test("copy takes the chosen nodes and only the edges between them", () => {
  const clip = copy(nodes, edges, ["pages", "extract-1"])!;
  assert.deepEqual(clip.nodes.map((n) => n.id), ["pages", "extract-1"]);
  assert.deepEqual(clip.edges.map((e) => e.id), ["pages:body->extract-1"]);
  assert.equal(copy(nodes, edges, []), null);
  clip.nodes[1].data.fields = [];
  assert.deepEqual(nodes[2].data, { fields: [{ name: "a" }] }, "the clip is a copy");
});

test("paste gives fresh ids, moves the nodes and joins them as the originals were", () => {
  const clip = copy(nodes, edges, ["pages", "extract-1"])!;
  const first = paste(clip, nodes.map((n) => n.id), STEP);
  assert.deepEqual(first.ids, ["pages-1", "extract-2"]);
  assert.deepEqual(first.nodes[1].position, { x: 300, y: 280 });
  assert.deepEqual(first.nodes[1].data, { fields: [{ name: "a" }] });
  assert.deepEqual(first.edges, [
    { id: "pages-1:body->extract-2", source: "pages-1", target: "extract-2", sourceHandle: "body" },
  ]);
  const again = paste(clip, [...nodes.map((n) => n.id), ...first.ids], { x: 80, y: 80 });
  assert.deepEqual(again.ids, ["pages-2", "extract-3"]);
  const everything = new Set([...nodes.map((n) => n.id), ...first.ids, ...again.ids]);
  assert.equal(everything.size, nodes.length + 4);
});
