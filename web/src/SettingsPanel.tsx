import { useMemo } from "react";
import type { RJSFSchema } from "@rjsf/utils";
import { SchemaForm } from "./SchemaForm";
import { sameJson, simplify } from "./schema";
import { t } from "./strings";
import type { Issue } from "./types";

type Json = Record<string, unknown>;

/** The bot's `settings` as a form generated from their JSON Schema (the catalog's). */
export function SettingsPanel(props: {
  schema: Json | undefined;
  value: Json | undefined;
  issues: Issue[];
  onChange: (value: Json | undefined) => void;
}) {
  const schema = useMemo(() => {
    if (!props.schema) return null;
    const { title: _title, ...rest } = simplify(props.schema) as RJSFSchema;
    return rest as RJSFSchema;
  }, [props.schema]);
  const data = props.value ?? {};
  const mine = props.issues.filter((issue) => issue.field?.startsWith("settings"));
  return (
    <section className="settings" aria-label={t.builder.settings}>
      <h2>{t.builder.settings}</h2>
      <p className="hint">{t.builder.settingsHint}</p>
      {mine.length > 0 && (
        <ul className="issues" role="alert">
          {mine.map((issue, i) => (
            <li key={i}>
              <b>{issue.field}: </b>
              {issue.message}
            </li>
          ))}
        </ul>
      )}
      {schema ? (
        <SchemaForm
          schema={schema}
          data={data}
          idPrefix="settings"
          // a document without settings keeps none until one is set
          onChange={(next) => props.onChange(props.value === undefined && sameJson(next, {}) ? undefined : next)}
        />
      ) : (
        <p>{t.builder.noSettingsSchema}</p>
      )}
    </section>
  );
}
