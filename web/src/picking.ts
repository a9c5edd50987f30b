// Pure logic of the selector picker: which page a node works on, where a click fell on the
// screenshot, and how a match's box is drawn over it.
import type { Workflow } from "./types";

/** A box on the screenshot: left, top, width, height as fractions of it. */
export type Box = [number, number, number, number];

export interface Point {
  x: number;
  y: number;
}

/** The URL of the nearest navigate before `nodeId` (itself included), walking edges back. */
export function pageUrl(workflow: Workflow, nodeId: string): string | null {
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

type Schema = { type?: unknown; properties?: Record<string, Schema>; items?: Schema };

/** A uiSchema giving every selector field of `schema` the picker widget, with its kind. */
export function pickerUi(schema: Schema, inItems = false): Record<string, unknown> {
  const ui: Record<string, unknown> = {};
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    if (SELECTOR.test(name) && (sub.type === "string" || sub.type === undefined)) {
      const kind: PickKind = name === "item_selector" ? "items" : inItems ? "in-item" : "element";
      ui[name] = { "ui:widget": "selector", "ui:options": { pick: kind } };
    } else if (sub.type === "array" && sub.items?.properties) {
      const inner = pickerUi(sub.items, inItems || name === "fields");
      if (Object.keys(inner).length > 0) ui[name] = { items: inner };
    } else if (sub.properties) {
      const inner = pickerUi(sub, inItems);
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
