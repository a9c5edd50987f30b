// The canvas's keyboard shortcuts: which key does what, and when keys belong to a form field.

export type Command =
  | "undo"
  | "redo"
  | "copy"
  | "cut"
  | "paste"
  | "delete"
  | "selectAll"
  | "fit"
  | "layout"
  | "help";

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** The shortcuts as the help lists them (Ctrl stands for Cmd on a Mac as well). */
export const SHORTCUTS: { command: Command; keys: string[] }[] = [
  { command: "undo", keys: ["Ctrl+Z"] },
  { command: "redo", keys: ["Ctrl+Shift+Z", "Ctrl+Y"] },
  { command: "copy", keys: ["Ctrl+C"] },
  { command: "cut", keys: ["Ctrl+X"] },
  { command: "paste", keys: ["Ctrl+V"] },
  { command: "delete", keys: ["Delete", "Backspace"] },
  { command: "selectAll", keys: ["Ctrl+A"] },
  { command: "fit", keys: ["F"] },
  { command: "layout", keys: ["Shift+L"] },
  { command: "help", keys: ["?"] },
];

/** The command a key press asks for, or null. */
export function commandOf(press: KeyPress): Command | null {
  if (press.altKey) return null;
  const key = press.key.length === 1 ? press.key.toLowerCase() : press.key;
  if (press.ctrlKey || press.metaKey) {
    if (key === "z") return press.shiftKey ? "redo" : "undo";
    if (press.shiftKey) return null;
    return ({ y: "redo", c: "copy", x: "cut", v: "paste", a: "selectAll" } as const)[key] ?? null;
  }
  if (key === "Delete" || key === "Backspace") return "delete";
  if (press.key === "?") return "help";
  if (key === "f" && !press.shiftKey) return "fit";
  if (key === "l" && press.shiftKey) return "layout";
  return null;
}

const NOT_TEXT = new Set(["button", "checkbox", "radio", "range", "color", "submit", "reset", "file"]);

/** Whether keys pressed at `target` are for it: a text field, a list box, editable content. */
export function typing(target: unknown): boolean {
  if (typeof target !== "object" || target === null) return false;
  const element = target as { tagName?: string; type?: string; isContentEditable?: boolean };
  const tag = element.tagName?.toUpperCase();
  if (tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable) return true;
  return tag === "INPUT" && !NOT_TEXT.has((element.type ?? "text").toLowerCase());
}

/** The keys as aria-keyshortcuts spells them ("Control+Z Meta+Z"). */
export function ariaKeys(command: Command): string {
  const keys = SHORTCUTS.find((s) => s.command === command)?.keys ?? [];
  return keys
    .flatMap((k) => (k.startsWith("Ctrl+") ? [k.replace("Ctrl+", "Control+"), k.replace("Ctrl+", "Meta+")] : [k]))
    .join(" ");
}
