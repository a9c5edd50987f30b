import assert from "node:assert/strict";
import { test } from "node:test";
import { boxStyle, modeFor, pageUrl, pickerUi, pointOf } from "../src/picking";
import type { Workflow } from "../src/types";

const shop: Workflow = {
  nodes: [
    { id: "open", type: "navigate", data: { url: "https://shop.test/" } },
    { id: "pages", type: "paginate", data: {} },
    { id: "items", type: "extract", data: { item_selector: "li.product" } },
    { id: "lonely", type: "extract", data: {} },
  ],
  edges: [
    { source: "open", target: "pages" },
    { source: "pages", target: "items", sourceHandle: "body" },
  ],
};

test("a node's page is its nearest navigate's", () => {
  assert.equal(pageUrl(shop, "items"), "https://shop.test/");
  assert.equal(pageUrl(shop, "open"), "https://shop.test/");
  assert.equal(pageUrl(shop, "lonely"), null);
  const cyclic: Workflow = { nodes: [{ id: "a", type: "click", data: {} }], edges: [{ source: "a", target: "a" }] };
  assert.equal(pageUrl(cyclic, "a"), null);
});

test("clicks become fractions of the image, boxes percentages", () => {
  assert.deepEqual(pointOf(640, 200, 1280, 800), { x: 0.5, y: 0.25 });
  assert.deepEqual(pointOf(-3, 900, 1280, 800), { x: 0, y: 1 });
  assert.deepEqual(boxStyle([0.1, 0.2, 0.5, 0.05]), {
    left: "10.000%",
    top: "20.000%",
    width: "50.000%",
    height: "5.000%",
  });
});

test("selector fields get the picker, with what they pick", () => {
  const schema = {
    type: "object",
    properties: {
      item_selector: { type: "string" },
      selector_type: { type: "string", enum: ["css", "xpath"] },
      fields: {
        type: "array",
        items: { type: "object", properties: { name: { type: "string" }, selector: { type: "string" } } },
      },
      next_selector: { type: "string" },
    },
  };
  assert.deepEqual(pickerUi(schema), {
    item_selector: { "ui:widget": "selector", "ui:options": { pick: "items" } },
    fields: { items: { selector: { "ui:widget": "selector", "ui:options": { pick: "in-item" } } } },
    next_selector: { "ui:widget": "selector", "ui:options": { pick: "element" } },
  });
  // fields by reference, as pydantic writes them, and their own sub-fields
  const referenced = {
    type: "object",
    properties: { fields: { type: "array", items: { $ref: "#/$defs/Field" } } },
    $defs: {
      Field: {
        type: "object",
        properties: {
          selector: { anyOf: [{ type: "string" }, { type: "null" }] },
          fields: { anyOf: [{ type: "array", items: { $ref: "#/$defs/Field" } }, { type: "null" }] },
        },
      },
    },
  };
  const found = pickerUi(referenced) as { fields: { items: Record<string, unknown> } };
  assert.deepEqual(found.fields.items.selector, {
    "ui:widget": "selector",
    "ui:options": { pick: "in-item" },
  });
  assert.deepEqual(modeFor("in-item", { item_selector: "li" }), { kind: "element", within: "li" });
  assert.deepEqual(modeFor("in-item", {}), { kind: "element", within: null });
  assert.deepEqual(modeFor("items", {}), { kind: "items" });
});
