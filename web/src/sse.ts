// Server-Sent Events read from a fetch body (EventSource cannot send the bearer header).

export interface ServerEvent {
  event: string;
  data: string;
}

/** The complete events at the start of `text`, and what is left of an incomplete one. */
export function splitEvents(text: string): { events: ServerEvent[]; rest: string } {
  const events: ServerEvent[] = [];
  const blocks = text.replace(/\r\n?/g, "\n").split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue; // a comment: keep-alive
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (data.length > 0) events.push({ event, data: data.join("\n") });
  }
  return { events, rest };
}

/** Read `body` to its end, handing each event to `seen`. */
export async function readEvents(
  body: ReadableStream<Uint8Array>,
  seen: (event: ServerEvent) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    const { events, rest } = splitEvents(buffer + decoder.decode(value, { stream: true }));
    buffer = rest;
    events.forEach(seen);
  }
}
