import assert from "node:assert/strict";
import { test } from "node:test";
import { fileName } from "../src/files";

test("file names keep letters of every script and nothing that climbs out", () => {
  assert.equal(fileName("Shop <b>catalog</b>", "json"), "Shop-b-catalog-b.json");
  assert.equal(fileName("../../etc/passwd", "json"), "etc-passwd.json");
  assert.equal(fileName("상품 목록", "json"), "상품-목록.json");
  assert.equal(fileName("***", "csv"), "bot.csv");
});
