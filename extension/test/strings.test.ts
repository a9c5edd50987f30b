import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { t } from "../src/strings";

// bundled into .test-out/, next to static/
const html = readFileSync(new URL("../static/popup.html", import.meta.url), "utf8");

test("popup.html: every text it names is in strings.ts, and every one there is used", () => {
  const named = [...html.matchAll(/\sdata-t(?:-label|-alt|-placeholder)?="([^"]*)"/g)].map((found) => found[1]);
  assert.ok(named.length > 0);
  for (const key of named) assert.equal(typeof t.popup.html[key as keyof typeof t.popup.html], "string", key);
  assert.deepEqual(new Set(named), new Set(Object.keys(t.popup.html)));
});

test("popup.html: its elements hold no text of their own (it comes from strings.ts)", () => {
  const body = html.slice(html.indexOf("<body>"), html.indexOf("</body>")).replace(/<!--[\s\S]*?-->/g, "");
  const texts = [...body.matchAll(/>([^<]+)</g)].map((found) => found[1].trim()).filter(Boolean);
  assert.deepEqual(texts, []);
});

test("the texts the browser tests match exactly are unchanged", () => {
  assert.equal(t.picker.dialog, "trawler picker");
  assert.equal(t.picker.recording, "● Recording (trawler)");
  assert.equal(t.popup.saved("shop page"), "Saved the bot “shop page”.");
  assert.equal(t.popup.savedVersion(2, "shop page"), "Saved version 2 of “shop page”.");
  assert.equal(t.steps.fill("#password", "{{password}}", true, null), "Fill #password with {{password}} (a secret variable)");
  assert.equal(t.steps.click("#go", "Go", true), "Click “Go” (#go), then wait for the page");
});
