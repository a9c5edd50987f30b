import assert from "node:assert/strict";
import { test } from "node:test";
import { ariaKeys, commandOf, SHORTCUTS, typing, type KeyPress } from "../src/keys";

const press = (key: string, mods: Partial<KeyPress> = {}): KeyPress => ({
  key,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});

test("keys map to commands, Ctrl or Cmd alike", () => {
  assert.equal(commandOf(press("z", { ctrlKey: true })), "undo");
  assert.equal(commandOf(press("z", { metaKey: true })), "undo");
  assert.equal(commandOf(press("Z", { ctrlKey: true, shiftKey: true })), "redo");
  assert.equal(commandOf(press("y", { ctrlKey: true })), "redo");
  assert.equal(commandOf(press("c", { metaKey: true })), "copy");
  assert.equal(commandOf(press("x", { ctrlKey: true })), "cut");
  assert.equal(commandOf(press("v", { ctrlKey: true })), "paste");
  assert.equal(commandOf(press("a", { ctrlKey: true })), "selectAll");
  assert.equal(commandOf(press("Delete")), "delete");
  assert.equal(commandOf(press("Backspace")), "delete");
  assert.equal(commandOf(press("?", { shiftKey: true })), "help");
  assert.equal(commandOf(press("f")), "fit");
  assert.equal(commandOf(press("L", { shiftKey: true })), "layout");
  assert.equal(commandOf(press("l")), null);
  assert.equal(commandOf(press("z", { ctrlKey: true, altKey: true })), null);
  assert.equal(commandOf(press("v", { ctrlKey: true, shiftKey: true })), null);
  assert.equal(commandOf(press("a")), null);
});

test("every command is listed once in the help", () => {
  const listed = SHORTCUTS.map((s) => s.command);
  assert.equal(new Set(listed).size, listed.length);
  for (const { command, keys } of SHORTCUTS) {
    for (const spelled of keys) {
      const parts = spelled.split("+");
      const key = parts.at(-1)!;
      const mods = { ctrlKey: parts.includes("Ctrl"), shiftKey: parts.includes("Shift") };
      assert.equal(commandOf(press(key, mods)), command, spelled);
    }
  }
  assert.equal(ariaKeys("undo"), "Control+Z Meta+Z");
  assert.equal(ariaKeys("delete"), "Delete Backspace");
});

test("keys in a text field are the field's", () => {
  assert.equal(typing({ tagName: "INPUT", type: "text" }), true);
  assert.equal(typing({ tagName: "input", type: "password" }), true);
  assert.equal(typing({ tagName: "INPUT", type: "checkbox" }), false);
  assert.equal(typing({ tagName: "TEXTAREA" }), true);
  assert.equal(typing({ tagName: "SELECT" }), true);
  assert.equal(typing({ tagName: "DIV", isContentEditable: true }), true);
  assert.equal(typing({ tagName: "BUTTON" }), false);
  assert.equal(typing(null), false);
});
