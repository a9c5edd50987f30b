import assert from "node:assert/strict";
import { test } from "node:test";
import { readEvents, splitEvents } from "../src/sse";

test("complete events come out, an incomplete one waits", () => {
  const { events, rest } = splitEvents(
    'event: state\ndata: {"a":1}\n\n: keep-alive\n\nevent: log\ndata: x\ndata: y\n\nevent: fin',
  );
  assert.deepEqual(events, [
    { event: "state", data: '{"a":1}' },
    { event: "log", data: "x\ny" },
  ]);
  assert.equal(rest, "event: fin");
});

test("events split across chunks are read whole", async () => {
  const chunks = ["event: step_started\nda", 'ta: {"step":1}\n', "\nevent: finished\r\ndata: {}\r\n\r\n"];
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });
  const seen: string[] = [];
  await readEvents(body, (event) => seen.push(`${event.event} ${event.data}`));
  assert.deepEqual(seen, ['step_started {"step":1}', "finished {}"]);
});
