// Pure logic of the canvas: bot document <-> React Flow nodes and edges, the top-down layout
// of nodes without a saved position, adding a node, and the API's issues per node.
import { forwardFirst, type KindRules } from "./rules";
import type { Issue, Position, Workflow, WorkflowEdge, WorkflowNode } from "./types";

export const ROW = 120;
export const COLUMN = 260;

export interface FlowNode {
  id: string;
  type: string;
  position: Position;
  data: Record<string, unknown>;
}

export interface FlowEdge {
  id: string;
  source: string;
  target: string;
  sourceHandle: string | null;
}

export function edgeId(edge: WorkflowEdge): string {
  return edge.id ?? `${edge.source}:${edge.sourceHandle ?? ""}->${edge.target}`;
}

/** Positions for nodes that have none: each node one row below its first predecessor
 * (a loop's `body` and a branch one column to the right), roots side by side at the top. */
export function layout(nodes: WorkflowNode[], edges: WorkflowEdge[]): Map<string, Position> {
  const placed = new Map<string, Position>();
  for (const node of nodes) if (node.position) placed.set(node.id, node.position);
  if (placed.size === nodes.length) return placed;
  const incoming = new Map<string, WorkflowEdge>();
  for (const edge of edges) if (!incoming.has(edge.target)) incoming.set(edge.target, edge);
  const taken = new Set([...placed.values()].map((p) => `${p.x},${p.y}`));
  const free = (wanted: Position): Position => {
    const spot = { ...wanted };
    while (taken.has(`${spot.x},${spot.y}`)) spot.x += COLUMN;
    taken.add(`${spot.x},${spot.y}`);
    return spot;
  };
  const place = (node: WorkflowNode, seen: Set<string>): Position => {
    const known = placed.get(node.id);
    if (known) return known;
    const edge = incoming.get(node.id);
    const parent = edge && !seen.has(edge.source) && nodes.find((n) => n.id === edge.source);
    let spot: Position;
    if (parent) {
      const above = place(parent, new Set([...seen, node.id]));
      const aside = edge.sourceHandle && edge.sourceHandle !== "true" ? COLUMN : 0;
      spot = free({ x: above.x + aside, y: above.y + ROW });
    } else {
      spot = free({ x: 0, y: 0 });
    }
    placed.set(node.id, spot);
    return spot;
  };
  for (const node of nodes) place(node, new Set());
  return placed;
}

export function toFlow(workflow: Workflow): { nodes: FlowNode[]; edges: FlowEdge[] } {
  const positions = layout(workflow.nodes, workflow.edges);
  return {
    nodes: workflow.nodes.map((node) => ({
      id: node.id,
      type: node.type,
      position: positions.get(node.id) ?? { x: 0, y: 0 },
      data: node.data ?? {},
    })),
    edges: workflow.edges.map((edge) => ({
      id: edgeId(edge),
      source: edge.source,
      target: edge.target,
      sourceHandle: edge.sourceHandle ?? null,
    })),
  };
}

/** What the builder edits of a bot, and what undo goes back to: the graph (positions as
 * saved: whole numbers) and the settings and variables (undefined: the document has none). */
export interface Doc {
  nodes: FlowNode[];
  edges: FlowEdge[];
  settings: Record<string, unknown> | undefined;
  variables: Record<string, unknown> | undefined;
}

export function docOf(
  nodes: FlowNode[],
  edges: FlowEdge[],
  meta: Pick<Doc, "settings" | "variables">,
): Doc {
  return {
    nodes: nodes.map((n) => ({
      id: n.id,
      type: n.type,
      position: { x: Math.round(n.position.x) || 0, y: Math.round(n.position.y) || 0 },
      data: n.data,
    })),
    edges: edges.map((e) => ({ id: e.id, source: e.source, target: e.target, sourceHandle: e.sourceHandle })),
    settings: meta.settings,
    variables: meta.variables,
  };
}

/** The document to save: the original's other keys, the builder's graph, settings and
 * variables. */
export function fromDoc(original: Workflow, doc: Doc): Workflow {
  const { settings: _settings, variables: _variables, ...rest } = fromFlow(original, doc.nodes, doc.edges);
  return {
    ...rest,
    ...(doc.settings === undefined ? {} : { settings: doc.settings }),
    ...(doc.variables === undefined ? {} : { variables: doc.variables }),
  };
}

/** The document to save: the original's settings and variables, the canvas's graph. */
export function fromFlow(original: Workflow, nodes: FlowNode[], edges: FlowEdge[]): Workflow {
  return {
    ...original,
    nodes: nodes.map((node) => ({
      id: node.id,
      type: node.type,
      position: { x: Math.round(node.position.x), y: Math.round(node.position.y) },
      data: node.data,
    })),
    edges: edges.map((edge) => ({
      source: edge.source,
      target: edge.target,
      ...(edge.sourceHandle ? { sourceHandle: edge.sourceHandle } : {}),
    })),
  };
}

export function newId(type: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  for (let n = 1; ; n++) {
    const id = `${type}-${n}`;
    if (!used.has(id)) return id;
  }
}

/** The handle a node appended after `source` hangs from: a branch's first unused one, a
 * loop's `body` while it has none, else the default output (null). */
export function nextHandle(
  source: string,
  kind: { handles: string[]; loop: boolean } | undefined,
  edges: FlowEdge[],
): string | null {
  if (!kind || kind.handles.length === 0) return null;
  const used = new Set(edges.filter((e) => e.source === source).map((e) => e.sourceHandle));
  const free = kind.handles.find((handle) => !used.has(handle));
  if (kind.loop) return free ?? null;
  return free ?? kind.handles[0];
}

/** Add a node of `type` below `after` (or below the lowest node), joined to it by an edge
 * from `handle` (null: the default output). */
export function append(
  nodes: FlowNode[],
  edges: FlowEdge[],
  type: string,
  data: Record<string, unknown>,
  after: string | null,
  handle: string | null = null,
): { nodes: FlowNode[]; edges: FlowEdge[]; id: string } {
  const id = newId(type, nodes.map((n) => n.id));
  const anchor =
    nodes.find((n) => n.id === after) ??
    nodes.reduce<FlowNode | undefined>((low, n) => (!low || n.position.y > low.position.y ? n : low), undefined);
  const aside = handle && handle !== "true" ? COLUMN : 0;
  const position = anchor ? { x: anchor.position.x + aside, y: anchor.position.y + ROW } : { x: 0, y: 0 };
  const node: FlowNode = { id, type, position, data: structuredClone(data) };
  const edge: FlowEdge[] =
    after && anchor
      ? [{ id: `${anchor.id}:${handle ?? ""}->${id}`, source: anchor.id, target: id, sourceHandle: handle }]
      : [];
  return { nodes: [...nodes, node], edges: [...edges, ...edge], id };
}

/** Add a node of `type` with its top left at `position` (where it was dropped), joined to
 * nothing. */
export function place(
  nodes: FlowNode[],
  type: string,
  data: Record<string, unknown>,
  position: Position,
): { nodes: FlowNode[]; id: string } {
  const id = newId(type, nodes.map((n) => n.id));
  return { nodes: [...nodes, { id, type, position, data: structuredClone(data) }], id };
}

/** Every node placed again by the top-down layout, following the edges into each node
 * before the loops' back edges. */
export function arrange(nodes: FlowNode[], edges: FlowEdge[], kinds: Map<string, KindRules>): FlowNode[] {
  const types = new Map(nodes.map((n) => [n.id, n.type]));
  const ordered = forwardFirst(edges, types, kinds);
  const at = layout(
    nodes.map((n) => ({ id: n.id, type: n.type, data: n.data })),
    ordered.map((e) => ({ source: e.source, target: e.target, sourceHandle: e.sourceHandle })),
  );
  return nodes.map((n) => ({ ...n, position: at.get(n.id) ?? n.position }));
}

/** The 422 issues grouped by node id; issues without one (or naming no node) under "". */
export function issuesByNode(issues: Issue[], nodeIds: Iterable<string>): Map<string, Issue[]> {
  const known = new Set(nodeIds);
  const grouped = new Map<string, Issue[]>();
  for (const issue of issues) {
    const key = issue.node_id && known.has(issue.node_id) ? issue.node_id : "";
    grouped.set(key, [...(grouped.get(key) ?? []), issue]);
  }
  return grouped;
}

/** Read the issues out of a 422 body's details (an invalid workflow's, or FastAPI's). */
export function issuesOf(details: unknown): Issue[] {
  if (!Array.isArray(details)) return [];
  return details.flatMap((item): Issue[] => {
    if (typeof item !== "object" || item === null) return [];
    const { node_id, field, message } = item as Record<string, unknown>;
    if (typeof message !== "string") return [];
    return [
      {
        node_id: typeof node_id === "string" ? node_id : null,
        field: typeof field === "string" ? field : null,
        message,
      },
    ];
  });
}

/** The graph without the nodes `nodeIds`, the edges `edgeIds` and every edge of a removed node. */
export function without<N extends { id: string }, E extends { id: string; source: string; target: string }>(
  nodes: N[],
  edges: E[],
  nodeIds: Iterable<string>,
  edgeIds: Iterable<string>,
): { nodes: N[]; edges: E[] } {
  const gone = new Set(nodeIds);
  const cut = new Set(edgeIds);
  return {
    nodes: nodes.filter((n) => !gone.has(n.id)),
    edges: edges.filter((e) => !cut.has(e.id) && !gone.has(e.source) && !gone.has(e.target)),
  };
}
