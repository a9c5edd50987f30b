// The service worker: it injects the content script into the tab being picked on or recorded,
// keeps the draft (drafting.ts), asks the server for selectors, saves bots, and carries the web
// app bridge's requests and answers. It answers the extension's own pages and scripts only.
import { ApiError, patternOf } from "./api";
import { addField, append, hello, record, save } from "./drafting";
import { api, connection, currentExtract, draft, emptyDraft, modes, OFF, stepId, update } from "./state";
import { t } from "./strings";
import type { Answer, BridgeRequest, TabMode, ToTab, ToWorker } from "./types";

const BRIDGE_SCRIPT = "bridge";

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
    await chrome.action.setTitle({ tabId, title: mode.record ? t.toolbar.recording : t.toolbar.idle });
  } catch {
    // the tab is gone
  }
}

/** The page is one the extension may not script (another site, no click on the toolbar
 * button yet): the badge asks for that click, and the popup then injects the script. */
async function blocked(tabId: number): Promise<void> {
  try {
    await chrome.action.setBadgeText({ tabId, text: "!" });
    await chrome.action.setTitle({ tabId, title: t.toolbar.blocked });
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
    if (bridge) void answerBridge(bridge, null, t.errors.tabClosed);
  });
});

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
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(t.errors.notWebPage(message.url));
    tabId = (await chrome.tabs.create({ url: url.href, active: true })).id;
  } else {
    tabId = (await draft()).tabId ?? undefined;
    if (tabId !== undefined) await chrome.tabs.update(tabId, { active: true });
  }
  if (tabId === undefined) throw new Error(t.errors.noPage);
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
      const within = message.within ? { within: message.within } : {};
      const question = message.path ? { path: message.path, ...within } : { examples: message.examples ?? [] };
      return (await api()).suggest(message.html, question);
    }
    case "record":
      if (tabId !== undefined && sender.url) await record(tabId, sender.url, message.action);
      return null;
    case "field":
      if (tabId === undefined || !sender.url) throw new Error(t.errors.fieldsFromTab);
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
      if (bridge) await answerBridge(bridge, null, t.errors.pickStopped);
      return null;
    }
    case "bridge-origin":
      return (await connection())?.server ?? null;
    case "bridge-start": {
      const server = (await connection())?.server;
      if (tabId === undefined || !server || sender.origin !== server) throw new Error(t.errors.notServerPage);
      await startBridge(tabId, message);
      return null;
    }
  }
  if (!popup) throw new Error(t.errors.popupOnly(message.kind));
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
  throw new Error(t.errors.unknownMessage);
}

chrome.runtime.onMessage.addListener((message: ToWorker, sender, reply: (answer: Answer<unknown>) => void) => {
  if (sender.id !== chrome.runtime.id) return false;
  handle(message, sender).then(
    (value) => reply({ ok: true, value }),
    (error: unknown) => reply({ ok: false, error: error instanceof ApiError || error instanceof Error ? error.message : String(error) }),
  );
  return true; // the answer comes later
});
