// Copy and paste of nodes: the selected nodes with the edges between them, pasted under
// fresh ids (edges following them) and moved aside so the copy does not hide the original.
import { newId, type FlowEdge, type FlowNode } from "./graph";
import type { Position } from "./types";

export interface Clip {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/** The offset of each paste from the one before, in canvas units. */
export const STEP = { x: 40, y: 40 };

/** The nodes `ids` name and the edges between two of them; null when none is named. */
export function copy(nodes: FlowNode[], edges: FlowEdge[], ids: Iterable<string>): Clip | null {
  const chosen = new Set(ids);
  const picked = nodes.filter((n) => chosen.has(n.id));
  if (picked.length === 0) return null;
  return structuredClone({
    nodes: picked,
    edges: edges.filter((e) => chosen.has(e.source) && chosen.has(e.target)),
  });
}

/** The clip's nodes under ids none of `taken` has (`extract-3` for a copy of `extract-1` or
 * of `extract`), moved by `offset`, and its edges between them. */
export function paste(clip: Clip, taken: Iterable<string>, offset: Position): Clip & { ids: string[] } {
  const used = new Set(taken);
  const renamed = new Map<string, string>();
  for (const node of clip.nodes) {
    const id = newId(node.id.replace(/-\d+$/, ""), used);
    used.add(id);
    renamed.set(node.id, id);
  }
  const nodes = clip.nodes.map((node) => ({
    ...structuredClone(node),
    id: renamed.get(node.id)!,
    position: { x: node.position.x + offset.x, y: node.position.y + offset.y },
  }));
  const edges = clip.edges.map((edge) => {
    const source = renamed.get(edge.source)!;
    const target = renamed.get(edge.target)!;
    const id = `${source}:${edge.sourceHandle ?? ""}->${target}`;
    return { id, source, target, sourceHandle: edge.sourceHandle };
  });
  return { nodes, edges, ids: nodes.map((n) => n.id) };
}
