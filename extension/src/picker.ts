// The picker: a click selects an element and the server ranks selectors for it; a second
// click on a sibling item makes a list (the item selector, and the field inside each item);
// the panel names the field and chooses what to read, and every match is outlined.
import { firstIn, generated, localSelector, matchesOf, pageHtml, pathOf, selectorsWithin, targetOf, textOf } from "./dom";
import { h, Overlay } from "./overlay";
import { t } from "./strings";
import type { BridgeRequest, Candidate, CurrentExtract, FieldPick, PathStep, SelectionResult, ToWorker } from "./types";

export type Send = <T>(message: ToWorker) => Promise<T>;
type ValueKind = "text" | "link" | "attr";

interface Pick {
  element: Element;
  /** the server's selectors for the element itself */
  own: Candidate[];
  chosen: number;
  /** a list made by two clicks: its item selectors */
  items: Candidate[] | null;
  itemChosen: number;
  /** the field's selectors inside an item; null when the field is the item itself */
  within: Array<string | null>;
  withinChosen: number;
  name: string;
  value: ValueKind;
  attribute: string;
}

const SAMPLES = 5;

function nameFor(element: Element, taken: string[]): string {
  const word =
    [...element.classList].find((name) => !generated(name) && /^[a-z][\w-]*$/i.test(name)) ??
    (element.id && !generated(element.id) ? element.id : null) ??
    (element.getAttribute("name") || element.tagName.toLowerCase());
  const base = word.replace(/[^\w]+/g, "_").replace(/^_+|_+$/g, "").toLowerCase() || "field";
  let name = base;
  for (let n = 2; taken.includes(name); n++) name = `${base}_${n}`;
  return name;
}

function valueOf(kind: ValueKind, attribute: string): string {
  return kind === "text" ? "text" : kind === "link" ? "attr:href" : `attr:${attribute}`;
}

function read(element: Element, kind: ValueKind, attribute: string): string {
  if (kind === "text") return textOf(element);
  return element.getAttribute(kind === "link" ? "href" : attribute) ?? "";
}

export class Picker {
  private pick: Pick | null = null;
  private list: string | null = null;
  private fields: string[] = [];
  private note: string | null = null;
  private bridge: BridgeRequest | null = null;
  private hovered: Element | null = null;
  private seq = 0;

  constructor(
    private readonly overlay: Overlay,
    private readonly send: Send,
  ) {}

  /** The draft's current list (picks go inside its items) and the web app's request, if any. */
  context(extract: CurrentExtract | null, bridge: BridgeRequest | null): void {
    this.bridge = bridge;
    this.list = bridge ? bridge.within : (extract?.item_selector ?? null);
    this.fields = bridge ? [] : (extract?.fields ?? []);
    this.render();
  }

  onMove(event: MouseEvent): void {
    const { element, shadow } = targetOf(event);
    if (element === this.hovered) return;
    this.hovered = element;
    if (!element) return this.overlay.hover(null);
    const tag = element.tagName.toLowerCase();
    const text = tag === "iframe" || tag === "frame" ? t.picker.hoverFrame(tag) : t.picker.hover(tag, localSelector(element), shadow);
    this.overlay.hover(element, text);
  }

  async onClick(event: MouseEvent): Promise<void> {
    const { element, shadow } = targetOf(event);
    if (!element) return;
    const tag = element.tagName.toLowerCase();
    if (tag === "iframe" || tag === "frame") {
      return this.say(t.picker.frame);
    }
    this.note = shadow ? t.picker.shadowHost(tag) : null;
    const seq = ++this.seq;
    const pick = this.pick;
    const apart = pick !== null && pick.element !== element && !pick.element.contains(element) && !element.contains(pick.element);
    try {
      if (this.bridge?.mode === "items") {
        // each click is an item: one, then a second one to say which list
        if (pick && apart) await this.toList(pick, element, seq);
        else await this.single(element, seq);
      } else if (pick?.items) {
        // a list not added yet: a click inside its items is the field, elsewhere a new pick
        const inside = matchesOf(this.itemSelector() ?? "").some((item) => item.contains(element));
        if (inside) await this.inList(element, seq, pick);
        else await this.single(element, seq);
      } else if (this.list) {
        await this.inList(element, seq, null);
      } else if (pick && apart && pick.element.tagName === element.tagName && !this.bridge) {
        await this.toList(pick, element, seq);
      } else {
        await this.single(element, seq);
      }
    } catch (error) {
      if (seq !== this.seq) return;
      const current = this.pick;
      if (current && current.own.length === 0 && !this.itemSelector()) current.own = [local(current.element)];
      this.say(t.picker.serverFailed((error as Error).message));
    }
  }

  private async suggest(question: { path: PathStep[]; within?: string } | { examples: PathStep[][] }) {
    return this.send<Candidate[]>({ kind: "suggest", html: pageHtml(), ...question });
  }

  private async single(element: Element, seq: number): Promise<void> {
    this.pick = this.fresh(element, [], null);
    this.render();
    let own: Candidate[];
    if (this.bridge?.mode === "items") {
      const items = await this.suggest({ examples: [pathOf(element)] });
      if (seq !== this.seq) return;
      if (items.length > 0) return this.withItems(this.fresh(element, [], items), seq);
      own = [];
    } else {
      own = await this.suggest({ path: pathOf(element) });
    }
    if (seq !== this.seq) return;
    if (own.length === 0) own = [local(element)];
    this.pick = this.fresh(element, own, null);
    this.render();
  }

  private async toList(pick: Pick, second: Element, seq: number): Promise<void> {
    const items = await this.suggest({ examples: [pathOf(pick.element), pathOf(second)] });
    if (seq !== this.seq) return;
    if (items.length === 0) {
      this.note = t.picker.notAList;
      return this.single(second, seq);
    }
    await this.withItems({ ...pick, items, itemChosen: 0 }, seq);
  }

  private async withItems(pick: Pick, seq: number): Promise<void> {
    this.pick = pick;
    this.render();
    await this.relate(seq);
    this.render();
  }

  /** A field inside the items of the draft's list, or of `listed`'s list (not added yet). */
  private async inList(element: Element, seq: number, listed: Pick | null): Promise<void> {
    const list = listed ? this.itemSelector() : this.list;
    const items = list ? matchesOf(list) : [];
    if (!list || !items.some((item) => item.contains(element))) {
      return this.say(t.picker.outsideList(items.length, list));
    }
    const carried = { items: listed?.items ?? null, itemChosen: listed?.itemChosen ?? 0 };
    this.pick = { ...this.fresh(element, [], null), ...carried };
    this.render();
    await this.relate(seq);
    this.render();
  }

  private fresh(element: Element, own: Candidate[], items: Candidate[] | null): Pick {
    const taken = this.fields;
    return { element, own, chosen: 0, items, itemChosen: 0, within: [], withinChosen: 0, name: nameFor(element, taken), value: "text", attribute: "href" };
  }

  /** The field's selectors inside the item holding the picked element: the server's, as an
   * extract node reads fields (POST /selectors/suggest with `within`); else computed here from
   * its selectors for the element (a server without `within`, or one that cannot answer). */
  private async relate(seq: number): Promise<void> {
    const pick = this.pick;
    const list = this.itemSelector();
    if (!pick || !list) return;
    pick.within = [];
    pick.withinChosen = 0;
    const items = matchesOf(list);
    const item = items.find((candidate) => candidate.contains(pick.element));
    if (!item) return this.say(t.picker.itemMismatch);
    if (item === pick.element) {
      pick.within = [null];
      return;
    }
    const finds = (selector: string) => firstIn(item, selector) === pick.element;
    let within: string[] = [];
    try {
      const ranked = await this.suggest({ path: pathOf(pick.element), within: list });
      within = ranked.map((candidate) => candidate.selector).filter(finds);
    } catch {
      // computed here instead
    }
    if (within.length === 0) {
      if (pick.own.length === 0) pick.own = await this.suggest({ path: pathOf(pick.element) }).catch(() => [local(pick.element)]);
      within = selectorsWithin(item, pick.element, items, pick.own);
    }
    if (seq !== this.seq || this.pick !== pick) return;
    pick.within = within;
    if (within.length === 0) this.note = t.picker.notWithin;
  }

  private itemSelector(): string | null {
    const pick = this.pick;
    if (pick?.items) return pick.items[pick.itemChosen]?.selector ?? null;
    return this.list;
  }

  private say(note: string): void {
    this.note = note;
    this.render();
  }

  /** The field to save, and the elements it reads (in items when a list). */
  private current(): { field: FieldPick | null; items: Element[]; matches: Element[]; list: string | null } {
    const pick = this.pick;
    const list = this.itemSelector();
    if (!pick) return { field: null, items: list ? matchesOf(list) : [], matches: [], list };
    const value = valueOf(pick.value, pick.attribute);
    const transforms = pick.value === "link" ? ["absolute_url"] : [];
    if (list) {
      const items = matchesOf(list);
      if (pick.within.length === 0) return { field: null, items, matches: [], list };
      const selector = pick.within[pick.withinChosen] ?? null;
      const matches = items
        .map((item) => firstIn(item, selector))
        .filter((found): found is Element => found !== null);
      return { field: { name: pick.name, selector, value, transforms }, items, matches, list };
    }
    const chosen = pick.own[pick.chosen];
    if (!chosen) return { field: null, items: [], matches: [], list: null };
    return { field: { name: pick.name, selector: chosen.selector, value, transforms }, items: [], matches: matchesOf(chosen.selector), list: null };
  }

  private async add(): Promise<void> {
    const { field, list } = this.current();
    const pick = this.pick;
    if (!field || !pick) return;
    if (!pick.name.trim()) return this.say(t.picker.nameTheField);
    try {
      const extract = await this.send<CurrentExtract>({ kind: "field", field: { ...field, name: pick.name.trim() }, item_selector: list });
      this.pick = null;
      this.note = null;
      this.context(extract, null);
    } catch (error) {
      this.say((error as Error).message);
    }
  }

  private async use(): Promise<void> {
    const { field, matches, items, list } = this.current();
    const pick = this.pick;
    if (!pick || !this.bridge) return;
    let result: SelectionResult;
    if (this.bridge.mode === "items" && pick.items) {
      const chosen = pick.items[pick.itemChosen];
      result = {
        css: chosen.kind === "xpath" ? null : chosen.selector,
        xpath: xpathOf(chosen.kind === "xpath" ? [chosen] : pick.items),
        count: items.length,
        samples: items.slice(0, SAMPLES).map((item) => textOf(item)),
      };
    } else if (list) {
      // relative to the item: the chosen selector, and the best XPath among the choices
      const chosen = field?.selector ?? null;
      const xpath = [chosen, ...pick.within].find((s): s is string => !!s && s.startsWith("xpath:")) ?? null;
      result = {
        css: chosen && !chosen.startsWith("xpath:") ? chosen : null,
        xpath: xpath ? xpath.slice("xpath:".length) : null,
        count: matches.length,
        samples: matches.slice(0, SAMPLES).map((m) => textOf(m)),
      };
    } else {
      const chosen = pick.own[pick.chosen];
      result = {
        css: chosen && chosen.kind !== "xpath" ? chosen.selector : null,
        xpath: xpathOf(chosen?.kind === "xpath" ? [chosen] : pick.own),
        count: matches.length,
        samples: matches.slice(0, SAMPLES).map((m) => textOf(m)),
      };
    }
    await this.send({ kind: "selection", result });
  }

  render(): void {
    const { field, items, matches } = this.current();
    this.overlay.outline(matches, items);
    const pick = this.pick;
    const panel: Node[] = [h("h2", {}, this.bridge ? t.picker.titleForWebApp : t.picker.title)];
    if (this.note) panel.push(h("p", { className: "note", role: "status" }, this.note));
    if (!pick) {
      panel.push(
        h(
          "p",
          {},
          this.list ? t.picker.clickInItems(items.length) : this.bridge?.mode === "items" ? t.picker.clickItems : t.picker.clickElement,
        ),
      );
      if (this.fields.length > 0) panel.push(h("p", { className: "muted" }, t.picker.fields(this.fields)));
      const buttons: Node[] = [];
      if (!this.bridge && (this.list || this.fields.length > 0)) buttons.push(this.button("new-extract", t.picker.newExtract, () => void this.newExtract()));
      buttons.push(this.button("stop", t.picker.stop, () => void this.send({ kind: "stop-pick" })));
      panel.push(h("div", {}, ...buttons));
      this.overlay.fill(panel);
      return;
    }
    if (pick.own.length === 0 && pick.within.length === 0 && !pick.items) {
      panel.push(h("p", { className: "muted" }, t.picker.asking));
    }
    if (pick.items) {
      panel.push(this.choice("items", t.picker.itemsChoice, pick.items.map((c) => `${c.selector}  (${c.matches})`), pick.itemChosen, (i) => {
        pick.itemChosen = i;
        void this.relate(++this.seq).then(() => this.render());
      }));
    }
    if (this.itemSelector()) {
      if (pick.within.length > 0 && !(this.bridge?.mode === "items")) {
        panel.push(this.choice("field-in-each-item", t.picker.within, pick.within.map((s) => s ?? t.picker.theItem), pick.withinChosen, (i) => (pick.withinChosen = i)));
        panel.push(h("p", { className: "muted" }, t.picker.foundIn(matches.length, items.length)));
      }
    } else if (pick.own.length > 0) {
      panel.push(this.choice("selector", t.picker.selector, pick.own.map((c) => `${c.selector}  (${c.matches})`), pick.chosen, (i) => (pick.chosen = i)));
    }
    const samples = (this.bridge?.mode === "items" ? items : matches).slice(0, 3).map((m) => read(m, pick.value, pick.attribute));
    if (samples.length > 0) panel.push(h("p", { className: "muted" }, t.picker.samples(samples)));
    if (!this.bridge) {
      const name = h("input", { id: "trawler-name", value: pick.name });
      name.addEventListener("input", () => (pick.name = name.value));
      panel.push(h("label", { for: "trawler-name" }, t.picker.name), name);
      const kinds: ValueKind[] = ["text", "link", "attr"];
      panel.push(this.choice("value", t.picker.value, kinds.map((kind) => t.picker.values[kind]), kinds.indexOf(pick.value), (i) => (pick.value = kinds[i])));
      if (pick.value === "attr") {
        const names = [...pick.element.attributes].map((a) => a.name).filter((n) => n !== "class" && n !== "style");
        if (!names.includes(pick.attribute)) pick.attribute = names[0] ?? "title";
        panel.push(this.choice("attribute", t.picker.attribute, names, Math.max(0, names.indexOf(pick.attribute)), (i) => (pick.attribute = names[i])));
      }
    }
    const buttons: Node[] = [];
    if (this.bridge) buttons.push(this.button("use", t.picker.use, () => void this.use(), true, !field && !pick.items));
    else buttons.push(this.button("add", t.picker.add, () => void this.add(), true, !field));
    buttons.push(this.button("cancel", t.picker.cancel, () => this.cancel()));
    panel.push(h("div", {}, ...buttons));
    if (!pick.items && !this.itemSelector() && this.bridge?.mode !== "element") {
      panel.push(h("p", { className: "muted" }, t.picker.makeList));
    }
    this.overlay.fill(panel);
  }

  /** Escape: drop the element picked, or stop picking when none is. */
  escape(): void {
    if (this.pick) this.cancel();
    else void this.send({ kind: "stop-pick" });
  }

  private cancel(): void {
    this.pick = null;
    this.note = null;
    this.render();
  }

  private async newExtract(): Promise<void> {
    const extract = await this.send<CurrentExtract | null>({ kind: "new-extract" });
    this.pick = null;
    this.context(extract, null);
  }

  /** A button of the panel; `key` makes its id (the same in every render). */
  private button(key: string, label: string, onClick: () => void, primary = false, disabled = false): HTMLButtonElement {
    const button = h("button", { id: `trawler-${key}`, type: "button", className: primary ? "primary" : "" }, label);
    button.disabled = disabled;
    button.addEventListener("click", (event) => {
      if (event.isTrusted) onClick();
    });
    return button;
  }

  /** A drop-down of the panel; `key` makes its id (the same in every render, whatever the label). */
  private choice(key: string, label: string, options: string[], chosen: number, onChange: (index: number) => void): HTMLElement {
    const id = `trawler-${key}`;
    const select = h("select", { id });
    options.forEach((option, i) => select.append(h("option", { value: String(i) }, option)));
    select.value = String(chosen);
    select.addEventListener("change", () => {
      onChange(Number(select.value));
      this.render();
    });
    return h("div", {}, h("label", { for: id }, label), select);
  }
}

function xpathOf(candidates: Candidate[]): string | null {
  const found = candidates.find((c) => c.kind === "xpath" || c.selector.startsWith("xpath:"));
  return found ? found.selector.replace(/^xpath:/, "") : null;
}

function local(element: Element): Candidate {
  const selector = localSelector(element);
  const matches = matchesOf(selector).length;
  return { selector, kind: "css", matches, unique: matches === 1, stability: 0, reason: "computed in the page" };
}
