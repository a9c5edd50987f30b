import { useLayoutEffect, useRef } from "react";
import type { Doc } from "./graph";
import { begin, record, redo, undo, type History } from "./undo";
import { sameJson } from "./schema";

/** Undo and redo over the builder's document: every change of `doc` is a step (none while
 * `paused`: a drag is one step, when it ends); `restore` puts a recorded state back. */
export function useUndo(doc: Doc, paused: boolean, restore: (doc: Doc) => void) {
  // outside React's state: recording a change is no update of its own, which React Flow's
  // own updates in the same commit could otherwise chase round in circles
  const history = useRef<History<Doc> | null>(null);
  // what the next change is, for a burst of them (typing in one field) to be one step
  const group = useRef<string | null>(null);
  // every change of the document is a step of the history; a drag is one, when it ends.
  // A layout effect: recorded before the next key press can ask to undo it
  useLayoutEffect(() => {
    if (paused || !history.current) return;
    const burst = group.current;
    group.current = null;
    history.current = record(history.current, doc, sameJson, burst, Date.now());
  }, [doc, paused]);
  // a change not recorded yet (this render's) is one more step to undo, and ends the redos
  const pending = history.current !== null && !sameJson(history.current.present, doc);
  const canUndo = history.current !== null && (history.current.past.length > 0 || pending);
  const canRedo = history.current !== null && history.current.future.length > 0 && !pending;

  return {
    canUndo,
    canRedo,
    /** Start over from a loaded document. */
    start(loaded: Doc) {
      history.current = begin(loaded);
    },
    /** Name the next change: changes of one name in a burst are one step. */
    burst(name: string) {
      group.current = name;
    },
    /** Undo (or redo) a step; false when there is none. */
    step(back: boolean): boolean {
      if (!history.current) return false;
      const current = record(history.current, doc, sameJson, null, Date.now()); // a change not yet in
      const next = back ? undo(current) : redo(current);
      if (next === current) return false;
      history.current = next;
      restore(next.present);
      return true;
    },
  };
}
