// What the extension's parts say to each other and keep: the draft of recorded steps and
// picks, the messages between the content script, the service worker and the popup, and the
// web app bridge's window messages.

/** The web app's messages to the extension (window.postMessage on the server's origin). */
export const TO_EXTENSION = "SCRAPER_WEBAPP_TO_EXTENSION";
/** The extension's answers to the web app. */
export const TO_WEBAPP = "SCRAPER_EXTENSION_TO_WEBAPP";

/** One element on the path from <html> down to a clicked element (the API's PathStep). */
export interface PathStep {
  tag: string;
  id: string | null;
  classes: string[];
  attributes: Record<string, string>;
  index: number;
  text: string | null;
}

/** A selector the server suggests (POST /selectors/suggest), most stable first. */
export interface Candidate {
  selector: string;
  kind: "css" | "xpath" | "playwright" | null;
  matches: number;
  unique: boolean;
  stability: number;
  reason: string;
}

/** What a pick from the web app's "pick with the extension" button returns. */
export interface SelectionResult {
  css: string | null;
  xpath: string | null;
  count: number;
  samples: string[];
}

/** What the web app asks a pick for: one element, a list's items, or an element inside the
 * items of `within` (an item selector). */
export type PickKind = "element" | "items";

export interface BridgeRequest {
  requestId: string;
  mode: PickKind;
  within: string | null;
  /** the tab of the web app that asked, which gets the answer */
  replyTab: number;
}

/** An extract field as the bot document has it. */
export interface FieldPick {
  name: string;
  selector: string | null;
  value: string;
  transforms: string[];
}

export type Step =
  | { kind: "navigate"; id: string; url: string }
  | { kind: "click"; id: string; selector: string; label: string; navigation: boolean; at: number }
  | { kind: "fill"; id: string; selector: string; text: string; secret: boolean; press: string | null }
  | { kind: "select"; id: string; selector: string; value: string }
  | { kind: "scroll"; id: string; mode: "by" | "bottom"; pixels: number }
  | { kind: "extract"; id: string; item_selector: string | null; fields: FieldPick[] };

/** The bot being recorded. Kept in chrome.storage.session (memory only): the values of the
 * secret variables are here until saved, and nowhere else. */
export interface Draft {
  tabId: number | null;
  lastUrl: string | null;
  steps: Step[];
  /** secret variables (the passwords typed while recording): name → value */
  secrets: Record<string, string>;
  /** steps whose selector the server has not ranked yet */
  pending: number;
}

/** What a tab's content script does. */
export interface TabMode {
  pick: boolean;
  record: boolean;
  bridge: BridgeRequest | null;
}

/** The current list of the draft (its last step, when an extract), for picks inside it. */
export interface CurrentExtract {
  item_selector: string | null;
  fields: string[];
}

/** An action the content script saw while recording. `path` and `html` let the service
 * worker ask the server for a stable selector; `fallback` is the one used if it cannot. */
export type Recorded =
  | { type: "click"; target: Target; label: string }
  | { type: "fill"; target: Target; text: string; secret: boolean; press: string | null }
  | { type: "select"; target: Target; value: string }
  | { type: "scroll"; mode: "by" | "bottom"; pixels: number };

export interface Target {
  path: PathStep[];
  html: string;
  fallback: string;
}

/** Messages to the service worker (chrome.runtime.sendMessage). */
export type ToWorker =
  | { kind: "hello"; url: string }
  | { kind: "suggest"; html: string; path?: PathStep[]; within?: string; examples?: PathStep[][] }
  | { kind: "record"; action: Recorded }
  | { kind: "field"; field: FieldPick; item_selector: string | null }
  | { kind: "new-extract" }
  | { kind: "selection"; result: SelectionResult }
  | { kind: "stop-pick" }
  | { kind: "start"; tabId: number; pick?: boolean; record?: boolean }
  | { kind: "remove-step"; id: string }
  | { kind: "clear" }
  | { kind: "save"; name: string }
  | { kind: "append"; botId: string }
  | { kind: "connected" }
  | { kind: "bridge-origin" }
  | { kind: "bridge-start"; requestId: string; url: string | null; mode: PickKind; within: string | null };

/** Messages to a tab's content scripts (chrome.tabs.sendMessage). */
export type ToTab =
  | { kind: "mode"; mode: TabMode; extract: CurrentExtract | null }
  | { kind: "bridge-result"; requestId: string; result: SelectionResult | null; error: string | null };

export interface HelloAnswer {
  mode: TabMode;
  extract: CurrentExtract | null;
}

/** Every answer of the service worker: a value, or what went wrong. */
export type Answer<T> = { ok: true; value: T } | { ok: false; error: string };

export interface Connection {
  server: string;
  key: string;
  email: string;
}

/** The storage keys. */
export const CONNECTION = "connection";
/** What the connect form held while Chrome asked for the server's permission (session only). */
export const CONNECTING = "connecting";
export const DRAFT = "draft";
export const MODES = "modes";
