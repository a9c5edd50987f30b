// The service worker: it keeps the draft and each tab's mode (chrome.storage.session, so they
// outlive the worker's restarts but not the browser's), injects the content script, asks the
// server for selectors, saves bots, and carries the web app bridge's requests and answers.
import { Api, ApiError, patternOf } from "./api";
import type { BotDetail } from "./api";
import type {
  Answer,
  BridgeRequest,
  Candidate,
  Connection,
  CurrentExtract,
  Draft,
  FieldPick,
  HelloAnswer,
  Recorded,
  Step,
  TabMode,
  Target,
  ToTab,
  ToWorker,
} from "./types";
import { CONNECTION, DRAFT, MODES } from "./types";
import { appended, newBot } from "./workflow";

const OFF: TabMode = { pick: false, record: false, bridge: null };
const NAVIGATION_WINDOW_MS = 15_000; // a click this recent caused the page load that followed
const SAVE_WAIT_MS = 15_000;
const BRIDGE_SCRIPT = "bridge";

// --- state ---------------------------------------------------------------------------------

async function connection(): Promise<Connection | null> {
  return ((await chrome.storage.local.get(CONNECTION))[CONNECTION] as Connection | undefined) ?? null;
}

async function api(): Promise<Api> {
  const found = await connection();
  if (!found) throw new Error("Not connected to a trawler server: open the extension's popup and connect.");
  return new Api(found.server, found.key);
}

function emptyDraft(): Draft {
  return { tabId: null, lastUrl: null, steps: [], secrets: {}, pending: 0 };
}

async function draft(): Promise<Draft> {
  return ((await chrome.storage.session.get(DRAFT))[DRAFT] as Draft | undefined) ?? emptyDraft();
}

async function modes(): Promise<Record<string, TabMode>> {
  return ((await chrome.storage.session.get(MODES))[MODES] as Record<string, TabMode> | undefined) ?? {};
}

let queue: Promise<unknown> = Promise.resolve();

/** Run `change` on the draft and the modes, one change at a time, in the order asked. */
function update<T>(change: (draft: Draft, modes: Record<string, TabMode>) => T | Promise<T>): Promise<T> {
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
function stepId(): string {
  return `${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

/** The draft's current extract (its last step), which picks add fields to. */
function currentExtract(current: Draft): CurrentExtract | null {
  const last = current.steps[current.steps.length - 1];
  return last?.kind === "extract" ? { item_selector: last.item_selector, fields: last.fields.map((f) => f.name) } : null;
}

// --- tabs ----------------------------------------------------------------------------------

async function tell(tabId: number, message: ToTab): Promise<void> {
  try {
    await chrome.tabs.sendMessage(tabId, message);
  } catch {
    // no content script there (yet): it asks for its mode when it starts
  }
}

async function badge(tabId: number, mode: TabMode): Promise<void> {
  const text = mode.record ? "REC" : mode.pick ? "PICK" : "";
  try {
    await chrome.action.setBadgeText({ tabId, text });
    await chrome.action.setBadgeBackgroundColor({ tabId, color: mode.record ? "#dc2626" : "#1d4ed8" });
    await chrome.action.setTitle({ tabId, title: mode.record ? "trawler: recording" : "trawler" });
  } catch {
    // the tab is gone
  }
}

/** The page is one the extension may not script (another site, no click on the toolbar
 * button yet): the badge asks for that click, and the popup then injects the script. */
async function blocked(tabId: number): Promise<void> {
  try {
    await chrome.action.setBadgeText({ tabId, text: "!" });
    await chrome.action.setTitle({ tabId, title: "trawler: click to go on picking or recording on this page" });
  } catch {
    // the tab is gone
  }
}

/** Put the content script into the tab (again: it then asks for its mode once more). */
async function inject(tabId: number): Promise<void> {
  await chrome.scripting.executeScript({ target: { tabId }, files: ["content.js"] });
}

async function setMode(tabId: number, change: Partial<TabMode>): Promise<TabMode> {
  const { mode, extract } = await update((current, tabs) => {
    const mode = { ...(tabs[tabId] ?? OFF), ...change };
    if (mode.pick || mode.record) tabs[tabId] = mode;
    else delete tabs[tabId];
    return { mode, extract: currentExtract(current) };
  });
  await badge(tabId, mode);
  await tell(tabId, { kind: "mode", mode, extract });
  return mode;
}

chrome.tabs.onUpdated.addListener((tabId, info) => {
  if (info.status !== "complete") return;
  void modes().then((tabs) => {
    const mode = tabs[tabId];
    if (mode && (mode.pick || mode.record)) {
      void badge(tabId, mode);
      inject(tabId).catch(() => void blocked(tabId));
    }
  });
});

chrome.tabs.onRemoved.addListener((tabId) => {
  void update((_, tabs) => {
    const bridge = tabs[tabId]?.bridge;
    delete tabs[tabId];
    return bridge;
  }).then((bridge) => {
    if (bridge) void answerBridge(bridge, null, "The tab to pick on was closed.");
  });
});

// --- what the content script reports --------------------------------------------------------

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
async function hello(tabId: number, url: string): Promise<HelloAnswer> {
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

async function record(tabId: number, url: string, action: Recorded): Promise<void> {
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

async function addField(tabId: number, url: string, field: FieldPick, itemSelector: string | null): Promise<CurrentExtract> {
  return update((current) => {
    if (current.steps.length === 0 || current.tabId !== tabId) visit(current, tabId, url);
    const last = current.steps[current.steps.length - 1];
    let extract = last?.kind === "extract" ? last : null;
    if (extract && extract.fields.length > 0 && extract.item_selector !== itemSelector) extract = null;
    if (!extract) {
      extract = { kind: "extract", id: stepId(), item_selector: itemSelector, fields: [] };
      current.steps.push(extract);
    }
    if (extract.fields.some((f) => f.name === field.name)) throw new Error(`A field named ${field.name} is there already.`);
    extract.item_selector = itemSelector;
    extract.fields.push(field);
    return currentExtract(current) as CurrentExtract;
  });
}

// --- saving --------------------------------------------------------------------------------

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

async function save(name: string): Promise<BotDetail> {
  const bot = await (await api()).create(name, newBot(name, await settled()));
  await saved();
  return bot;
}

async function append(botId: string): Promise<BotDetail> {
  const client = await api();
  const bot = await client.bot(botId);
  const updated = await client.update(botId, appended(bot.workflow, await settled()));
  await saved();
  return updated;
}

// --- the web app bridge --------------------------------------------------------------------

/** Let the bridge script run on the server's pages (and in those already open). */
async function registerBridge(): Promise<void> {
  const found = await connection();
  const registered = await chrome.scripting.getRegisteredContentScripts({ ids: [BRIDGE_SCRIPT] });
  if (registered.length > 0) await chrome.scripting.unregisterContentScripts({ ids: [BRIDGE_SCRIPT] });
  if (!found) return;
  const matches = [patternOf(found.server)];
  await chrome.scripting.registerContentScripts([
    { id: BRIDGE_SCRIPT, matches, js: ["bridge.js"], runAt: "document_start", persistAcrossSessions: true },
  ]);
  for (const tab of await chrome.tabs.query({ url: matches })) {
    if (tab.id !== undefined) {
      chrome.scripting.executeScript({ target: { tabId: tab.id }, files: ["bridge.js"] }).catch(() => undefined);
    }
  }
}

async function answerBridge(request: BridgeRequest, result: unknown, error: string | null): Promise<void> {
  await tell(request.replyTab, { kind: "bridge-result", requestId: request.requestId, result: result as never, error });
}

async function startBridge(replyTab: number, message: Extract<ToWorker, { kind: "bridge-start" }>): Promise<void> {
  const request: BridgeRequest = { requestId: message.requestId, mode: message.mode, within: message.within, replyTab };
  let tabId: number | undefined;
  if (message.url) {
    const url = new URL(message.url);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`not a web page: ${message.url}`);
    tabId = (await chrome.tabs.create({ url: url.href, active: true })).id;
  } else {
    tabId = (await draft()).tabId ?? undefined;
    if (tabId !== undefined) await chrome.tabs.update(tabId, { active: true });
  }
  if (tabId === undefined) throw new Error("No page to pick on: give the page's URL.");
  const id = tabId;
  await update((_, tabs) => void (tabs[id] = { pick: true, record: false, bridge: request }));
  await badge(id, { pick: true, record: false, bridge: request });
  // a page still loading gets the script when it has loaded (tabs.onUpdated)
  if ((await chrome.tabs.get(id)).status === "complete") await inject(id).catch(() => blocked(id));
}

async function selected(tabId: number, result: unknown): Promise<void> {
  const request = await update((_, tabs) => {
    const found = tabs[tabId]?.bridge ?? null;
    delete tabs[tabId];
    return found;
  });
  await badge(tabId, OFF);
  await tell(tabId, { kind: "mode", mode: OFF, extract: null });
  if (!request) return;
  await answerBridge(request, result, null);
  await chrome.tabs.update(request.replyTab, { active: true }).catch(() => undefined);
}

// --- messages ------------------------------------------------------------------------------

function fromPopup(sender: chrome.runtime.MessageSender): boolean {
  return sender.id === chrome.runtime.id && (sender.url ?? "").startsWith(chrome.runtime.getURL("popup.html"));
}

async function handle(message: ToWorker, sender: chrome.runtime.MessageSender): Promise<unknown> {
  const tabId = sender.tab?.id;
  const popup = fromPopup(sender);
  switch (message.kind) {
    case "hello":
      return tabId === undefined ? { mode: OFF, extract: null } : hello(tabId, message.url);
    case "suggest": {
      const question = message.path ? { path: message.path } : { examples: message.examples ?? [] };
      return (await api()).suggest(message.html, question);
    }
    case "record":
      if (tabId !== undefined && sender.url) await record(tabId, sender.url, message.action);
      return null;
    case "field":
      if (tabId === undefined || !sender.url) throw new Error("fields come from a tab");
      return addField(tabId, sender.url, message.field, message.item_selector);
    case "new-extract":
      return update((current) => {
        const last = current.steps[current.steps.length - 1];
        if (!(last?.kind === "extract" && last.fields.length === 0)) {
          current.steps.push({ kind: "extract", id: stepId(), item_selector: null, fields: [] });
        }
        return currentExtract(current);
      });
    case "selection":
      if (tabId !== undefined) await selected(tabId, message.result);
      return null;
    case "stop-pick": {
      if (tabId === undefined) return null;
      const bridge = (await modes())[tabId]?.bridge;
      await setMode(tabId, { pick: false, bridge: null });
      if (bridge) await answerBridge(bridge, null, "The pick was stopped.");
      return null;
    }
    case "bridge-origin":
      return (await connection())?.server ?? null;
    case "bridge-start": {
      const server = (await connection())?.server;
      if (tabId === undefined || !server || sender.origin !== server) throw new Error("not the connected server's page");
      await startBridge(tabId, message);
      return null;
    }
  }
  if (!popup) throw new Error(`${message.kind}: only the popup may ask this`);
  switch (message.kind) {
    case "start": {
      const mode = await setMode(message.tabId, {
        ...(message.pick !== undefined ? { pick: message.pick, bridge: null } : {}),
        ...(message.record !== undefined ? { record: message.record } : {}),
      });
      if (mode.pick || mode.record) await inject(message.tabId);
      return mode;
    }
    case "remove-step":
      return update((current) => void (current.steps = current.steps.filter((step) => step.id !== message.id)));
    case "clear":
      return update((current) => void Object.assign(current, emptyDraft()));
    case "save":
      return save(message.name);
    case "append":
      return append(message.botId);
    case "connected":
      return registerBridge();
  }
  throw new Error("unknown message");
}

chrome.runtime.onMessage.addListener((message: ToWorker, sender, reply: (answer: Answer<unknown>) => void) => {
  if (sender.id !== chrome.runtime.id) return false;
  handle(message, sender).then(
    (value) => reply({ ok: true, value }),
    (error: unknown) => reply({ ok: false, error: error instanceof ApiError || error instanceof Error ? error.message : String(error) }),
  );
  return true; // the answer comes later
});
