import assert from "node:assert/strict";
import { test } from "node:test";
import { simplify } from "../src/schema";
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
