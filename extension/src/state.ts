// The service worker's state: the connection (chrome.storage.local), the draft and each tab's
// mode (chrome.storage.session: they outlive the worker's restarts, not the browser's), changed
// one change at a time.
import { Api } from "./api";
import { t } from "./strings";
import type { Connection, CurrentExtract, Draft, TabMode } from "./types";
import { CONNECTION, DRAFT, MODES } from "./types";

export const OFF: TabMode = { pick: false, record: false, bridge: null };

export async function connection(): Promise<Connection | null> {
  return ((await chrome.storage.local.get(CONNECTION))[CONNECTION] as Connection | undefined) ?? null;
}

export async function api(): Promise<Api> {
  const found = await connection();
  if (!found) throw new Error(t.errors.notConnected);
  return new Api(found.server, found.key);
}

export function emptyDraft(): Draft {
  return { tabId: null, lastUrl: null, steps: [], secrets: {}, pending: 0 };
}

export async function draft(): Promise<Draft> {
  return ((await chrome.storage.session.get(DRAFT))[DRAFT] as Draft | undefined) ?? emptyDraft();
}

export async function modes(): Promise<Record<string, TabMode>> {
  return ((await chrome.storage.session.get(MODES))[MODES] as Record<string, TabMode> | undefined) ?? {};
}

let queue: Promise<unknown> = Promise.resolve();

/** Run `change` on the draft and the modes, one change at a time, in the order asked. */
export function update<T>(change: (draft: Draft, modes: Record<string, TabMode>) => T | Promise<T>): Promise<T> {
  const run = queue.then(async () => {
    const [current, tabs] = await Promise.all([draft(), modes()]);
    const result = await change(current, tabs);
    await chrome.storage.session.set({ [DRAFT]: current, [MODES]: tabs });
    return result;
  });
  queue = run.catch(() => undefined);
  return run;
}

let counter = 0;
export function stepId(): string {
  return `${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

/** The draft's current extract (its last step), which picks add fields to. */
export function currentExtract(current: Draft): CurrentExtract | null {
  const last = current.steps[current.steps.length - 1];
  return last?.kind === "extract" ? { item_selector: last.item_selector, fields: last.fields.map((f) => f.name) } : null;
}
