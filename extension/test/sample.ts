// A draft with every kind of step, and a bot to append it to: the unit tests' input, and what
// tests/extension/test_units.py has the engine validate.
import type { Workflow } from "../src/api";
import type { Draft } from "../src/types";

export const SAMPLE: Draft = {
  tabId: 1,
  lastUrl: "https://shop.example/account",
  pending: 0,
  secrets: { password: "s3cret" },
  steps: [
    { kind: "navigate", id: "1", url: "https://shop.example/login" },
    { kind: "fill", id: "2", selector: "#username", text: "demo", secret: false, press: null },
    { kind: "fill", id: "3", selector: "#password", text: "{{password}}", secret: true, press: "Enter" },
    { kind: "click", id: "4", selector: "xpath://button[@id='go']", label: "Go", navigation: true, at: 0 },
    { kind: "click", id: "5", selector: "button.more", label: "", navigation: false, at: 0 },
    { kind: "select", id: "6", selector: "select[name=sort]", value: "price" },
    { kind: "scroll", id: "7", mode: "by", pixels: 800 },
    { kind: "scroll", id: "8", mode: "bottom", pixels: 0 },
    {
      kind: "extract",
      id: "9",
      item_selector: "li.product",
      fields: [
        { name: "title", selector: "a.title", value: "text", transforms: [] },
        { name: "link", selector: "a.title", value: "attr:href", transforms: ["absolute_url"] },
        { name: "item", selector: null, value: "text", transforms: [] },
      ],
    },
    { kind: "extract", id: "10", item_selector: null, fields: [{ name: "heading", selector: "h1", value: "text", transforms: [] }] },
    { kind: "extract", id: "11", item_selector: null, fields: [] },
  ],
};

export const EXISTING: Workflow = {
  version: 1,
  name: "old",
  variables: { password: { value: "other", secret: true }, site: "https://shop.example" },
  nodes: [
    { id: "navigate", type: "navigate", position: { x: 0, y: 0 }, data: { url: "{{site}}/" } },
    { id: "fill", type: "fill", position: { x: 0, y: 120 }, data: { selector: "#q", text: "lamp" } },
  ],
  edges: [{ source: "navigate", target: "fill" }],
};
