// Record mode: the user's clicks, typing, choices in drop-downs and scrolls, sent to the
// service worker in the order they happen, which turns them into workflow nodes. A password's
// value goes only to the service worker (it becomes a secret variable); nothing is logged.
import { isSecret, localSelector, pageHtml, pathOf, targetOf, textOf } from "./dom";
import type { Recorded, Target, ToWorker } from "./types";

type Post = (message: ToWorker) => void;

const ACTIONABLE = "a[href], button, input, select, textarea, label, summary, [role=button], [role=link], [role=tab], [role=menuitem], [onclick]";
const TEXT_TYPES = /^(text|email|search|tel|url|number|password|date|datetime-local|month|week|time)$/;
const SCROLL_PAUSE_MS = 600;
const SCROLL_MIN_PX = 200;

function typable(element: Element): element is HTMLInputElement | HTMLTextAreaElement {
  return element instanceof HTMLTextAreaElement || (element instanceof HTMLInputElement && TEXT_TYPES.test(element.type));
}

function target(element: Element): Target {
  return { path: pathOf(element), html: pageHtml(), fallback: localSelector(element) };
}

export class Recorder {
  private readonly typed = new Set<HTMLInputElement | HTMLTextAreaElement>();
  private scrollFrom: number | null = null;
  private scrollTimer: number | undefined;

  constructor(private readonly post: Post) {}

  private send(action: Recorded): void {
    this.post({ kind: "record", action });
  }

  /** Send what was typed into `only` (or into every input) and not sent yet. */
  flush(only?: Element, press: string | null = null): void {
    for (const input of [...this.typed]) {
      if (only && input !== only) continue;
      this.typed.delete(input);
      this.send({ type: "fill", target: target(input), text: input.value, secret: isSecret(input), press: only ? press : null });
    }
  }

  onClick(event: MouseEvent): void {
    const { element } = targetOf(event);
    if (!event.isTrusted || !element) return;
    this.flush();
    if (typable(element) || element instanceof HTMLSelectElement || element instanceof HTMLOptionElement) return;
    const actionable = element.closest(ACTIONABLE) ?? element;
    this.send({ type: "click", target: target(actionable), label: textOf(actionable, 40) });
  }

  onInput(event: Event): void {
    const { element } = targetOf(event);
    if (event.isTrusted && element && typable(element)) this.typed.add(element);
  }

  onChange(event: Event): void {
    const { element } = targetOf(event);
    if (!event.isTrusted || !element) return;
    if (element instanceof HTMLSelectElement) {
      this.flush();
      this.send({ type: "select", target: target(element), value: element.value });
    } else if (typable(element)) {
      this.flush(element);
    }
  }

  onKeyDown(event: KeyboardEvent): void {
    const { element } = targetOf(event);
    if (!event.isTrusted || event.key !== "Enter" || !element || !(element instanceof HTMLInputElement) || !typable(element)) return;
    this.typed.add(element);
    this.flush(element, "Enter");
  }

  onScroll(): void {
    if (this.scrollFrom === null) this.scrollFrom = scrollY;
    clearTimeout(this.scrollTimer);
    this.scrollTimer = window.setTimeout(() => {
      const from = this.scrollFrom ?? scrollY;
      this.scrollFrom = null;
      const pixels = Math.round(scrollY - from);
      const bottom = innerHeight + scrollY >= document.documentElement.scrollHeight - 4;
      if (bottom && pixels > 0) this.send({ type: "scroll", mode: "bottom", pixels: 0 });
      else if (Math.abs(pixels) >= SCROLL_MIN_PX) this.send({ type: "scroll", mode: "by", pixels });
    }, SCROLL_PAUSE_MS);
  }
}
