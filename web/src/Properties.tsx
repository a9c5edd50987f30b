import { useEffect, useMemo, useRef } from "react";
import Form from "@rjsf/core";
import type { IChangeEvent } from "@rjsf/core";
import type { RJSFSchema, UiSchema } from "@rjsf/utils";
import { pruneDefaults, sameJson, simplify } from "./schema";
import { t } from "./strings";
import type { Issue, NodeKind } from "./types";
import { validator } from "./validator";

const UI: UiSchema = { "ui:submitButtonOptions": { norender: true } };

/** The selected node's parameters as a form generated from its kind's JSON Schema. */
export function Properties(props: {
  id: string;
  kind: NodeKind | undefined;
  data: Record<string, unknown>;
  issues: Issue[];
  onChange: (data: Record<string, unknown>) => void;
}) {
  const schema = useMemo(() => {
    // the panel's heading names the kind: not the params model's own title again
    const { title: _title, ...rest } = simplify(props.kind?.schema ?? { type: "object" }) as RJSFSchema;
    return rest as RJSFSchema;
  }, [props.kind]);
  // the form reports its defaults filled in while it is built: that is no change of the user's
  const ready = useRef(false);
  useEffect(() => {
    ready.current = true;
    return () => {
      ready.current = false;
    };
  }, []);
  const changed = (event: IChangeEvent) => {
    if (!ready.current) return;
    const next = pruneDefaults(event.formData ?? {}, props.data, schema, schema) as Record<
      string,
      unknown
    >;
    if (!sameJson(next, props.data)) props.onChange(next);
  };
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
      <Form
        schema={schema}
        uiSchema={UI}
        formData={props.data}
        validator={validator}
        noHtml5Validate
        showErrorList={false}
        idPrefix={`node-${props.id}`}
        onChange={changed}
      />
    </aside>
  );
}
