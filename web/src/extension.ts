// The trawler Chrome extension, seen from the web app: window.postMessage on this page, which
// the extension's bridge answers only on the server it is connected to.
const TO_EXTENSION = "SCRAPER_WEBAPP_TO_EXTENSION";
const TO_WEBAPP = "SCRAPER_EXTENSION_TO_WEBAPP";

export interface SelectionResult {
  css: string | null;
  xpath: string | null;
  count: number;
  samples: string[];
}

interface Answer {
  type: typeof TO_WEBAPP;
  action: "PONG" | "SELECTION_RESULT";
  requestId: string;
  version?: string;
  result?: SelectionResult | null;
  error?: string;
}

/** The extension's answer to `message`; null when none came in time or `signal` aborted. */
function ask(
  message: Record<string, unknown>,
  action: Answer["action"],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Answer | null> {
  const requestId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  return new Promise((resolve) => {
    const finish = (answer: Answer | null) => {
      removeEventListener("message", listen);
      signal?.removeEventListener("abort", abandon);
      clearTimeout(timer);
      resolve(answer);
    };
    const abandon = () => finish(null);
    const listen = (event: MessageEvent) => {
      const data = event.data as Partial<Answer> | null;
      if (event.source !== window || event.origin !== location.origin) return;
      if (data?.type === TO_WEBAPP && data.requestId === requestId && data.action === action) {
        finish(data as Answer);
      }
    };
    if (signal?.aborted) return resolve(null);
    addEventListener("message", listen);
    signal?.addEventListener("abort", abandon);
    const timer = setTimeout(abandon, timeoutMs);
    window.postMessage({ type: TO_EXTENSION, requestId, ...message }, location.origin);
  });
}

/** Whether the extension is installed and connected to this server (asked a few times: its
 * script may still be starting with the page). */
export async function extensionInstalled(): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await ask({ action: "PING" }, "PONG", 300)) return true;
  }
  return false;
}

/** Why a pick in the extension ended without a selector; `said` is the extension's reason. */
export type PickEndReason = "no_answer" | "cancelled" | "refused" | "no_selector";

export class PickEnded extends Error {
  constructor(
    readonly reason: PickEndReason,
    readonly said?: string,
  ) {
    super(said ?? reason);
  }
}

/** The user picks on `url` in a tab the extension opens; resolves when they use a selector.
 * `within`: an extract node's item selector, for a field inside each item. `signal`: the
 * page stops waiting (the builder closed, or a new pick began): it ends as "cancelled". */
export async function pickWithExtension(
  url: string,
  mode: "element" | "items",
  within: string | null,
  signal?: AbortSignal,
): Promise<SelectionResult> {
  const message = { action: "START_SELECTION", url, mode, ...(within ? { within } : {}) };
  const answer = await ask(message, "SELECTION_RESULT", 60 * 60_000, signal);
  if (signal?.aborted) throw new PickEnded("cancelled");
  if (!answer) throw new PickEnded("no_answer");
  if (!answer.result) throw new PickEnded(answer.error ? "refused" : "cancelled", answer.error);
  return answer.result;
}
