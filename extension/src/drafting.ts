// The draft as the content script reports on it: the pages the tab visits, the recorded
// actions (each element's selector ranked by the server afterwards) and the picked fields; and
// saving it as a new bot or as a new version of one.
import type { BotDetail } from "./api";
import { api, currentExtract, draft, emptyDraft, OFF, stepId, update } from "./state";
import { t } from "./strings";
import type { Candidate, CurrentExtract, Draft, FieldPick, HelloAnswer, Recorded, Step, Target } from "./types";
import { appended, newBot } from "./workflow";

const NAVIGATION_WINDOW_MS = 15_000; // a click this recent caused the page load that followed
const SAVE_WAIT_MS = 15_000;

/** The draft is on `url` of the tab: its first step opens it; a new page after a recent click
 * is where that click led, else a navigate step of its own. */
function visit(current: Draft, tabId: number, url: string): void {
  if (current.steps.length === 0) {
    current.steps.push({ kind: "navigate", id: stepId(), url });
  } else if (url !== current.lastUrl) {
    const last = current.steps[current.steps.length - 1];
    if (last.kind === "click" && Date.now() - last.at < NAVIGATION_WINDOW_MS && !last.navigation) last.navigation = true;
    else if (!(last.kind === "fill" && last.press)) current.steps.push({ kind: "navigate", id: stepId(), url });
  }
  current.tabId = tabId;
  current.lastUrl = url;
}

/** A page of the tab loaded (or the content script was injected again). */
export async function hello(tabId: number, url: string): Promise<HelloAnswer> {
  return update((current, tabs) => {
    const mode = tabs[tabId] ?? OFF;
    if ((mode.pick || mode.record) && !mode.bridge) visit(current, tabId, url);
    return { mode, extract: mode.bridge ? null : currentExtract(current) };
  });
}

function best(candidates: Candidate[]): string | null {
  const unique = candidates.filter((c) => c.unique);
  return (unique.find((c) => c.kind === "css") ?? unique[0])?.selector ?? null;
}

/** Ask the server for a stable selector of a recorded step's element; the step keeps its
 * fallback if it cannot answer. */
async function rank(id: string, target: Target): Promise<void> {
  let selector: string | null = null;
  try {
    selector = best(await (await api()).suggest(target.html, { path: target.path }));
  } catch {
    // the fallback stays
  }
  await update((current) => {
    current.pending = Math.max(0, current.pending - 1);
    const step = current.steps.find((s) => s.id === id);
    if (step && selector && "selector" in step) step.selector = selector;
  });
}

function secretName(current: Draft, selector: string): string {
  const base = /pass/i.test(selector) ? "password" : "secret";
  let name = base;
  for (let n = 2; name in current.secrets; n++) name = `${base}_${n}`;
  return name;
}

export async function record(tabId: number, url: string, action: Recorded): Promise<void> {
  const ranked = await update((current, tabs) => {
    if (!tabs[tabId]?.record) return null;
    if (current.steps.length === 0 || current.tabId !== tabId) visit(current, tabId, url);
    const id = stepId();
    let step: Step;
    if (action.type === "scroll") {
      current.steps.push({ kind: "scroll", id, mode: action.mode, pixels: action.pixels });
      return null;
    }
    const selector = action.target.fallback;
    if (action.type === "click") {
      step = { kind: "click", id, selector, label: action.label, navigation: false, at: Date.now() };
    } else if (action.type === "select") {
      step = { kind: "select", id, selector, value: action.value };
    } else {
      let text = action.text;
      if (action.secret) {
        const name = secretName(current, selector);
        current.secrets[name] = action.text;
        text = `{{${name}}}`;
      }
      step = { kind: "fill", id, selector, text, secret: action.secret, press: action.press };
    }
    current.steps.push(step);
    current.pending += 1;
    return { id, target: action.target };
  });
  if (ranked) void rank(ranked.id, ranked.target);
}

export async function addField(tabId: number, url: string, field: FieldPick, itemSelector: string | null): Promise<CurrentExtract> {
  return update((current) => {
    if (current.steps.length === 0 || current.tabId !== tabId) visit(current, tabId, url);
    const last = current.steps[current.steps.length - 1];
    let extract = last?.kind === "extract" ? last : null;
    if (extract && extract.fields.length > 0 && extract.item_selector !== itemSelector) extract = null;
    if (!extract) {
      extract = { kind: "extract", id: stepId(), item_selector: itemSelector, fields: [] };
      current.steps.push(extract);
    }
    if (extract.fields.some((f) => f.name === field.name)) throw new Error(t.errors.fieldTaken(field.name));
    extract.item_selector = itemSelector;
    extract.fields.push(field);
    return currentExtract(current) as CurrentExtract;
  });
}

/** The draft once every step's selector is ranked (or the wait is over). */
async function settled(): Promise<Draft> {
  const deadline = Date.now() + SAVE_WAIT_MS;
  for (;;) {
    const current = await draft();
    if (current.pending === 0 || Date.now() > deadline) return current;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Saved: the draft is empty again (its next step opens the page it is on), secrets forgotten. */
async function saved(): Promise<void> {
  await update((current) => void Object.assign(current, emptyDraft()));
}

export async function save(name: string): Promise<BotDetail> {
  const bot = await (await api()).create(name, newBot(name, await settled()));
  await saved();
  return bot;
}

export async function append(botId: string): Promise<BotDetail> {
  const client = await api();
  const bot = await client.bot(botId);
  const updated = await client.update(botId, appended(bot.workflow, await settled()));
  await saved();
  return updated;
}
