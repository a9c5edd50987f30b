// The validator's rules for edges (engine/validate.py's _check_graph over engine/graph.py),
// checked while the user draws one, so the canvas refuses what saving would refuse.
import type { FlowEdge } from "./graph";

export interface KindRules {
  handles: string[];
  loop: boolean;
}

export interface Candidate {
  source: string;
  target: string;
  sourceHandle: string | null;
}

/** Why an edge is refused; null: it is not. */
export type Refusal =
  | { reason: "self"; node: string }
  | { reason: "unknownHandle"; node: string; handle: string; handles: string[] }
  | { reason: "needsHandle"; node: string; handles: string[] }
  | { reason: "duplicate"; node: string }
  | { reason: "cycle"; path: string[] };

type Outgoing = Map<string, { handle: string | null; target: string }[]>;

function outgoing(edges: Iterable<Candidate>): Outgoing {
  const out: Outgoing = new Map();
  for (const edge of edges) {
    const list = out.get(edge.source) ?? [];
    list.push({ handle: edge.sourceHandle || null, target: edge.target });
    out.set(edge.source, list);
  }
  return out;
}

/** Nodes reachable from a loop's `body` without passing through the loop itself. */
function body(out: Outgoing, loop: string): Set<string> {
  const seen = new Set<string>();
  const stack = (out.get(loop) ?? []).filter((o) => o.handle === "body").map((o) => o.target);
  while (stack.length) {
    const node = stack.pop()!;
    if (seen.has(node) || node === loop) continue;
    seen.add(node);
    for (const next of out.get(node) ?? []) stack.push(next.target);
  }
  return seen;
}

const pair = (source: string, target: string) => JSON.stringify([source, target]);

/** Edges from inside a loop's body back to the loop, as `pair`s: they end one pass. */
export function backEdges(out: Outgoing, loops: Iterable<string>): Set<string> {
  const back = new Set<string>();
  for (const loop of loops) {
    for (const source of body(out, loop)) {
      if ((out.get(source) ?? []).some((o) => o.target === loop)) back.add(pair(source, loop));
    }
  }
  return back;
}

/** The edges with the loops' back edges last: what a top-down layout should follow first. */
export function forwardFirst<E extends Candidate>(
  edges: E[],
  types: Map<string, string>,
  kinds: Map<string, KindRules>,
): E[] {
  const loops = [...types].filter(([, type]) => kinds.get(type)?.loop).map(([id]) => id);
  const back = backEdges(outgoing(edges), loops);
  const isBack = (e: E) => back.has(pair(e.source, e.target));
  return [...edges.filter((e) => !isBack(e)), ...edges.filter(isBack)];
}

/** A path from `from` to `to` over edges that are not back edges, or null. */
function path(out: Outgoing, back: Set<string>, from: string, to: string): string[] | null {
  const parent = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const node = queue.shift()!;
    if (node === to) {
      const found = [node];
      for (let at = parent.get(node); at != null; at = parent.get(at)) found.unshift(at);
      return found;
    }
    for (const { target } of out.get(node) ?? []) {
      if (!parent.has(target) && !back.has(pair(node, target))) {
        parent.set(target, node);
        queue.push(target);
      }
    }
  }
  return null;
}

/** Whether the validator would refuse the document with `candidate` added to `edges`.
 *
 * Adding an edge only ever adds back edges (a loop's body only grows), so a cycle it makes
 * runs through it: a cycle the document had before is left to the validator on save. */
export function refusal(
  nodes: { id: string; type: string }[],
  edges: FlowEdge[],
  kinds: Map<string, KindRules>,
  candidate: Candidate,
): Refusal | null {
  const { source, target } = candidate;
  const handle = candidate.sourceHandle || null;
  const types = new Map(nodes.map((n) => [n.id, n.type]));
  if (source === target) return { reason: "self", node: source };
  const kind = kinds.get(types.get(source) ?? "");
  if (kind && handle !== null && !kind.handles.includes(handle)) {
    return { reason: "unknownHandle", node: source, handle, handles: kind.handles };
  }
  if (kind && handle === null && kind.handles.length > 0 && !kind.loop) {
    return { reason: "needsHandle", node: source, handles: kind.handles };
  }
  const same = (e: FlowEdge) =>
    e.source === source && e.target === target && (e.sourceHandle || null) === handle;
  if (edges.some(same)) return { reason: "duplicate", node: source };
  const out = outgoing([...edges, { source, target, sourceHandle: handle }]);
  const loops = [...types].filter(([, type]) => kinds.get(type)?.loop).map(([id]) => id);
  const back = backEdges(out, loops);
  if (back.has(pair(source, target))) return null;
  const around = path(out, back, target, source);
  return around ? { reason: "cycle", path: [source, ...around] } : null;
}
