// The draft as a bot document: one node per recorded step in order, joined by edges; a
// password typed while recording is a secret variable the fill node refers to as {{name}}.
import type { Workflow } from "./api";
import { t } from "./strings";
import type { Draft, Step } from "./types";

type Node = Workflow["nodes"][number];

const ROW = 120; // the builder's vertical distance between nodes

function dataOf(step: Step): { type: string; data: Record<string, unknown> } {
  switch (step.kind) {
    case "navigate":
      return { type: "navigate", data: { url: step.url } };
    case "click":
      return {
        type: "click",
        data: {
          selector: step.selector,
          ...(step.navigation ? { wait_for: "navigation" } : {}),
          ...(step.label ? { label: t.nodes.clickLabel(step.label) } : {}),
        },
      };
    case "fill":
      return { type: "fill", data: { selector: step.selector, text: step.text, ...(step.press ? { press: step.press } : {}) } };
    case "select":
      return { type: "select", data: { selector: step.selector, value: step.value } };
    case "scroll":
      return { type: "scroll", data: step.mode === "bottom" ? { mode: "bottom" } : { mode: "by", pixels: step.pixels } };
    case "extract": {
      const fields = step.fields.map((field) => ({
        name: field.name,
        ...(field.selector ? { selector: field.selector } : {}),
        ...(field.value !== "text" ? { value: field.value } : {}),
        ...(field.transforms.length > 0 ? { transforms: field.transforms } : {}),
      }));
      return step.item_selector
        ? { type: "extract", data: { mode: "list", item_selector: step.item_selector, fields } }
        : { type: "extract", data: { mode: "single", fields } };
    }
  }
}

/** The nodes of the draft's steps (empty extracts left out), with ids not in `taken`. */
export function nodesOf(steps: Step[], taken: Set<string>, top = 0): Node[] {
  const nodes: Node[] = [];
  for (const step of steps) {
    if (step.kind === "extract" && step.fields.length === 0) continue;
    const { type, data } = dataOf(step);
    let id = type;
    for (let n = 2; taken.has(id); n++) id = `${type}-${n}`;
    taken.add(id);
    nodes.push({ id, type, position: { x: 0, y: top + nodes.length * ROW }, data });
  }
  return nodes;
}

function chain(nodes: Node[], after: string | null): Workflow["edges"] {
  const ids = after ? [after, ...nodes.map((node) => node.id)] : nodes.map((node) => node.id);
  return ids.slice(1).map((target, i) => ({ source: ids[i], target }));
}

/** The variables of the draft's secrets: `{value, secret: true}`. */
function secretsOf(draft: Draft): Record<string, unknown> {
  return Object.fromEntries(Object.entries(draft.secrets).map(([name, value]) => [name, { value, secret: true }]));
}

/** A new bot holding the draft. */
export function newBot(name: string, draft: Draft): Workflow {
  const nodes = nodesOf(draft.steps, new Set());
  if (nodes.length === 0) throw new Error(t.errors.nothingToSave);
  return { version: 1, name, settings: { renderer: "browser" }, variables: secretsOf(draft), nodes, edges: chain(nodes, null) };
}

/** The node the draft's nodes follow: the last node without a way out, else the last one. */
function lastOf(workflow: Workflow): string | null {
  const sources = new Set(workflow.edges.map((edge) => edge.source));
  const ends = workflow.nodes.filter((node) => !sources.has(node.id));
  return (ends[ends.length - 1] ?? workflow.nodes[workflow.nodes.length - 1])?.id ?? null;
}

/** `workflow` with the draft's nodes appended after its last node, and its secrets; a variable
 * of the bot with the same name keeps its own name and the draft's is renamed. */
export function appended(workflow: Workflow, draft: Draft): Workflow {
  const variables = { ...(workflow.variables ?? {}) };
  const renames = new Map<string, string>();
  for (const [name, value] of Object.entries(draft.secrets)) {
    let free = name;
    for (let n = 2; free in variables; n++) free = `${name}_${n}`;
    variables[free] = { value, secret: true };
    renames.set(name, free);
  }
  const steps = draft.steps.map((step) => {
    if (step.kind !== "fill" || !step.secret) return step;
    const name = /^\{\{(\w+)\}\}$/.exec(step.text)?.[1];
    return name && renames.has(name) ? { ...step, text: `{{${renames.get(name)}}}` } : step;
  });
  const bottom = Math.max(0, ...workflow.nodes.map((node) => node.position?.y ?? 0));
  const nodes = nodesOf(steps, new Set(workflow.nodes.map((node) => node.id)), bottom + ROW);
  if (nodes.length === 0) throw new Error(t.errors.nothingToSave);
  return { ...workflow, variables, nodes: [...workflow.nodes, ...nodes], edges: [...workflow.edges, ...chain(nodes, lastOf(workflow))] };
}
