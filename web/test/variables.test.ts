import assert from "node:assert/strict";
import { test } from "node:test";
import { asDocument, asObject, isSecret, nameProblem } from "../src/variables";

test("a plain value is edited as {value} and written back plain", () => {
  assert.deepEqual(asObject("https://x.test"), { value: "https://x.test" });
  assert.deepEqual(asObject(5), { value: 5 });
  assert.deepEqual(asObject(null), { value: null });
  assert.deepEqual(asObject({ value: "t", secret: true }), { value: "t", secret: true });
  assert.equal(asDocument({ value: "y" }, "x"), "y");
  assert.equal(asDocument({ value: 7, env: undefined }, undefined), 7, "a new variable is plain");
  assert.deepEqual(asDocument({ value: "y", secret: true }, "x"), { value: "y", secret: true });
  // an object stays an object
  assert.deepEqual(asDocument({ value: "y" }, { value: "x", description: "d" }), { value: "y" });
  assert.equal(asDocument({}, "x"), null);
});

test("secret variables are told apart; new names are checked", () => {
  assert.equal(isSecret({ value: "t", secret: true }), true);
  assert.equal(isSecret({ value: "t" }), false);
  assert.equal(isSecret("secret"), false);
  assert.equal(nameProblem("token", ["site"]), null);
  assert.equal(nameProblem("site", ["site"]), "taken");
  assert.equal(nameProblem("now", []), "builtin");
  assert.equal(nameProblem("1st", []), "pattern");
  assert.equal(nameProblem("a.b", []), "pattern");
  assert.equal(nameProblem("", []), "pattern");
});
