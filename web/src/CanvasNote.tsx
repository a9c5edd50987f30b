import { Panel, useConnection, type ConnectionState, type FinalConnectionState } from "@xyflow/react";
import type { Candidate, Refusal } from "./rules";
import { t } from "./strings";

/** Why an edge is refused, in words. */
export function explain(why: Refusal): string {
  const text = t.builder.why;
  switch (why.reason) {
    case "self":
      return text.self;
    case "unknownHandle":
      return text.unknownHandle(why.node, why.handle, why.handles);
    case "needsHandle":
      return text.needsHandle(why.node, why.handles);
    case "duplicate":
      return text.duplicate;
    case "cycle":
      return text.cycle(why.path);
  }
}

/** The edge a connection being drawn (or dropped) would make, whichever end it started at. */
export function candidateOf(state: ConnectionState | FinalConnectionState): Candidate | null {
  if (!state.fromNode || !state.toNode || !state.fromHandle) return null;
  if (state.fromHandle.type === "source") {
    return { source: state.fromNode.id, sourceHandle: state.fromHandle.id ?? null, target: state.toNode.id };
  }
  return { source: state.toNode.id, sourceHandle: state.toHandle?.id ?? null, target: state.fromNode.id };
}

/** The line near the canvas that says why a connection is refused (while it is drawn, and
 * after), and what the last command did; read out by screen readers. */
export function CanvasNote(props: { note: string; why: (candidate: Candidate) => Refusal | null }) {
  const hint = useConnection((state) => {
    if (!state.inProgress || state.isValid !== false) return null;
    const candidate = candidateOf(state);
    const why = candidate && props.why(candidate);
    return why ? t.builder.refusedBecause(explain(why)) : null;
  });
  const text = hint ?? props.note;
  return (
    <Panel position="top-center" className="note-panel">
      <p className={text ? "canvas-note" : "canvas-note quiet"} aria-live="polite">
        {text}
      </p>
    </Panel>
  );
}
