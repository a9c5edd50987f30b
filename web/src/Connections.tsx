import { useId, useState, type FormEvent } from "react";
import type { FlowEdge } from "./graph";
import { outputs } from "./StepNode";
import { t } from "./strings";
import type { NodeKind } from "./types";

/** The selected node's outgoing edges, and connecting it to another node without a pointer. */
export function Connections(props: {
  id: string;
  kind: NodeKind | undefined;
  nodeIds: string[];
  edges: FlowEdge[];
  onConnect: (target: string, handle: string | null) => void;
  onRemove: (edgeId: string) => void;
}) {
  const heading = useId();
  const handles = outputs(props.kind);
  const [handle, setHandle] = useState<string>(handles[0] ?? "");
  const others = props.nodeIds.filter((id) => id !== props.id);
  const [target, setTarget] = useState<string>("");
  const name = (h: string | null) =>
    h ?? (props.kind?.loop ? t.builder.loopExit : t.builder.defaultOutput);
  const own = props.edges.filter((e) => e.source === props.id);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const chosen = others.includes(target) ? target : others[0];
    if (chosen) props.onConnect(chosen, handle === "" ? null : handle);
  };
  return (
    <section className="connections" aria-labelledby={heading}>
      <h3 id={heading}>{t.builder.outgoing}</h3>
      {own.length === 0 ? (
        <p className="hint">{t.builder.noOutgoing}</p>
      ) : (
        <ul>
          {own.map((edge) => (
            <li key={edge.id}>
              <span>
                {name(edge.sourceHandle)} → <code>{edge.target}</code>
              </span>
              <button
                type="button"
                aria-label={t.builder.removeEdge(name(edge.sourceHandle), edge.target)}
                onClick={() => props.onRemove(edge.id)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {others.length > 0 && (
        <form onSubmit={submit} className="connect">
          {handles.length > 1 && (
            <label>
              {t.builder.output}
              <select value={handle} onChange={(e) => setHandle(e.target.value)}>
                {handles.map((h) => (
                  <option key={h ?? ""} value={h ?? ""}>
                    {name(h)}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            {t.builder.connectTo}
            <select value={others.includes(target) ? target : others[0]} onChange={(e) => setTarget(e.target.value)}>
              {others.map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">{t.builder.connect}</button>
        </form>
      )}
    </section>
  );
}
