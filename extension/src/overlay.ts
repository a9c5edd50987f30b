// What the extension draws over the page: the hovered element's outline and label, the
// outlines of every match with their count, the picker's panel, and the recording sign. All of it in one element's open
// shadow root (the page's styles do not reach in), styled by a constructed style sheet (no
// inline <style>, so a page's CSP does not block it); pointer events pass through the outlines.
import { HOST_TAG } from "./dom";
import { t } from "./strings";

const CSS = `
:host { all: initial; }
[hidden] { display: none !important; }
.box { position: fixed; pointer-events: none; box-sizing: border-box; z-index: 1; }
.hover { outline: 2px solid #1d4ed8; background: rgba(29, 78, 216, 0.08); }
.match { outline: 2px solid #16a34a; background: rgba(22, 163, 74, 0.10); }
.item { outline: 2px dashed #d97706; }
.label, .count { position: fixed; pointer-events: none; z-index: 2; font: 12px/1.4 system-ui, sans-serif;
  color: #fff; background: #1d4ed8; padding: 1px 6px; border-radius: 3px; white-space: nowrap;
  max-width: 60vw; overflow: hidden; text-overflow: ellipsis; }
.count { background: #16a34a; }
.rec { position: fixed; top: 8px; right: 8px; z-index: 3; pointer-events: none; font: 12px/1.4 system-ui, sans-serif;
  color: #fff; background: #dc2626; padding: 2px 8px; border-radius: 10px; }
.panel { position: fixed; right: 12px; bottom: 12px; z-index: 3; width: 340px; max-height: 70vh; overflow: auto;
  font: 13px/1.45 system-ui, sans-serif; color: #111827; background: #fff; border: 1px solid #d1d5db;
  border-radius: 8px; box-shadow: 0 8px 24px rgba(0, 0, 0, 0.18); padding: 10px 12px; }
.panel h2 { font-size: 14px; margin: 0 0 6px; }
.panel p { margin: 4px 0; }
.panel label { display: block; margin: 6px 0 2px; font-weight: 600; }
.panel select, .panel input { width: 100%; box-sizing: border-box; font: inherit; padding: 3px 4px; }
.panel button { font: inherit; margin: 8px 6px 0 0; padding: 4px 10px; border-radius: 4px;
  border: 1px solid #9ca3af; background: #f9fafb; cursor: pointer; }
.panel button.primary { background: #1d4ed8; color: #fff; border-color: #1d4ed8; }
.panel .note { color: #b45309; }
.panel .muted { color: #6b7280; }
.panel ul { margin: 4px 0; padding-left: 18px; }
`;

const MAX_OUTLINES = 300;

/** Make an element: `h("button", {className: "primary"}, "Add")`. Text goes in as text. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: Array<Node | string | null>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined) continue;
    if (name === "className") element.className = value;
    else element.setAttribute(name, value);
  }
  for (const child of children) if (child !== null) element.append(child);
  return element;
}

export class Overlay {
  readonly host: HTMLElement;
  readonly panel: HTMLElement;
  private readonly root: ShadowRoot;
  private readonly layer: HTMLElement;
  private readonly rec: HTMLElement;
  private hovered: Element | null = null;
  private hoverText = "";
  private matches: Element[] = [];
  private items: Element[] = [];
  private readonly redraw = () => this.draw();

  constructor() {
    this.host = document.createElement(HOST_TAG);
    this.root = this.host.attachShadow({ mode: "open" });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    this.root.adoptedStyleSheets = [sheet];
    this.layer = h("div");
    // focusable, to hold the focus when the control that had it is gone from a new render
    this.panel = h("div", { className: "panel", role: "dialog", "aria-label": t.picker.dialog, tabindex: "-1" });
    this.rec = h("div", { className: "rec", role: "status" }, t.picker.recording);
    this.root.append(this.layer, this.panel, this.rec);
    // after <body>: the path of every element of the page stays as it was
    document.documentElement.append(this.host);
    addEventListener("scroll", this.redraw, { capture: true, passive: true });
    addEventListener("resize", this.redraw, { passive: true });
  }

  remove(): void {
    removeEventListener("scroll", this.redraw, { capture: true });
    removeEventListener("resize", this.redraw);
    this.host.remove();
  }

  /** Show the picker's panel, or the sign that the page is being recorded. */
  show(panel: boolean, recording: boolean): void {
    this.panel.hidden = !panel;
    this.rec.hidden = !recording;
    if (!panel) {
      this.hovered = null;
      this.outline([]);
    }
  }

  /** Put `children` in the panel. The focus stays where it was: on the control of the same id
   * (a text field's caret too), else on the panel itself, so that a keyboard user going
   * through the panel is not sent back to the page's start by each render. */
  fill(children: Node[]): void {
    const active = this.root.activeElement;
    const inside = active !== null && this.panel.contains(active);
    const id = inside ? active.id : "";
    const caret = active instanceof HTMLInputElement ? [active.selectionStart, active.selectionEnd] : null;
    this.panel.replaceChildren(...children);
    if (!inside) return;
    const again = id ? this.root.getElementById(id) : null;
    if (!(again instanceof HTMLElement) || !this.panel.contains(again) || again.matches(":disabled")) return this.panel.focus();
    again.focus();
    if (caret && caret[0] !== null && again instanceof HTMLInputElement) again.setSelectionRange(caret[0], caret[1]);
  }

  hover(element: Element | null, text = ""): void {
    this.hovered = element;
    this.hoverText = text;
    this.draw();
  }

  /** Outline `matches` (the field's elements) and `items` (a list's items), with a count. */
  outline(matches: Element[], items: Element[] = []): void {
    this.matches = matches;
    this.items = items;
    this.draw();
  }

  private draw(): void {
    const boxes: HTMLElement[] = [];
    const place = (element: Element, className: string) => {
      const r = element.getBoundingClientRect();
      if (r.bottom < 0 || r.top > innerHeight || (r.width === 0 && r.height === 0)) return null;
      const box = h("div", { className: `box ${className}` });
      Object.assign(box.style, { left: `${r.left}px`, top: `${r.top}px`, width: `${r.width}px`, height: `${r.height}px` });
      boxes.push(box);
      return r;
    };
    for (const item of this.items.slice(0, MAX_OUTLINES)) place(item, "item");
    for (const match of this.matches.slice(0, MAX_OUTLINES)) place(match, "match");
    const counted = this.items.length > 0 ? this.items : this.matches;
    if (counted.length > 0) {
      const first = counted[0].getBoundingClientRect();
      const text = this.items.length > 0 ? t.picker.items(counted.length) : t.picker.matches(counted.length);
      const count = h("div", { className: "count" }, text);
      Object.assign(count.style, { left: `${Math.max(0, first.left)}px`, top: `${Math.max(0, first.top - 20)}px` });
      boxes.push(count);
    }
    if (this.hovered) {
      const r = place(this.hovered, "hover");
      if (r && this.hoverText) {
        const label = h("div", { className: "label" }, this.hoverText);
        const top = r.top > 22 ? r.top - 22 : r.bottom + 2;
        Object.assign(label.style, { left: `${Math.max(0, r.left)}px`, top: `${top}px` });
        boxes.push(label);
      }
    }
    this.layer.replaceChildren(...boxes);
  }
}
