import { useMemo, useState, type FormEvent } from "react";
import type { RJSFSchema, UiSchema } from "@rjsf/utils";
import { SchemaForm } from "./SchemaForm";
import { simplify } from "./schema";
import { t } from "./strings";
import type { Issue } from "./types";
import { asDocument, asObject, isSecret, nameProblem } from "./variables";

type Json = Record<string, unknown>;

/** The uiSchema that masks a secret variable's value: its text input becomes a password one
 * (the value may also be a number or a yes/no, shown as they are). */
function masked(schema: RJSFSchema): UiSchema {
  const value = (schema.properties?.value ?? {}) as RJSFSchema;
  const password = { "ui:widget": "password" };
  if (Array.isArray(value.anyOf)) {
    const string = (branch: unknown) => (branch as RJSFSchema).type === "string";
    return { value: { anyOf: value.anyOf.map((branch: unknown) => (string(branch) ? password : {})) } };
  }
  return { value: password };
}

/** The bot's `variables`: one form per variable from the catalog's schema of one, add and
 * remove. */
export function VariablesPanel(props: {
  schema: Json | undefined;
  value: Json | undefined;
  issues: Issue[];
  onChange: (value: Json | undefined, name: string) => void;
}) {
  const schema = useMemo(() => {
    const { title: _title, description: _d, ...rest } = simplify(props.schema ?? { type: "object" }) as RJSFSchema;
    return rest as RJSFSchema;
  }, [props.schema]);
  const secretUi = useMemo(() => masked(schema), [schema]);
  const variables = props.value ?? {};
  const [name, setName] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const mine = props.issues.filter((issue) => issue.field?.startsWith("variables"));

  const change = (key: string, entry: Json) =>
    props.onChange({ ...variables, [key]: asDocument(entry, variables[key]) }, key);
  const remove = (key: string) => {
    const { [key]: _gone, ...rest } = variables;
    props.onChange(rest, key);
  };
  const add = (event: FormEvent) => {
    event.preventDefault();
    const wrong = nameProblem(name.trim(), Object.keys(variables));
    if (wrong) {
      setProblem(t.builder.nameProblem[wrong]);
      return;
    }
    setProblem(null);
    props.onChange({ ...variables, [name.trim()]: "" }, name.trim());
    setName("");
  };
  return (
    <section className="variables" aria-label={t.builder.variables}>
      <h2>{t.builder.variables}</h2>
      <p className="hint">{t.builder.variablesHint}</p>
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
      {Object.keys(variables).length === 0 && <p>{t.builder.noVariables}</p>}
      {Object.entries(variables).map(([key, value], index) => (
        <fieldset key={key} className="variable">
          <legend>
            <code>{key}</code>
          </legend>
          <button
            type="button"
            className="remove"
            aria-label={t.builder.removeVariable(key)}
            onClick={() => remove(key)}
          >
            ×
          </button>
          <SchemaForm
            schema={schema}
            data={asObject(value)}
            idPrefix={`variable-${index}`}
            uiSchema={isSecret(value) ? secretUi : undefined}
            onChange={(entry) => change(key, entry)}
          />
        </fieldset>
      ))}
      <form className="add-variable" onSubmit={add}>
        <label>
          {t.builder.newVariable}
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={problem !== null}
            aria-describedby={problem ? "variable-problem" : undefined}
            autoComplete="off"
            spellCheck={false}
          />
        </label>
        <button type="submit">{t.builder.addVariable}</button>
        {problem && (
          <p id="variable-problem" role="alert">
            {problem}
          </p>
        )}
      </form>
    </section>
  );
}
