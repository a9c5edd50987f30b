// What changed between two versions of a bot document: nodes and edges added or removed, and
// every parameter, setting or variable that differs. Positions are layout, not behaviour: left out.
import type { Workflow, WorkflowEdge } from "./types";

export interface Change {
  kind: "added" | "removed" | "changed";
  /** a node id, an edge key (`source:handle->target`) or the top-level key */
  subject: string;
  what: "node" | "edge" | "field";
  /** within the subject: `data.fields[0].selector`; empty for the whole subject */
  path: string;
  before?: unknown;
  after?: unknown;
}

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** The leaves where `before` and `after` differ, as paths under `path`. */
export function leaves(before: Json, after: Json, path = ""): [string, Json, Json][] {
  if (Array.isArray(before) && Array.isArray(after)) {
    const found: [string, Json, Json][] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      found.push(...leaves(before[i], after[i], join(path, i)));
    }
    return found;
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => leaves(before[key], after[key], join(path, key)));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [[path, before, after]];
}

export function edgeKey(edge: WorkflowEdge): string {
  const handle = edge.sourceHandle ? `:${edge.sourceHandle}` : "";
  return `${edge.source}${handle}->${edge.target}`;
}

function changed(subject: string, what: Change["what"], before: Json, after: Json): Change[] {
  return leaves(before, after).map(([path, old, now]) => ({
    kind: old === undefined ? "added" : now === undefined ? "removed" : "changed",
    subject,
    what,
    path,
    before: old,
    after: now,
  }));
}

export function diffWorkflows(before: Workflow, after: Workflow): Change[] {
  const found: Change[] = [];
  const { nodes: oldNodes, edges: oldEdges, ...oldRest } = before;
  const { nodes: newNodes, edges: newEdges, ...newRest } = after;
  for (const key of [...new Set([...Object.keys(oldRest), ...Object.keys(newRest)])].sort()) {
    found.push(...changed(key, "field", oldRest[key], newRest[key]));
  }
  const oldById = new Map(oldNodes.map((node) => [node.id, node]));
  const newById = new Map(newNodes.map((node) => [node.id, node]));
  for (const node of oldNodes) {
    const now = newById.get(node.id);
    if (!now) {
      found.push({ kind: "removed", subject: node.id, what: "node", path: "", before: node.type });
    } else {
      const { position: _old, id: _a, ...was } = node;
      const { position: _new, id: _b, ...is } = now;
      found.push(...changed(node.id, "node", was, is));
    }
  }
  for (const node of newNodes) {
    if (!oldById.has(node.id)) {
      found.push({ kind: "added", subject: node.id, what: "node", path: "", after: node.type });
    }
  }
  const oldKeys = new Set(oldEdges.map(edgeKey));
  const newKeys = new Set(newEdges.map(edgeKey));
  for (const key of oldKeys) {
    if (!newKeys.has(key)) found.push({ kind: "removed", subject: key, what: "edge", path: "" });
  }
  for (const key of newKeys) {
    if (!oldKeys.has(key)) found.push({ kind: "added", subject: key, what: "edge", path: "" });
  }
  return found;
}
