import assert from "node:assert/strict";
import { test } from "node:test";
import type { FlowEdge } from "../src/graph";
import { forwardFirst, refusal, type KindRules } from "../src/rules";

const kinds = new Map<string, KindRules>([
  ["navigate", { handles: [], loop: false }],
  ["extract", { handles: [], loop: false }],
  ["wait", { handles: [], loop: false }],
  ["paginate", { handles: ["body"], loop: true }],
  ["for_each", { handles: ["body"], loop: true }],
  ["condition", { handles: ["true", "false"], loop: false }],
]);

const nodes = [
  { id: "open", type: "navigate" },
  { id: "pages", type: "paginate" },
  { id: "products", type: "extract" },
  { id: "links", type: "for_each" },
  { id: "detail", type: "extract" },
  { id: "if", type: "condition" },
  { id: "fresh", type: "wait" },
];

const edge = (source: string, target: string, sourceHandle: string | null = null): FlowEdge => ({
  id: `${source}:${sourceHandle ?? ""}->${target}`,
  source,
  target,
  sourceHandle,
});

// open -> pages =body=> products -> links =body=> detail
const edges = [edge("open", "pages"), edge("pages", "products", "body"), edge("products", "links"), edge("links", "detail", "body")];
const check = (source: string, target: string, handle: string | null = null, more: FlowEdge[] = []) =>
  refusal(nodes, [...edges, ...more], kinds, { source, target, sourceHandle: handle });

test("a node never connects to itself, a loop neither", () => {
  assert.deepEqual(check("products", "products"), { reason: "self", node: "products" });
  assert.deepEqual(check("pages", "pages", "body"), { reason: "self", node: "pages" });
});

test("an edge leaves from a handle its kind has; a branch needs one", () => {
  assert.deepEqual(check("open", "fresh", "body"), {
    reason: "unknownHandle",
    node: "open",
    handle: "body",
    handles: [],
  });
  assert.equal(check("if", "fresh", "maybe")?.reason, "unknownHandle");
  assert.deepEqual(check("if", "fresh"), { reason: "needsHandle", node: "if", handles: ["true", "false"] });
  assert.equal(check("if", "fresh", "true"), null);
  assert.equal(check("if", "fresh", "false"), null);
  // a loop's edge without a handle leaves it; with `body` it enters it
  assert.equal(check("pages", "fresh"), null);
  assert.equal(check("pages", "fresh", "body"), null);
  assert.equal(check("open", "fresh", ""), null, "an empty handle is the default output");
});

test("the same edge twice is refused; another handle to the same node is not", () => {
  assert.deepEqual(check("open", "pages"), { reason: "duplicate", node: "open" });
  assert.equal(check("pages", "products"), null);
  // fan-out from one handle: the validator takes it, the runner walks them in edge order
  assert.equal(check("open", "fresh"), null);
});

test("a cycle is refused with its path, unless it is a loop's back edge", () => {
  const after = [edge("pages", "if"), edge("if", "fresh", "true")];
  assert.deepEqual(check("fresh", "open", null, after), {
    reason: "cycle",
    path: ["fresh", "open", "pages", "if", "fresh"],
  });
  assert.deepEqual(check("fresh", "if", null, after)?.reason, "cycle");
  // from a loop's body back to the loop (or an outer loop) ends one pass
  assert.equal(check("products", "pages"), null);
  assert.equal(check("detail", "links"), null);
  assert.equal(check("detail", "pages"), null);
  // a loop's exit back into its own body is a cycle
  assert.equal(check("links", "products")?.reason, "cycle");
});

test("as the validator: from a loop's body to what leads into the loop is a way back", () => {
  // open joins pages' body, open -> pages becomes a back edge and pages the start
  assert.equal(check("products", "open"), null);
});

test("an edge into the start is refused only when it closes a cycle", () => {
  assert.equal(check("fresh", "open"), null, "the new node becomes the start");
  assert.equal(check("pages", "open")?.reason, "cycle");
});

test("an edge that makes another a back edge is taken", () => {
  const loopNodes = [
    { id: "a", type: "wait" },
    { id: "l", type: "paginate" },
  ];
  assert.equal(refusal(loopNodes, [edge("a", "l")], kinds, { source: "l", target: "a", sourceHandle: "body" }), null);
  assert.equal(refusal(loopNodes, [edge("a", "l")], kinds, { source: "l", target: "a", sourceHandle: null })?.reason, "cycle");
});

test("a cycle the document already has does not block other edges", () => {
  const broken = [edge("fresh", "if", "x"), edge("if", "fresh", "true")];
  assert.equal(check("open", "fresh", null, broken), null);
});

test("an unknown kind is left to the validator", () => {
  const odd = [...nodes, { id: "odd", type: "gone" }];
  assert.equal(refusal(odd, edges, kinds, { source: "odd", target: "fresh", sourceHandle: "x" }), null);
});

test("layout order: back edges last", () => {
  const types = new Map(nodes.map((n) => [n.id, n.type]));
  const back = edge("products", "pages");
  const ordered = forwardFirst([back, ...edges], types, kinds);
  assert.deepEqual(ordered.at(-1), back);
  assert.equal(ordered.length, edges.length + 1);
});
