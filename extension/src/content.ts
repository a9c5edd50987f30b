// The content script the service worker injects into the tab being picked on or recorded
// (chrome.scripting, top frame only). Injected again into the same page, it only asks the
// service worker for its mode again.
import { Overlay } from "./overlay";
import { Picker } from "./picker";
import { Recorder } from "./recorder";
import { t } from "./strings";
import type { Answer, CurrentExtract, HelloAnswer, TabMode, ToTab, ToWorker } from "./types";
import { HOST_TAG } from "./dom";

declare global {
  interface Window {
    __trawlerContent?: { hello(): void };
  }
}

async function send<T>(message: ToWorker): Promise<T> {
  const answer = (await chrome.runtime.sendMessage(message)) as Answer<T> | undefined;
  if (!answer) throw new Error(t.errors.noAnswer);
  if (!answer.ok) throw new Error(answer.error);
  return answer.value;
}

function start(): void {
  let mode: TabMode = { pick: false, record: false, bridge: null };
  let overlay: Overlay | null = null;
  let picker: Picker | null = null;
  const recorder = new Recorder((message) => void chrome.runtime.sendMessage(message));

  const apply = (next: TabMode, extract: CurrentExtract | null) => {
    mode = next;
    if (!mode.pick && !mode.record) {
      overlay?.remove();
      overlay = picker = null;
      return;
    }
    overlay ??= new Overlay();
    overlay.show(mode.pick, mode.record && !mode.pick);
    if (mode.pick) {
      picker ??= new Picker(overlay, send);
      picker.context(extract, mode.bridge);
    } else {
      picker = null;
    }
  };
  const inPicker = (event: Event) => event.composedPath().some((n) => n instanceof Element && n.tagName.toLowerCase() === HOST_TAG);

  // Picking: the page never sees the pointer's presses; a click picks.
  const block = (event: Event) => {
    if (!mode.pick || inPicker(event)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
  };
  for (const type of ["mousedown", "mouseup", "pointerdown", "pointerup", "dblclick", "auxclick", "submit"]) {
    addEventListener(type, block, true);
  }
  addEventListener(
    "click",
    (event) => {
      if (mode.pick) {
        if (inPicker(event)) return;
        block(event);
        if (event.isTrusted) void picker?.onClick(event);
      } else if (mode.record) {
        recorder.onClick(event);
      }
    },
    true,
  );
  addEventListener("mouseover", (event) => mode.pick && picker?.onMove(event), true);
  addEventListener("input", (event) => mode.record && !mode.pick && recorder.onInput(event), true);
  addEventListener("change", (event) => mode.record && !mode.pick && recorder.onChange(event), true);
  addEventListener(
    "keydown",
    (event) => {
      if (mode.pick && event.key === "Escape") picker?.escape();
      else if (mode.record && !mode.pick) recorder.onKeyDown(event);
    },
    true,
  );
  addEventListener("scroll", () => mode.record && !mode.pick && recorder.onScroll(), { passive: true });
  addEventListener("pagehide", () => mode.record && recorder.flush());

  chrome.runtime.onMessage.addListener((message: ToTab) => {
    if (message.kind === "mode") apply(message.mode, message.extract);
  });
  const hello = () => {
    send<HelloAnswer>({ kind: "hello", url: location.href }).then(
      (answer) => apply(answer.mode, answer.extract),
      () => apply({ pick: false, record: false, bridge: null }, null),
    );
  };
  window.__trawlerContent = { hello };
  hello();
}

if (window.__trawlerContent) window.__trawlerContent.hello();
else start();
