// Undo and redo over snapshots of the bot document: a capped list of the states before the
// present one and of those undone after it. A burst of changes of one group (typing in one
// form) is one step.

export interface History<T> {
  past: T[];
  present: T;
  future: T[];
  /** What made the present state, when it is a burst that may continue, and when. */
  group: string | null;
  at: number;
}

/** Undo steps kept: a snapshot is the whole document, so a long history costs memory. */
export const LIMIT = 100;
/** Changes of one group less than this apart (ms) are one step: typing, not each key. */
export const BURST_MS = 1000;

export function begin<T>(present: T): History<T> {
  return { past: [], present, future: [], group: null, at: 0 };
}

/** The history with `next` as its present state; unchanged when `next` is the same. */
export function record<T>(
  history: History<T>,
  next: T,
  same: (a: T, b: T) => boolean,
  group: string | null,
  now: number,
  limit = LIMIT,
): History<T> {
  if (same(history.present, next)) return history;
  const burst = group !== null && group === history.group && now - history.at < BURST_MS;
  if (burst) return { ...history, present: next, future: [], at: now };
  const past = [...history.past, history.present].slice(-limit);
  return { past, present: next, future: [], group, at: now };
}

export function undo<T>(history: History<T>): History<T> {
  const previous = history.past.at(-1);
  if (previous === undefined) return history;
  return {
    past: history.past.slice(0, -1),
    present: previous,
    future: [history.present, ...history.future],
    group: null,
    at: 0,
  };
}

export function redo<T>(history: History<T>): History<T> {
  const [next, ...rest] = history.future;
  if (next === undefined) return history;
  return { past: [...history.past, history.present], present: next, future: rest, group: null, at: 0 };
}
