// A run as the builder shows it, folded from the execution's live events.

export interface StepView {
  step: number;
  status: string;
  ms?: number | null;
  rows?: number | null;
  error?: string | null;
  note?: string | null;
  url?: string | null;
  screenshot?: string | null;
}

export interface RunView {
  id: string;
  kind: "test" | "execute";
  status: string;
  finished: boolean;
  rows: number;
  pages: number;
  error: string | null;
  /** the latest step of each node, by node id */
  steps: Record<string, StepView>;
  /** the first rows, once finished */
  table: Record<string, unknown>[] | null;
  /** a failure to follow the run (not the run's own error) */
  problem: string | null;
}

const DONE = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

/** Fold one event of the execution's stream into the view. */
export function applyEvent(view: RunView, type: string, data: Record<string, unknown>): RunView {
  switch (type) {
    case "state":
    case "finished":
      return {
        ...view,
        status: String(data.status),
        rows: Number(data.rows ?? view.rows),
        pages: Number(data.pages ?? view.pages),
        error: (data.error as string | null) ?? null,
        finished: type === "finished" || DONE.has(String(data.status)),
      };
    case "progress":
      return { ...view, rows: Number(data.rows ?? view.rows) };
    case "step_started":
    case "step_finished": {
      const node = String(data.node_id);
      const step: StepView = {
        ...(view.steps[node]?.step === data.step ? view.steps[node] : {}),
        step: Number(data.step),
        status: type === "step_started" ? "running" : String(data.status),
        ...(type === "step_started"
          ? { url: (data.url as string | null) ?? null }
          : {
              ms: data.duration_ms as number,
              rows: data.rows as number,
              error: (data.error as string | null) ?? null,
            }),
      };
      return { ...view, status: "running", steps: { ...view.steps, [node]: step } };
    }
    default:
      return view;
  }
}

export function fresh(id: string, kind: RunView["kind"], status: string): RunView {
  return {
    id,
    kind,
    status,
    finished: false,
    rows: 0,
    pages: 0,
    error: null,
    steps: {},
    table: null,
    problem: null,
  };
}

