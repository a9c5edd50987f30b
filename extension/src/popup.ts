// The popup: connect to a server, start picking or recording on the tab, see the draft, save
// it as a bot (or a new version of one), and run the bot's test on the server.
//
// It works on the active tab; opened as a page of its own with ?tab=ID, on that tab (the
// extension must then hold a host permission for the tab's site: activeTab is granted only
// by a click on the toolbar button).
import { Api, ApiError, originOf, patternOf } from "./api";
import type { Bot, BotDetail } from "./api";
import type { PopupText } from "./strings";
import { t } from "./strings";
import type { Answer, Connection, Draft, Step, TabMode, ToWorker } from "./types";
import { CONNECTING, CONNECTION, DRAFT, MODES } from "./types";

declare const __DEFAULT_SERVER__: string;

const RUN_WAIT_MS = 120_000;
const ROWS_SHOWN = 20;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** popup.html's data-t* attributes: where each of its texts goes (an attribute, or the text). */
const TEXTS: Array<[string, string | null]> = [
  ["data-t", null],
  ["data-t-label", "aria-label"],
  ["data-t-alt", "alt"],
  ["data-t-placeholder", "placeholder"],
];

/** Put popup.html's texts in from strings.ts. */
function fillTexts(): void {
  document.title = t.appName;
  for (const [data, attribute] of TEXTS) {
    for (const element of document.querySelectorAll(`[${data}]`)) {
      const text = t.popup.html[element.getAttribute(data) as PopupText];
      if (attribute) element.setAttribute(attribute, text);
      else element.textContent = text;
    }
  }
}

async function ask<T>(message: ToWorker): Promise<T> {
  const answer = (await chrome.runtime.sendMessage(message)) as Answer<T> | undefined;
  if (!answer) throw new Error(t.errors.noWorker);
  if (!answer.ok) throw new Error(answer.error);
  return answer.value;
}

function status(text: string): void {
  $("status").textContent = text;
}

async function targetTab(): Promise<chrome.tabs.Tab | null> {
  const given = new URLSearchParams(location.search).get("tab");
  if (given) return chrome.tabs.get(Number(given)).catch(() => null);
  const [active] = await chrome.tabs.query({ active: true, currentWindow: true });
  return active ?? null;
}

async function connection(): Promise<Connection | null> {
  return ((await chrome.storage.local.get(CONNECTION))[CONNECTION] as Connection | undefined) ?? null;
}

function describe(step: Step): string {
  switch (step.kind) {
    case "navigate":
      return t.steps.navigate(step.url);
    case "click":
      return t.steps.click(step.selector, step.label, step.navigation);
    case "fill":
      return t.steps.fill(step.selector, step.text, step.secret, step.press);
    case "select":
      return t.steps.select(step.selector, step.value);
    case "scroll":
      return step.mode === "bottom" ? t.steps.scrollBottom : t.steps.scrollBy(step.pixels);
    case "extract": {
      const fields = t.steps.fields(step.fields.map((f) => t.steps.field(f.name, f.selector)));
      return step.item_selector ? t.steps.extractList(step.item_selector, fields) : t.steps.extract(fields);
    }
  }
}

class Popup {
  private api: Api | null = null;
  private tab: chrome.tabs.Tab | null = null;
  private mode: TabMode = { pick: false, record: false, bridge: null };

  async start(): Promise<void> {
    this.tab = await targetTab();
    $("connect-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.connect();
    });
    $("pick").addEventListener("click", () => void this.toggle("pick"));
    $("record").addEventListener("click", () => void this.toggle("record"));
    $("clear").addEventListener("click", () => void this.run(() => ask({ kind: "clear" })));
    $("save").addEventListener("click", () => void this.save());
    $("append").addEventListener("click", () => void this.append());
    $("test").addEventListener("click", () => void this.test());
    $("disconnect").addEventListener("click", () => void this.disconnect());
    chrome.storage.session.onChanged.addListener((changes) => {
      if (DRAFT in changes || MODES in changes) void this.render();
    });
    const found = await connection();
    if (found) await this.connected(found);
    else await this.showConnect();
  }

  private async showConnect(): Promise<void> {
    $("connect").hidden = false;
    $("work").hidden = true;
    $("who").textContent = "";
    const typed = (await chrome.storage.session.get(CONNECTING))[CONNECTING] as { server: string; key: string } | undefined;
    const server = $<HTMLInputElement>("server");
    server.value ||= typed?.server ?? __DEFAULT_SERVER__;
    $<HTMLInputElement>("key").value ||= typed?.key ?? "";
  }

  private async connect(): Promise<void> {
    let origin: string;
    try {
      origin = originOf($<HTMLInputElement>("server").value);
    } catch (error) {
      return status((error as Error).message);
    }
    const origins = [patternOf(origin)];
    const key = $<HTMLInputElement>("key").value.trim();
    // kept in memory while Chrome asks: a popup that closes meanwhile finds them again
    void chrome.storage.session.set({ [CONNECTING]: { server: origin, key } });
    // asked in the click's handler (a user gesture): Chrome asks the user for this one origin,
    // or answers at once when it is granted already
    const granted = await chrome.permissions.request({ origins });
    if (!granted) return status(t.popup.needsAccess(origin));
    try {
      const user = await new Api(origin, key).me();
      const found: Connection = { server: origin, key, email: user.email };
      await chrome.storage.local.set({ [CONNECTION]: found });
      await chrome.storage.session.remove(CONNECTING);
      await ask({ kind: "connected" });
      $<HTMLInputElement>("key").value = "";
      status("");
      await this.connected(found);
    } catch (error) {
      status(error instanceof ApiError && error.status === 401 ? t.popup.keyRefused : (error as Error).message);
    }
  }

  private async connected(found: Connection): Promise<void> {
    this.api = new Api(found.server, found.key);
    $("connect").hidden = true;
    $("work").hidden = false;
    $("who").textContent = t.popup.who(found.email, found.server);
    $("page").textContent = this.tab ? t.popup.page(this.tab.title || this.tab.url || t.popup.tab(this.tab.id)) : t.popup.noTab;
    await Promise.all([this.render(), this.loadBots()]);
    // opened by a click on the toolbar button, the popup may script the tab (activeTab): a
    // pick or a recording the page could not get (another site) goes on there
    const tabId = this.tab?.id;
    if (tabId !== undefined && (this.mode.pick || this.mode.record)) {
      await ask({ kind: "start", tabId }).catch(() => undefined);
    }
  }

  private async disconnect(): Promise<void> {
    await chrome.storage.local.remove(CONNECTION);
    await ask({ kind: "connected" });
    this.api = null;
    await this.showConnect();
  }

  private async loadBots(select?: string): Promise<void> {
    if (!this.api) return;
    let bots: Bot[];
    try {
      bots = await this.api.bots();
    } catch (error) {
      return status((error as Error).message);
    }
    const list = $<HTMLSelectElement>("bots");
    const keep = select ?? list.value;
    list.replaceChildren(
      ...bots.map((bot) => {
        const option = document.createElement("option");
        option.value = bot.id;
        option.textContent = bot.name;
        return option;
      }),
    );
    if (bots.some((bot) => bot.id === keep)) list.value = keep;
    const none = bots.length === 0;
    $<HTMLButtonElement>("append").disabled = none;
    $<HTMLButtonElement>("test").disabled = none;
  }

  private async render(): Promise<void> {
    const session = await chrome.storage.session.get([DRAFT, MODES]);
    const draft = session[DRAFT] as Draft | undefined;
    const modes = (session[MODES] as Record<string, TabMode> | undefined) ?? {};
    this.mode = (this.tab?.id !== undefined && modes[this.tab.id]) || { pick: false, record: false, bridge: null };
    // toggles: one label each, aria-pressed (and the style it gets) says whether it is on
    $("pick").setAttribute("aria-pressed", String(this.mode.pick));
    $("record").setAttribute("aria-pressed", String(this.mode.record));
    const steps = draft?.steps ?? [];
    $("steps").replaceChildren(
      ...steps.map((step, i) => {
        const item = document.createElement("li");
        item.textContent = describe(step);
        const remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = t.popup.removeStep;
        remove.setAttribute("aria-label", t.popup.removeStepLabel(i + 1));
        remove.addEventListener("click", () => void this.run(() => ask({ kind: "remove-step", id: step.id })));
        item.append(remove);
        return item;
      }),
    );
    $("empty").hidden = steps.length > 0;
    $("pending").hidden = !draft?.pending;
  }

  private async run(action: () => Promise<unknown>): Promise<void> {
    try {
      status("");
      await action();
    } catch (error) {
      status((error as Error).message);
    }
  }

  private async toggle(which: "pick" | "record"): Promise<void> {
    const tabId = this.tab?.id;
    if (tabId === undefined) return status(t.popup.noTab);
    await this.run(() => ask({ kind: "start", tabId, [which]: !this.mode[which] }));
  }

  private async save(): Promise<void> {
    const name = $<HTMLInputElement>("name").value.trim();
    if (!name) return status(t.popup.nameTheBot);
    await this.run(async () => {
      const bot = await ask<BotDetail>({ kind: "save", name });
      await this.loadBots(bot.id);
      status(t.popup.saved(bot.name));
    });
  }

  private async append(): Promise<void> {
    const botId = $<HTMLSelectElement>("bots").value;
    if (!botId) return;
    await this.run(async () => {
      const bot = await ask<BotDetail>({ kind: "append", botId });
      status(t.popup.savedVersion(bot.current_version, bot.name));
    });
  }

  private async test(): Promise<void> {
    const api = this.api;
    const botId = $<HTMLSelectElement>("bots").value;
    if (!api || !botId) return;
    const button = $<HTMLButtonElement>("test");
    button.disabled = true;
    $("result").hidden = false;
    $("run-status").textContent = t.popup.running;
    $("rows").replaceChildren();
    $("shot").hidden = true;
    try {
      const run = await api.test(botId);
      let { status: state, error, rows } = run;
      if (!run.finished) {
        const deadline = Date.now() + RUN_WAIT_MS;
        while (["queued", "running"].includes(state) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          ({ status: state, error } = await api.execution(run.execution_id));
        }
        rows = await api.rows(run.execution_id);
      }
      $("run-status").textContent = t.popup.ran(state, rows.length, error);
      this.showRows(rows);
      const shot = await api.screenshot(run.execution_id).catch(() => null);
      if (shot) {
        const image = $<HTMLImageElement>("shot");
        image.src = URL.createObjectURL(shot);
        image.hidden = false;
      }
    } catch (error) {
      $("run-status").textContent = (error as Error).message;
    } finally {
      button.disabled = false;
    }
  }

  private showRows(rows: Array<Record<string, unknown>>): void {
    const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
    const line = (cells: string[], tag: "th" | "td") => {
      const tr = document.createElement("tr");
      for (const text of cells) {
        const cell = document.createElement(tag);
        cell.textContent = text;
        tr.append(cell);
      }
      return tr;
    };
    const text = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value) ?? "");
    $("rows").replaceChildren(
      line(columns, "th"),
      ...rows.slice(0, ROWS_SHOWN).map((row) => line(columns.map((c) => text(row[c])), "td")),
    );
  }
}

fillTexts();
void new Popup().start();
