// Test runs and real runs started from the builder, followed live: each step's status lands on
// the node that ran it; once finished, its rows, screenshots and error come from the run document.
import { useCallback, useEffect, useRef, useState } from "react";
import { errorText, fetchAuthorized, request, viewerData, viewerSession } from "./api";
import { applyEvent, fresh, type RunView, type StepView } from "./runview";
import { readEvents } from "./sse";
import { t } from "./strings";

interface RunDocument {
  status: string;
  error: string | null;
  totals: { rows: number; pages: number };
  steps: (StepView & { node_id: string; duration_ms: number | null })[];
  rows: { data: Record<string, unknown> }[];
}


export function useRun(botId: string) {
  const [run, setRun] = useState<RunView | null>(null);
  const [starting, setStarting] = useState(false);
  const stop = useRef<AbortController | null>(null);

  useEffect(() => () => stop.current?.abort(), []);

  const finish = useCallback(async (id: string) => {
    try {
      const document = await viewerData<RunDocument>(`/viewer/executions/${id}/run.json`);
      const steps: Record<string, StepView> = {};
      for (const step of document.steps) {
        steps[step.node_id] = { ...step, ms: step.duration_ms };
      }
      setRun((view) =>
        view && view.id === id
          ? {
              ...view,
              status: document.status,
              error: document.error,
              rows: document.totals.rows,
              pages: document.totals.pages,
              finished: true,
              steps,
              table: document.rows.map((row) => row.data),
            }
          : view,
      );
    } catch (exc) {
      setRun((view) => (view && view.id === id ? { ...view, problem: errorText(exc) } : view));
    }
  }, []);

  const follow = useCallback(
    async (id: string, signal: AbortSignal) => {
      let done = false;
      while (!done && !signal.aborted) {
        try {
          const answer = await fetchAuthorized(`/executions/${id}/events`, { signal });
          await readEvents(answer.body as ReadableStream<Uint8Array>, (event) => {
            const data = JSON.parse(event.data) as Record<string, unknown>;
            if (event.event === "finished") done = true;
            setRun((view) => (view && view.id === id ? applyEvent(view, event.event, data) : view));
          });
        } catch (exc) {
          if (signal.aborted) return;
          setRun((view) => (view && view.id === id ? { ...view, problem: errorText(exc) } : view));
        }
        if (!done) await new Promise((resolve) => setTimeout(resolve, 2000)); // then again
      }
      if (done) await finish(id);
    },
    [finish],
  );

  const start = useCallback(
    async (kind: RunView["kind"]) => {
      stop.current?.abort();
      const control = new AbortController();
      stop.current = control;
      setStarting(true);
      try {
        const path =
          kind === "test" ? `/bots/${botId}/test?wait=false` : `/bots/${botId}/execute`;
        const started = await request<{ execution_id: string; status: string }>("POST", path);
        setRun(fresh(started.execution_id, kind, started.status));
        // the steps' screenshots are viewer artifacts: the session's cookie first, so no
        // thumbnail is asked for without it (a refused image is not asked for again)
        void viewerSession()
          .catch(() => undefined)
          .then(() => follow(started.execution_id, control.signal));
      } catch (exc) {
        setRun({ ...fresh("", kind, "refused"), finished: true, problem: errorText(exc) });
      } finally {
        setStarting(false);
      }
    },
    [botId, follow],
  );

  const cancel = useCallback(async () => {
    if (!run || run.finished || !run.id) return;
    try {
      await request("POST", `/executions/${run.id}/cancel`);
    } catch (exc) {
      setRun((view) => (view ? { ...view, problem: errorText(exc) } : view));
    }
  }, [run]);

  const close = useCallback(() => {
    stop.current?.abort();
    setRun(null);
  }, []);

  return { run, starting, start, cancel, close };
}

const SHOWN = 50;

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function RunPanel(props: {
  run: RunView;
  onCancel: () => void;
  onClose: () => void;
  onOpenReplay: () => void;
}) {
  const { run } = props;
  const columns = run.table ? [...new Set(run.table.flatMap((row) => Object.keys(row)))] : [];
  const failed = Object.entries(run.steps).filter(([, step]) => step.status === "failed");
  return (
    <section className="run-panel" aria-label={t.run.panel}>
      <header>
        <h2>{run.kind === "test" ? t.run.testTitle : t.run.executeTitle}</h2>
        <p role="status" aria-live="polite" className={`status ${run.status}`}>
          {t.run.status(run.status, run.rows, run.pages)}
        </p>
        {!run.finished && run.id && (
          <button type="button" onClick={props.onCancel}>
            {t.run.cancel}
          </button>
        )}
        {run.id && (
          <button type="button" onClick={props.onOpenReplay}>
            {t.run.replay}
          </button>
        )}
        <button type="button" onClick={props.onClose} aria-label={t.run.close}>
          ×
        </button>
      </header>
      {run.problem && <p role="alert">{run.problem}</p>}
      {run.error && (
        <p role="alert" className="run-error">
          {run.error}
        </p>
      )}
      {failed.map(([node, step]) => (
        <p key={node} className="run-error">
          {t.run.failedNode(node)}: {step.error}
        </p>
      ))}
      {run.table !== null &&
        (run.table.length === 0 ? (
          <p>{t.run.noRows}</p>
        ) : (
          <div className="run-rows">
            <table aria-label={t.run.rows}>
              <thead>
                <tr>
                  {columns.map((column) => (
                    <th key={column} scope="col">
                      {column}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {run.table.slice(0, SHOWN).map((row, i) => (
                  <tr key={i}>
                    {columns.map((column) => (
                      <td key={column}>{cell(row[column])}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            {run.rows > Math.min(SHOWN, run.table.length) && (
              <p className="hint">{t.run.more(Math.min(SHOWN, run.table.length), run.rows)}</p>
            )}
          </div>
        ))}
    </section>
  );
}
