import { createContext, useContext } from "react";
import { Handle, Position, type NodeProps } from "@xyflow/react";
import type { StepView } from "./runview";
import { t } from "./strings";
import type { Issue, NodeKind } from "./types";

export const KindsContext = createContext<Map<string, NodeKind>>(new Map());
export const IssuesContext = createContext<Map<string, Issue[]>>(new Map());
/** The latest step of each node in the run the builder follows. */
export const RunContext = createContext<Record<string, StepView>>({});

function RunStep(props: { id: string; step: StepView }) {
  const { step } = props;
  return (
    <div className={`step-run ${step.status}`} data-status={step.status}>
      <span className="step-status">{t.statusOf(step.status)}</span>
      {typeof step.ms === "number" && <span> · {t.run.stepTime(step.ms)}</span>}
      {typeof step.rows === "number" && step.rows > 0 && <span> · {t.run.stepRows(step.rows)}</span>}
      {step.error && <p className="step-error">{step.error}</p>}
      {step.screenshot && (
        <img className="step-shot" src={step.screenshot} alt={t.run.stepShot(props.id)} loading="lazy" />
      )}
    </div>
  );
}

/** The handles a kind's node offers: its named ones, plus the default output for kinds with
 * none and for loops (their edge without a handle leaves the loop). The default output comes
 * first: React Flow takes an edge or a connection without a handle id for the node's first
 * handle, so a loop's exit drawn after its body would be drawn from the body. */
export function outputs(kind: NodeKind | undefined): (string | null)[] {
  if (!kind || kind.handles.length === 0) return [null];
  return kind.loop ? [null, ...kind.handles] : [...kind.handles];
}

/** One node on the canvas: its kind, its id, its handles and the API's issues about it. */
export function StepNode({ id, type, selected }: NodeProps) {
  const kind = useContext(KindsContext).get(type);
  const issues = useContext(IssuesContext).get(id) ?? [];
  const ran = useContext(RunContext)[id];
  const handles = outputs(kind);
  return (
    <div className={`step${selected ? " selected" : ""}${issues.length ? " invalid" : ""}`}>
      <Handle type="target" position={Position.Top} />
      <div className="step-kind">{kind?.label ?? type}</div>
      <div className="step-id">{id}</div>
      {ran && <RunStep id={id} step={ran} />}
      {issues.length > 0 && (
        <ul className="step-issues" role="alert">
          {issues.map((issue, i) => (
            <li key={i}>
              {issue.field ? <b>{issue.field}: </b> : null}
              {issue.message}
            </li>
          ))}
        </ul>
      )}
      {handles.map((handle, i) => (
        <Handle
          key={handle ?? ""}
          id={handle ?? undefined}
          type="source"
          position={Position.Bottom}
          style={{ left: `${((i + 1) * 100) / (handles.length + 1)}%` }}
          title={handle ?? undefined}
        >
          {handle && <span className="handle-name">{handle}</span>}
        </Handle>
      ))}
    </div>
  );
}
