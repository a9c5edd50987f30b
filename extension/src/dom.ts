// The page as the content script reads it: an element's path for the server's selector
// suggestions, the page's HTML without secrets, local selectors (the hover label, and a
// fallback when the server cannot rank), and a field's selector inside a list's item.
import type { Candidate, PathStep } from "./types";

/** The tag of the picker's host element, left out of the HTML sent to the server. */
export const HOST_TAG = "trawler-picker";
const TEXT_LIMIT = 100;
const VALUE_LIMIT = 200;
const SKIPPED = /^(id|class|style|value|on.*)$/i;
const TEST_ATTRIBUTES = ["data-testid", "data-test", "data-qa", "data-cy", "name", "aria-label"];

/** Inputs whose value is a secret: passwords and one-time codes. */
export function isSecret(element: Element): boolean {
  if (!(element instanceof HTMLInputElement)) return false;
  if (element.type === "password") return true;
  const auto = (element.autocomplete || "").toLowerCase();
  return /current-password|new-password|one-time-code/.test(auto);
}

function ownText(element: Element): string | null {
  if (element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement) return null;
  let text = "";
  for (const node of element.childNodes) if (node.nodeType === Node.TEXT_NODE) text += node.textContent ?? "";
  text = text.replace(/\s+/g, " ").trim();
  return text ? text.slice(0, TEXT_LIMIT) : null;
}

function stepOf(element: Element): PathStep {
  const attributes: Record<string, string> = {};
  for (const attribute of element.attributes) {
    if (SKIPPED.test(attribute.name) || attribute.value.length > VALUE_LIMIT) continue;
    attributes[attribute.name] = attribute.value;
  }
  const parent = element.parentElement;
  return {
    tag: element.tagName.toLowerCase(),
    id: element.id || null,
    classes: [...element.classList],
    attributes,
    index: parent ? [...parent.children].indexOf(element) + 1 : 1,
    text: ownText(element),
  };
}

/** The element's path from <html> down to it, as POST /selectors/suggest takes it. */
export function pathOf(element: Element): PathStep[] {
  const path: PathStep[] = [];
  for (let at: Element | null = element; at; at = at.parentElement) path.unshift(stepOf(at));
  return path;
}

/** The page's HTML for the server: the picker left out, and no password typed into an input
 * (frameworks that mirror the value into the attribute would otherwise send it). Built in an
 * inert document, so nothing in the copy loads. */
export function pageHtml(): string {
  const inert = document.implementation.createHTMLDocument("");
  const copy = inert.importNode(document.documentElement, true);
  for (const host of copy.querySelectorAll(HOST_TAG)) host.remove();
  for (const input of copy.querySelectorAll("input")) {
    if (input.type === "password" || /password|one-time-code/i.test(input.getAttribute("autocomplete") ?? "")) {
      input.removeAttribute("value");
    }
  }
  return copy.outerHTML;
}

/** A class a build tool generated (css-1x2y3z, sc-bdVaJa, _3kXy9): never in a selector. */
export function generated(name: string): boolean {
  return (
    /^(css|sc|jsx|emotion|styled)-/.test(name) ||
    /^_/.test(name) ||
    (/\d/.test(name) && /[a-z]/i.test(name) && !/^[a-z]+(-[a-z]+)*-?\d{1,2}$/i.test(name)) ||
    name.length > 30
  );
}

/** The elements `selector` matches: CSS, or XPath (`xpath:` prefix, or starting with / or (). */
export function matchesOf(selector: string, root: ParentNode = document): Element[] {
  const xpath = selector.startsWith("xpath:") ? selector.slice(6) : /^[/(]|^\.\//.test(selector) ? selector : null;
  try {
    if (xpath !== null) {
      const found = document.evaluate(xpath, root as Node, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
      const elements: Element[] = [];
      for (let i = 0; i < found.snapshotLength; i++) {
        const node = found.snapshotItem(i);
        if (node instanceof Element) elements.push(node);
      }
      return elements;
    }
    return [...root.querySelectorAll(selector)];
  } catch {
    return [];
  }
}

/** The first element `selector` finds inside `item`, as an extract field reads it (CSS, or
 * relative XPath); the item itself for no selector. */
export function firstIn(item: Element, selector: string | null): Element | null {
  if (selector === null) return item;
  if (/^xpath:|^[/(]|^\.\//.test(selector)) return matchesOf(selector, item)[0] ?? null;
  try {
    return item.querySelector(selector);
  } catch {
    return null;
  }
}

function unique(selector: string, element: Element): boolean {
  const found = matchesOf(selector);
  return found.length === 1 && found[0] === element;
}

function own(element: Element): string[] {
  const tag = element.tagName.toLowerCase();
  const parts: string[] = [];
  if (element.id && !generated(element.id)) parts.push(`#${CSS.escape(element.id)}`);
  for (const name of TEST_ATTRIBUTES) {
    const value = element.getAttribute(name);
    if (value && value.length <= VALUE_LIMIT) parts.push(`${tag}[${name}="${CSS.escape(value)}"]`);
  }
  const classes = [...element.classList].filter((name) => !generated(name));
  if (classes.length > 0) parts.push(`${tag}.${classes.map((name) => CSS.escape(name)).join(".")}`);
  for (const name of classes) parts.push(`${tag}.${CSS.escape(name)}`);
  parts.push(tag);
  return parts;
}

/** A selector for the element computed here: its id, a test attribute or its classes when they
 * single it out, else a chain of positions up to an ancestor that is singled out. */
export function localSelector(element: Element): string {
  for (const part of own(element)) if (unique(part, element)) return part;
  const chain: string[] = [];
  for (let at: Element | null = element; at && at !== document.documentElement; at = at.parentElement) {
    const parent: Element | null = at.parentElement;
    const tag = at.tagName.toLowerCase();
    const peers = parent ? [...parent.children].filter((child) => child.tagName === at?.tagName) : [at];
    chain.unshift(peers.length > 1 ? `${tag}:nth-of-type(${peers.indexOf(at) + 1})` : tag);
    const anchor = parent && parent !== document.documentElement ? own(parent).find((part) => unique(part, parent)) : null;
    if (anchor) return `${anchor} > ${chain.join(" > ")}`;
    if (unique(chain.join(" > "), element)) return chain.join(" > ");
  }
  return chain.join(" > ");
}

/** A CSS selector split at the top level (not inside brackets, parentheses or quotes) into
 * compounds and the combinators between them: [compound, combinator, compound, ...], the
 * descendant combinator as " "; null for a selector list. */
export function compounds(selector: string): string[] | null {
  const tokens: string[] = [];
  let current = "";
  let combinator: string | null = null;
  let depth = 0;
  let quote: string | null = null;
  const push = () => {
    if (!current) return;
    if (tokens.length > 0) tokens.push(combinator ?? " ");
    tokens.push(current);
    current = "";
    combinator = null;
  };
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (quote) {
      current += c;
      if (c === "\\") current += selector[++i] ?? "";
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
      current += c;
    } else if (c === "[" || c === "(") {
      depth++;
      current += c;
    } else if (c === "]" || c === ")") {
      depth--;
      current += c;
    } else if (depth > 0) {
      current += c;
    } else if (c === ",") {
      return null;
    } else if (c === ">" || c === "+" || c === "~") {
      push();
      combinator = c;
    } else if (/\s/.test(c)) {
      push();
    } else {
      current += c;
    }
  }
  push();
  return tokens;
}

/** Selectors for `element` inside `item` (one of `items`), as extract fields take them: tried
 * from each item, the first match must be the element; most items covered, then not a bare tag,
 * then shortest. The
 * server's candidates for the element come first (their trailing compounds), then local ones. */
export function selectorsWithin(item: Element, element: Element, items: Element[], server: Candidate[]): string[] {
  if (item === element) return [];
  const options: string[] = [];
  for (const candidate of server) {
    if (candidate.kind === "xpath" || candidate.selector.startsWith("xpath:")) continue;
    const parts = compounds(candidate.selector);
    if (!parts) continue;
    for (let start = parts.length - 1; start >= 0; start -= 2) {
      options.push(parts.slice(start).map((part, i) => (i % 2 === 1 && part !== " " ? ` ${part} ` : part)).join(""));
    }
  }
  options.push(...own(element));
  const chain: string[] = [];
  for (let at: Element | null = element; at && at !== item; at = at.parentElement) {
    const peers = at.parentElement ? [...at.parentElement.children].filter((c) => c.tagName === at?.tagName) : [at];
    const tag = at.tagName.toLowerCase();
    chain.unshift(peers.length > 1 ? `${tag}:nth-of-type(${peers.indexOf(at) + 1})` : tag);
  }
  options.push(chain.join(" > "));
  const scored = new Map<string, number>();
  for (const option of options) {
    if (scored.has(option) || /#/.test(option.split(/\s+/)[0] ?? "")) continue; // an id is one item's
    let first: Element | null = null;
    try {
      first = item.querySelector(option);
    } catch {
      continue;
    }
    if (first !== element) continue;
    scored.set(option, items.filter((other) => other.querySelector(option) !== null).length);
  }
  // a bare tag ("a", "span") breaks as soon as an item gets another one before it
  const bare = (option: string) => /^[a-z][a-z0-9-]*$/i.test(option);
  return [...scored.entries()]
    .sort((a, b) => b[1] - a[1] || Number(bare(a[0])) - Number(bare(b[0])) || a[0].length - b[0].length)
    .map(([option]) => option)
    .slice(0, 6);
}

/** The text a reader sees in the element, collapsed and cut short. */
export function textOf(element: Element, limit = 80): string {
  const raw = element instanceof HTMLInputElement ? (isSecret(element) ? "" : element.value) : (element.textContent ?? "");
  const text = raw.replace(/\s+/g, " ").trim();
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

/** The element a pointer event is on: inside an open shadow root, its host (selectors do not
 * reach into shadow trees); null for the picker's own elements. */
export function targetOf(event: Event): { element: Element | null; shadow: boolean } {
  const path = event.composedPath();
  if (path.some((node) => node instanceof Element && node.tagName.toLowerCase() === HOST_TAG)) {
    return { element: null, shadow: false };
  }
  const first = path[0];
  if (!(first instanceof Element)) return { element: null, shadow: false };
  const root = first.getRootNode();
  if (root instanceof ShadowRoot) {
    let host: Element = root.host;
    while (host.getRootNode() instanceof ShadowRoot) host = (host.getRootNode() as ShadowRoot).host;
    return { element: host, shadow: true };
  }
  return { element: first, shadow: false };
}
