import assert from "node:assert/strict";
import { test } from "node:test";
import { pruneDefaults, sameJson, simplify } from "../src/schema";
import { toRjsfErrors } from "../src/validator";
import { Validator, type Schema } from "@cfworker/json-schema";

test("an optional field shows as its one type, keeping its title and default", () => {
  const schema = {
    type: "object",
    properties: {
      selector: { anyOf: [{ type: "string" }, { type: "null" }], default: null, title: "Selector" },
      mode: { anyOf: [{ type: "string" }, { type: "integer" }], title: "Mode" },
    },
    $defs: { Field: { properties: { x: { anyOf: [{ $ref: "#/$defs/X" }, { type: "null" }] } } } },
  };
  assert.deepEqual(simplify(schema), {
    type: "object",
    properties: {
      selector: { type: "string", default: null, title: "Selector" },
      mode: { anyOf: [{ type: "string" }, { type: "integer" }], title: "Mode" },
    },
    $defs: { Field: { properties: { x: { $ref: "#/$defs/X" } } } },
  });
});

test("validation errors are located as @rjsf expects, without eval", () => {
  const schema: Schema = {
    type: "object",
    required: ["url"],
    properties: { url: { type: "string" }, max: { type: "integer" } },
  };
  const units = new Validator(schema, "2020-12", false).validate({ max: "x" }).errors;
  const errors = toRjsfErrors(units);
  assert.deepEqual(errors.map((e) => e.property).sort(), [".max", ".url"]);
  assert.equal(errors.find((e) => e.property === ".url")?.message, "is a required property");
});

test("defaults the form fills in stay out of the node's data, at any depth", () => {
  const schema = {
    type: "object",
    properties: {
      url: { type: "string" },
      retries: { type: "integer", default: 0 },
      wait_until: { type: "string", default: "load" },
      fields: { type: "array", items: { $ref: "#/$defs/Field" } },
    },
    $defs: {
      Number: { type: "object", properties: { op: { const: "number" }, decimal: { default: "." } } },
      Field: {
        type: "object",
        properties: {
          name: { type: "string" },
          transforms: {
            type: "array",
            items: {
              anyOf: [
                {
                  oneOf: [
                    { type: "object", properties: { op: { const: "trim" }, chars: { default: " " } } },
                    { $ref: "#/$defs/Number" },
                  ],
                },
                { type: "string" },
              ],
            },
          },
          value: { type: "string", default: "text" },
          many: { allOf: [{ type: "boolean" }], default: false },
        },
      },
    },
  };
  const before = { url: "https://x.test", retries: 0, fields: [{ name: "a", value: "text" }] };
  const next = {
    url: "https://y.test",
    retries: 0,
    wait_until: "load",
    timeout_ms: undefined,
    fields: [
      { name: "a", value: "text", many: false },
      { name: "b", value: "text", many: true, transforms: [] },
      { name: "c", transforms: ["trim", { op: "number", decimal: "." }, { op: "number", decimal: "," }] },
    ],
  };
  assert.deepEqual(pruneDefaults(next, before, schema, schema), {
    url: "https://y.test",
    retries: 0,
    fields: [
      { name: "a", value: "text" },
      { name: "b", many: true },
      { name: "c", transforms: ["trim", { op: "number" }, { op: "number", decimal: "," }] },
    ],
  });
  assert.equal(sameJson({ a: [1, { b: 2 }], c: undefined }, { a: [1, { b: 2 }] }), true);
  assert.equal(sameJson({ a: [1] }, { a: [1, 2] }), false);
  assert.equal(sameJson([], {}), false);
});
