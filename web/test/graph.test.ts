import assert from "node:assert/strict";
import { test } from "node:test";
import {
  append,
  arrange,
  docOf,
  fromDoc,
  place,
  without,
  COLUMN,
  fromFlow,
  issuesByNode,
  issuesOf,
  layout,
  nextHandle,
  ROW,
  toFlow,
} from "../src/graph";
import type { Workflow } from "../src/types";

const shop: Workflow = {
  version: 1,
  name: "shop",
  settings: { renderer: "browser" },
  nodes: [
    { id: "open", type: "navigate", data: { url: "{{site}}/shop" } },
    { id: "pages", type: "paginate", data: {} },
    { id: "products", type: "extract", data: { fields: [] } },
    { id: "after", type: "screenshot", data: {} },
  ],
  edges: [
    { source: "open", target: "pages" },
    { source: "pages", target: "products", sourceHandle: "body" },
    { source: "pages", target: "after" },
  ],
};

test("nodes without positions are laid out top-down, a loop's body beside its exit", () => {
  const at = layout(shop.nodes, shop.edges);
  assert.deepEqual(at.get("open"), { x: 0, y: 0 });
  assert.deepEqual(at.get("pages"), { x: 0, y: ROW });
  assert.deepEqual(at.get("products"), { x: COLUMN, y: 2 * ROW });
  assert.deepEqual(at.get("after"), { x: 0, y: 2 * ROW });
});

test("saved positions are kept and no two laid-out nodes share a spot", () => {
  const nodes = [
    { id: "a", type: "navigate", position: { x: 40, y: 500 }, data: {} },
    { id: "b", type: "wait", data: {} },
    { id: "c", type: "wait", data: {} },
  ];
  const at = layout(nodes, []);
  assert.deepEqual(at.get("a"), { x: 40, y: 500 });
  assert.notDeepEqual(at.get("b"), at.get("c"));
});

test("a cycle does not loop forever", () => {
  const nodes = [
    { id: "a", type: "wait", data: {} },
    { id: "b", type: "wait", data: {} },
  ];
  const at = layout(nodes, [
    { source: "a", target: "b" },
    { source: "b", target: "a" },
  ]);
  assert.equal(at.size, 2);
});

test("a document survives the canvas: settings kept, handles kept, positions written", () => {
  const flow = toFlow(shop);
  const saved = fromFlow(shop, flow.nodes, flow.edges);
  assert.deepEqual(saved.settings, shop.settings);
  assert.deepEqual(saved.edges, [
    { source: "open", target: "pages" },
    { source: "pages", target: "products", sourceHandle: "body" },
    { source: "pages", target: "after" },
  ]);
  assert.deepEqual(saved.nodes[2].position, { x: COLUMN, y: 2 * ROW });
  assert.deepEqual(saved.nodes[0].data, { url: "{{site}}/shop" });
});

test("append puts a fresh id below the selected node and joins them", () => {
  const flow = toFlow(shop);
  const next = append(flow.nodes, flow.edges, "wait", { ms: 5 }, "products");
  assert.equal(next.id, "wait-1");
  const added = next.nodes.at(-1)!;
  assert.deepEqual(added.position, { x: COLUMN, y: 3 * ROW });
  assert.deepEqual(added.data, { ms: 5 });
  assert.deepEqual(next.edges.at(-1), {
    id: "products:->wait-1",
    source: "products",
    target: "wait-1",
    sourceHandle: null,
  });
  const again = append(next.nodes, next.edges, "wait", {}, null);
  assert.equal(again.id, "wait-2");
  assert.equal(again.edges.length, next.edges.length, "nothing selected: no edge");
});

test("422 issues land on the node they name, the rest on the bot", () => {
  const issues = issuesOf([
    { node_id: "open", field: "data.url", message: "Field required" },
    { node_id: "gone", field: null, message: "unknown" },
    { node_id: null, field: "edges", message: "a cycle" },
    { field: "body.workflow", message: "FastAPI's own" },
    "not an issue",
  ]);
  const grouped = issuesByNode(issues, ["open", "pages"]);
  assert.deepEqual(
    grouped.get("open")?.map((i) => i.message),
    ["Field required"],
  );
  assert.deepEqual(
    grouped.get("")?.map((i) => i.message),
    ["unknown", "a cycle", "FastAPI's own"],
  );
  assert.equal(grouped.has("pages"), false);
  assert.deepEqual(issuesOf({ not: "a list" }), []);
});

test("a node appended after a branch or a loop hangs from the handle it needs", () => {
  const condition = { handles: ["true", "false"], loop: false };
  const loop = { handles: ["body"], loop: true };
  const edges = [{ id: "e", source: "if", target: "x", sourceHandle: "true" }];
  assert.equal(nextHandle("if", condition, []), "true");
  assert.equal(nextHandle("if", condition, edges), "false");
  assert.equal(nextHandle("pages", loop, []), "body");
  assert.equal(nextHandle("pages", loop, [{ ...edges[0], source: "pages", sourceHandle: "body" }]), null);
  assert.equal(nextHandle("open", { handles: [], loop: false }, []), null);
  const flow = toFlow(shop);
  const next = append(flow.nodes, flow.edges, "wait", {}, "open", "false");
  assert.deepEqual(next.edges.at(-1), {
    id: "open:false->wait-1",
    source: "open",
    target: "wait-1",
    sourceHandle: "false",
  });
  assert.deepEqual(next.nodes.at(-1)?.position, { x: COLUMN, y: ROW });
});

test("a dropped node lands where it was dropped, joined to nothing", () => {
  const flow = toFlow(shop);
  const next = place(flow.nodes, "wait", { ms: 5 }, { x: 512, y: 64 });
  assert.equal(next.id, "wait-1");
  assert.deepEqual(next.nodes.at(-1), { id: "wait-1", type: "wait", position: { x: 512, y: 64 }, data: { ms: 5 } });
});

test("auto-layout places every node again, a loop below what leads into it", () => {
  const kinds = new Map([
    ["paginate", { handles: ["body"], loop: true }],
    ["navigate", { handles: [], loop: false }],
  ]);
  const flow = toFlow(shop);
  const moved = flow.nodes.map((n) => ({ ...n, position: { x: 999, y: 999 } }));
  // the back edge comes first in the document: the layout still follows open -> pages
  const edges = [{ id: "b", source: "products", target: "pages", sourceHandle: null }, ...flow.edges];
  const placed = arrange(moved, edges, kinds);
  assert.deepEqual(
    placed.map((n) => n.position),
    flow.nodes.map((n) => n.position),
  );
});

test("the saved document carries the builder's settings and variables", () => {
  const flow = toFlow(shop);
  const doc = docOf(
    flow.nodes.map((n) => ({ ...n, position: { x: n.position.x + 0.4, y: n.position.y - 0.4 } })),
    flow.edges,
    { settings: { renderer: "http" }, variables: undefined },
  );
  assert.deepEqual(doc.nodes[0].position, flow.nodes[0].position);
  const saved = fromDoc(shop, doc);
  assert.deepEqual(saved.settings, { renderer: "http" });
  assert.equal("variables" in saved, false);
  assert.equal(saved.name, "shop");
  assert.deepEqual(saved.edges, fromFlow(shop, flow.nodes, flow.edges).edges);
});

test("deleting nodes takes their edges along", () => {
  const flow = toFlow(shop);
  const left = without(flow.nodes, flow.edges, ["pages"], ["open:->pages"]);
  assert.deepEqual(left.nodes.map((n) => n.id), ["open", "products", "after"]);
  assert.deepEqual(left.edges, []);
  const one = without(flow.nodes, flow.edges, [], ["pages:->after"]);
  assert.equal(one.nodes.length, 4);
  assert.deepEqual(one.edges.map((e) => e.id), ["open:->pages", "pages:body->products"]);
});
