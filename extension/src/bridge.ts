// The web app bridge: a content script on the connected server's pages only. The web app posts
// {type: SCRAPER_WEBAPP_TO_EXTENSION, action: "PING" | "START_SELECTION", requestId, url?,
// mode?, within?} to its own window; the answers come back the same way with the type
// SCRAPER_EXTENSION_TO_WEBAPP: PONG, then SELECTION_RESULT {css, xpath, count, samples} once the
// user has picked. A message from any other window or origin is ignored.
import { t } from "./strings";
import type { Answer, ToTab, ToWorker } from "./types";
import { TO_EXTENSION, TO_WEBAPP } from "./types";

declare global {
  interface Window {
    __trawlerBridge?: boolean;
  }
}

async function ask<T>(message: ToWorker): Promise<T> {
  const answer = (await chrome.runtime.sendMessage(message)) as Answer<T> | undefined;
  if (!answer) throw new Error(t.errors.noAnswer);
  if (!answer.ok) throw new Error(answer.error);
  return answer.value;
}

function start(): void {
  // the connected server's origin; this page's if it is that server, else null (and then the
  // bridge stays silent: the content script may match more than the server, ports aside)
  const server = ask<string | null>({ kind: "bridge-origin" }).then(
    (origin) => (origin === location.origin ? origin : null),
    () => null,
  );
  const reply = (origin: string, message: Record<string, unknown>) => window.postMessage({ type: TO_WEBAPP, ...message }, origin);

  addEventListener("message", (event: MessageEvent) => {
    const data: unknown = event.data;
    if (event.source !== window || typeof data !== "object" || data === null) return;
    const { type, action, requestId, url, mode, within } = data as Record<string, unknown>;
    if (type !== TO_EXTENSION || typeof requestId !== "string" || !requestId) return;
    void server.then((origin) => {
      if (!origin || event.origin !== origin) return;
      if (action === "PING") {
        reply(origin, { action: "PONG", requestId, version: chrome.runtime.getManifest().version });
      } else if (action === "START_SELECTION") {
        ask({
          kind: "bridge-start",
          requestId,
          url: typeof url === "string" && url ? url : null,
          mode: mode === "items" ? "items" : "element",
          within: typeof within === "string" && within ? within : null,
        }).catch((error: Error) => reply(origin, { action: "SELECTION_RESULT", requestId, result: null, error: error.message }));
      }
    });
  });

  chrome.runtime.onMessage.addListener((message: ToTab) => {
    if (message.kind !== "bridge-result") return;
    void server.then((origin) => {
      if (!origin) return;
      const error = message.error ? { error: message.error } : {};
      reply(origin, { action: "SELECTION_RESULT", requestId: message.requestId, result: message.result, ...error });
    });
  });
}

if (!window.__trawlerBridge) {
  window.__trawlerBridge = true;
  start();
}
