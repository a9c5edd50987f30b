import { useMemo, type ReactNode } from "react";
import type { RJSFSchema } from "@rjsf/utils";
import { pickerUi } from "./picking";
import { SchemaForm, type PickContext } from "./SchemaForm";
import { simplify } from "./schema";
import { t } from "./strings";
import type { Issue, NodeKind } from "./types";

/** The selected node's parameters as a form generated from its kind's JSON Schema. */
export function Properties(props: {
  id: string;
  kind: NodeKind | undefined;
  data: Record<string, unknown>;
  issues: Issue[];
  onChange: (data: Record<string, unknown>) => void;
  /** picking selectors on the page; absent where the node has no page to pick on */
  picking?: PickContext;
  children?: ReactNode;
}) {
  const schema = useMemo(() => {
    // the panel's heading names the kind: not the params model's own title again
    const { title: _title, ...rest } = simplify(props.kind?.schema ?? { type: "object" }) as RJSFSchema;
    return rest as RJSFSchema;
  }, [props.kind]);
  const ui = useMemo(() => pickerUi(schema as Parameters<typeof pickerUi>[0]), [schema]);
  return (
    <aside className="properties" aria-label={t.builder.properties}>
      <h2>{props.kind?.label ?? props.id}</h2>
      <p className="node-id">
        {t.builder.nodeId}: <code>{props.id}</code>
      </p>
      {props.issues.length > 0 && (
        <ul className="issues" role="alert" aria-label={t.builder.issuesOf(props.id)}>
          {props.issues.map((issue, i) => (
            <li key={i}>
              {issue.field ? <b>{issue.field}: </b> : null}
              {issue.message}
            </li>
          ))}
        </ul>
      )}
      <SchemaForm
        schema={schema}
        data={props.data}
        idPrefix={`node-${props.id}`}
        uiSchema={ui}
        formContext={props.picking}
        onChange={props.onChange}
      />
      {props.children}
    </aside>
  );
}
