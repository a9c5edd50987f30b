import assert from "node:assert/strict";
import { test } from "node:test";
import { applyEvent, fresh } from "../src/runview";

test("steps land on their nodes; the finish closes the run", () => {
  let view = fresh("e1", "test", "queued");
  view = applyEvent(view, "state", { status: "running", rows: 0, pages: 0, error: null });
  view = applyEvent(view, "step_started", { step: 1, node_id: "open", url: "https://a.test/" });
  assert.equal(view.steps.open.status, "running");
  view = applyEvent(view, "step_finished", {
    step: 1,
    node_id: "open",
    status: "succeeded",
    rows: 0,
    duration_ms: 120,
    error: null,
  });
  assert.deepEqual(view.steps.open, {
    step: 1,
    status: "succeeded",
    url: "https://a.test/",
    ms: 120,
    rows: 0,
    error: null,
  });
  // a loop's node runs again: its newest step replaces the older one
  view = applyEvent(view, "step_started", { step: 3, node_id: "open", url: "https://a.test/2" });
  assert.deepEqual(view.steps.open, { step: 3, status: "running", url: "https://a.test/2" });
  view = applyEvent(view, "progress", { rows: 10 });
  assert.equal(view.rows, 10);
  assert.equal(view.finished, false);
  view = applyEvent(view, "finished", { status: "failed", rows: 10, pages: 2, error: "boom" });
  assert.deepEqual([view.finished, view.status, view.pages, view.error], [true, "failed", 2, "boom"]);
  assert.equal(applyEvent(view, "log", { message: "x" }), view);
});
