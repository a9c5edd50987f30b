// Pure logic of the selector picker: which page a node works on, where a click fell on the
// screenshot, and how a match's box is drawn over it.
import type { WorkflowEdge, WorkflowNode } from "./types";

/** A box on the screenshot: left, top, width, height as fractions of it. */
export type Box = [number, number, number, number];

export interface Point {
  x: number;
  y: number;
}

/** The URL of the nearest navigate before `nodeId` (itself included), walking edges back. */
export function pageUrl(
  workflow: { nodes: WorkflowNode[]; edges: WorkflowEdge[] },
  nodeId: string,
): string | null {
  const byId = new Map(workflow.nodes.map((node) => [node.id, node]));
  const seen = new Set<string>();
  let layer = [nodeId];
  while (layer.length > 0) {
    const next: string[] = [];
    for (const id of layer) {
      if (seen.has(id)) continue;
      seen.add(id);
      const node = byId.get(id);
      const url = node?.data.url;
      if (node?.type === "navigate" && typeof url === "string" && url) return url;
      next.push(...workflow.edges.filter((edge) => edge.target === id).map((e) => e.source));
    }
    layer = next;
  }
  return null;
}

/** The point of a click on an image shown at `width`×`height`, as fractions, kept inside. */
export function pointOf(offsetX: number, offsetY: number, width: number, height: number): Point {
  const clamp = (value: number) => Math.min(1, Math.max(0, value));
  return { x: clamp(offsetX / width), y: clamp(offsetY / height) };
}

/** CSS percentages placing `box` over the image. */
export function boxStyle(box: Box): { left: string; top: string; width: string; height: string } {
  const percent = (value: number) => `${(value * 100).toFixed(3)}%`;
  return { left: percent(box[0]), top: percent(box[1]), width: percent(box[2]), height: percent(box[3]) };
}

/** How the picker picks for a field: a list's items (two clicks), or one element, inside the
 * items of `within` when the node extracts from a list. */
export type PickMode = { kind: "items" } | { kind: "element"; within: string | null };

/** What a selector field picks: `item_selector` a list's items; a selector under `fields` an
 * element inside each item; any other selector one element of the page. */
export type PickKind = "items" | "element" | "in-item";

const SELECTOR = /^(selector|item_selector|next_selector|content_selector)$/;

type Schema = {
  type?: unknown;
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  $defs?: Record<string, Schema>;
};

/** `schema` itself, what its local `$ref` (`#/$defs/Name`) names in `root`, or its first
 * choice that is not null. */
function resolved(schema: Schema, root: Schema): Schema {
  const name = schema.$ref?.match(/^#\/\$defs\/(.+)$/)?.[1];
  if (name && root.$defs?.[name]) return root.$defs[name];
  const some = schema.anyOf?.find((choice) => choice.type !== "null");
  return some ? resolved(some, root) : schema;
}

/** A uiSchema giving every selector field of `schema` the picker widget, with its kind (a
 * recursive schema, such as a field's sub-fields, is followed a few levels deep). */
export function pickerUi(schema: Schema, inItems = false, root = schema, depth = 0): Record<string, unknown> {
  const ui: Record<string, unknown> = {};
  if (depth > 3) return ui;
  for (const [name, given] of Object.entries(resolved(schema, root).properties ?? {})) {
    const sub = resolved(given, root);
    if (SELECTOR.test(name) && sub.type !== "array" && sub.type !== "object") {
      const kind: PickKind = name === "item_selector" ? "items" : inItems ? "in-item" : "element";
      ui[name] = { "ui:widget": "selector", "ui:options": { pick: kind } };
    } else if (sub.items) {
      const inner = pickerUi(sub.items, inItems || name === "fields", root, depth + 1);
      if (Object.keys(inner).length > 0) ui[name] = { items: inner };
    } else if (sub.properties) {
      const inner = pickerUi(sub, inItems, root, depth + 1);
      if (Object.keys(inner).length > 0) ui[name] = inner;
    }
  }
  return ui;
}

/** The picking mode of a field of `kind` in a node whose parameters are `data`. */
export function modeFor(kind: PickKind, data: Record<string, unknown>): PickMode {
  if (kind === "items") return { kind: "items" };
  const item = data.item_selector;
  const within = kind === "in-item" && typeof item === "string" && item ? item : null;
  return { kind: "element", within };
}

/** `text` with its `{{name}}` variables replaced by their plain values (a variable is a value
 * or `{value, …}`); built-ins and unknown names stay as they are. */
export function expand(text: string, variables: Record<string, unknown> | undefined): string {
  return text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (whole, name: string) => {
    const found = variables?.[name];
    const value =
      typeof found === "object" && found !== null ? (found as { value?: unknown }).value : found;
    return typeof value === "string" || typeof value === "number" ? String(value) : whole;
  });
}
