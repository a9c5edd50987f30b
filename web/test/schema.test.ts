import assert from "node:assert/strict";
import { test } from "node:test";
import { changedKeys, NULLABLE, OPTIONAL, pruneDefaults, sameJson, showAbsent, simplify } from "../src/schema";
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
      // a choice of plain types names each, for the form's choice
      mode: {
        anyOf: [
          { type: "string", title: "Text" },
          { type: "integer", title: "Whole number" },
        ],
        title: "Mode",
      },
    },
    // a field that only refers to a model is titled after its name, not the model's class
    $defs: { Field: { properties: { x: { $ref: "#/$defs/X", title: "X" } } } },
  });
});

const settings = {
  type: "object",
  properties: {
    stealth: { anyOf: [{ $ref: "#/$defs/Stealth" }, { type: "null" }], default: null },
    http_credentials: { anyOf: [{ $ref: "#/$defs/Credentials" }, { type: "null" }], default: null },
    max_pages: { anyOf: [{ type: "integer" }, { type: "null" }], default: 1000 },
    viewport: { $ref: "#/$defs/Viewport" },
  },
  $defs: {
    Stealth: { type: "object", properties: { user_agents: { type: "boolean", default: true } } },
    Credentials: {
      type: "object",
      required: ["username", "password"],
      properties: { username: { type: "string" }, password: { type: "string", format: "password" } },
    },
    Viewport: { type: "object", properties: { width: { type: "integer", default: 1280 } } },
  },
};

test("an object the document may leave out is shown left out, and stays out", () => {
  const simple = simplify(settings) as Record<string, any>;
  assert.equal(simple.properties.stealth[OPTIONAL], true);
  assert.equal(simple.properties.stealth.title, "Stealth");
  assert.equal(simple.properties.http_credentials.title, "Http Credentials");
  assert.equal(simple.properties.max_pages[OPTIONAL], undefined, "null is no default there");
  assert.equal(simple.properties.max_pages[NULLABLE], true, "emptied, it is null: no limit");
  assert.equal(simple.properties.max_pages.type, "integer");
  assert.equal(simple.properties.stealth[NULLABLE], undefined);
  assert.equal(simple.properties.viewport[OPTIONAL], undefined);
  // absent: null, for the form not to fill in its defaults (and switch it on)
  assert.deepEqual(showAbsent({ viewport: {} }, simple, simple), {
    viewport: {},
    stealth: null,
    http_credentials: null,
  });
  assert.deepEqual(showAbsent({ stealth: {} }, simple, simple), { stealth: {}, http_credentials: null });
  // switched off (null) or never on: out of the document; switched on: there, defaults aside
  const form = { stealth: null, http_credentials: { username: "u" }, viewport: { width: 1280 } };
  assert.deepEqual(pruneDefaults(form, {}, simple, simple), { http_credentials: { username: "u" } });
  const on = { stealth: { user_agents: true }, http_credentials: null, viewport: { width: 1280 } };
  assert.deepEqual(pruneDefaults(on, {}, simple, simple), { stealth: {} });
  assert.deepEqual(pruneDefaults({ ...on, stealth: null }, { stealth: {} }, simple, simple), {});
  // a limit emptied is null in the document (none), not left out (the default again)
  assert.deepEqual(pruneDefaults({ max_pages: null }, {}, simple, simple), { max_pages: null });
  assert.deepEqual(pruneDefaults({ max_pages: 1000 }, {}, simple, simple), {});
});

test("what changed, by top-level key", () => {
  assert.deepEqual(changedKeys({ a: 1, b: [1], c: 3 }, { a: 1, b: [2], d: 4 }), ["b", "c", "d"]);
  assert.deepEqual(changedKeys(undefined, { a: 1 }), ["a"]);
});

test("{{variables}} pass the form's checks wherever the engine takes them", () => {
  // text fields (minLength, a secret's format) take them; a name the engine checks as an
  // identifier (save_as) does not, in the engine either
  const schema: Schema = {
    type: "object",
    properties: {
      url: { type: "string", minLength: 1 },
      password: { type: "string", format: "password" },
      headers: { type: "object", additionalProperties: { type: "string", format: "password" } },
      save_as: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
    },
  };
  const check = (data: unknown) => new Validator(schema, "2020-12", false).validate(data).errors;
  assert.deepEqual(check({ url: "{{site}}/x", password: "{{ token }}", headers: { Authorization: "Bearer {{token}}" } }), []);
  assert.notDeepEqual(check({ save_as: "{{name}}" }), []);
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
