// A document's variables as the panel edits them: each one in its object form ({value, env,
// secret, description}), written back as a plain value when that is all it is and was.
type Json = Record<string, unknown>;

/** What a {{name}} can refer to: a letter or _, then letters, digits, _ (engine/template.py). */
export const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names the engine keeps for itself ({{current.url}}, {{now}}). */
export const BUILTINS = ["current", "now"];

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A variable in its object form: a plain value `v` is `{value: v}`. */
export function asObject(value: unknown): Json {
  return isObject(value) ? value : value === undefined ? {} : { value };
}

/** The variable as the document keeps it: a plain value when it has nothing but a value and
 * was plain (or new) before; else the object, without undefined keys. */
export function asDocument(entry: Json, before: unknown): unknown {
  const own = Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined));
  const keys = Object.keys(own);
  if (!isObject(before) && keys.every((k) => k === "value")) return own.value ?? null;
  return own;
}

/** Whether the variable's value is secret: masked in the panel. */
export function isSecret(value: unknown): boolean {
  return isObject(value) && value.secret === true;
}

/** Why `name` cannot be a new variable's, or null. */
export function nameProblem(name: string, taken: Iterable<string>): "pattern" | "builtin" | "taken" | null {
  if (!NAME.test(name)) return "pattern";
  if (BUILTINS.includes(name)) return "builtin";
  return [...taken].includes(name) ? "taken" : null;
}
