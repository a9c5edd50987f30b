import assert from "node:assert/strict";
import { test } from "node:test";
import { begin, BURST_MS, record, redo, undo } from "../src/undo";

const same = (a: number, b: number) => a === b;

test("undo and redo walk the recorded states; a new change drops what was undone", () => {
  let h = begin(0);
  h = record(h, 1, same, null, 10);
  h = record(h, 2, same, null, 20);
  assert.deepEqual([h.past, h.present, h.future], [[0, 1], 2, []]);
  h = undo(h);
  h = undo(h);
  assert.deepEqual([h.past, h.present, h.future], [[], 0, [1, 2]]);
  assert.equal(undo(h), h, "nothing left to undo");
  h = redo(h);
  assert.equal(h.present, 1);
  h = record(h, 5, same, null, 30);
  assert.deepEqual([h.past, h.present, h.future], [[0, 1], 5, []]);
  assert.equal(redo(h), h, "nothing left to redo");
});

test("the same state is no step", () => {
  const h = record(begin(3), 3, same, "x", 1);
  assert.equal(h.past.length, 0);
});

test("a burst of one group is one step; another group or a pause starts a new one", () => {
  let h = begin("");
  h = record(h, "a", (a, b) => a === b, "field", 1000);
  h = record(h, "ab", (a, b) => a === b, "field", 1000 + BURST_MS / 2);
  h = record(h, "abc", (a, b) => a === b, "field", 1000 + BURST_MS);
  assert.deepEqual(h.past, [""]);
  assert.equal(h.present, "abc");
  h = record(h, "abcd", (a, b) => a === b, "field", 1000 + 3 * BURST_MS);
  assert.deepEqual(h.past, ["", "abc"]);
  h = record(h, "abcde", (a, b) => a === b, "other", 1000 + 3 * BURST_MS + 1);
  assert.deepEqual(h.past, ["", "abc", "abcd"]);
  h = record(h, "x", (a, b) => a === b, null, 1000 + 3 * BURST_MS + 2);
  h = record(h, "y", (a, b) => a === b, null, 1000 + 3 * BURST_MS + 3);
  assert.equal(h.past.length, 5, "changes without a group are steps of their own");
  assert.equal(undo(record(undo(h), "z", (a, b) => a === b, "other", 0)).present, "x");
});

test("the history keeps at most its limit of steps", () => {
  let h = begin(0);
  for (let i = 1; i <= 10; i++) h = record(h, i, same, null, i, 4);
  assert.deepEqual(h.past, [6, 7, 8, 9]);
});
