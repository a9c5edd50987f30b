// JSON Schema as the forms show it: pydantic's `X | None` (anyOf with null) becomes plain X,
// so the form shows one field instead of a choice between "X" and "null"; an object that may
// be left out (default null) is marked OPTIONAL, for the form to offer it behind a checkbox,
// and a number that may be null though its default is not is marked NULLABLE.
import { t } from "./strings";

type Schema = Record<string, unknown>;

/** Marks an object field whose default is null: absent, or set as a whole. */
export const OPTIONAL = "x-optional";
/** Marks a number that may be null though its default is not (a limit: null is none):
 * emptied in the form, it is null, not the default again. */
export const NULLABLE = "x-nullable";

const PRIMITIVES = ["string", "integer", "number", "boolean"] as const;

function isNull(branch: unknown): boolean {
  return typeof branch === "object" && branch !== null && (branch as Schema).type === "null";
}

/** A field's title from its name, as pydantic writes them: `http_credentials`: Http Credentials. */
function titleOf(name: string): string {
  return name
    .split("_")
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join(" ");
}

/** A property as the form shows it: one that only refers to a definition is titled after its
 * name (not the model's class name: "Stealth", not "StealthSettings"). */
function property(name: string, schema: unknown): unknown {
  const own = simplify(schema);
  if (typeof own !== "object" || own === null || "title" in own) return own;
  return "$ref" in own || "allOf" in own ? { ...own, title: titleOf(name) } : own;
}

export function simplify(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(simplify);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema as Schema)) {
    // "properties" and "$defs" are maps of names to schemas, not schemas themselves
    out[key] =
      key === "properties"
        ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, property(k, v)]))
        : key === "$defs"
          ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, simplify(v)]))
          : key === "default" || key === "examples" || key === "enum" || key === "const"
            ? value
            : simplify(value);
  }
  const anyOf = out.anyOf;
  if (Array.isArray(anyOf) && anyOf.some(isNull)) {
    const rest = anyOf.filter((branch) => !isNull(branch));
    if (rest.length === 1) {
      const { anyOf: _dropped, ...own } = out;
      const branch = rest[0] as Schema;
      const object = "$ref" in branch || branch.type === "object";
      const number = branch.type === "integer" || branch.type === "number";
      const marks = {
        ...(object && own.default === null ? { [OPTIONAL]: true } : {}),
        ...(number && own.default !== null && own.default !== undefined ? { [NULLABLE]: true } : {}),
      };
      return { ...branch, ...own, ...marks };
    }
    out.anyOf = rest;
  }
  // a choice of plain types (a variable's value): name each for the form's choice of type
  if (Array.isArray(out.anyOf)) {
    out.anyOf = out.anyOf.map((branch: Schema) => {
      const type = PRIMITIVES.find((name) => name === branch.type);
      const bare = type && !branch.title && Object.keys(branch).length === 1;
      return bare ? { ...branch, title: t.form.types[type] } : branch;
    });
  }
  return out;
}

/** `data` with null where an OPTIONAL object is absent: the form shows it left out instead
 * of filling in its defaults. */
export function showAbsent(data: unknown, schema: unknown, root: Schema): unknown {
  const own = resolve(schema, root);
  if (Array.isArray(data)) return data.map((item) => showAbsent(item, own?.items, root));
  if (!isObject(data) || !own || !isObject(own.properties)) return data;
  const out: Schema = { ...data };
  for (const [key, field] of Object.entries(own.properties)) {
    const resolved = resolve(field, root);
    if (resolved?.[OPTIONAL] && out[key] === undefined) out[key] = null;
    else if (key in out) out[key] = showAbsent(out[key], field, root);
  }
  return out;
}

/** The top-level keys whose values differ between two objects. */
export function changedKeys(before: unknown, after: unknown): string[] {
  const a = isObject(before) ? before : {};
  const b = isObject(after) ? after : {};
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !sameJson(a[k], b[k])).sort();
}

/** Deep equality of JSON values (key order aside). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a).filter((k) => (a as Schema)[k] !== undefined);
  const keysB = Object.keys(b).filter((k) => (b as Schema)[k] !== undefined);
  return (
    keysA.length === keysB.length &&
    keysA.every((k) => sameJson((a as Schema)[k], (b as Schema)[k]))
  );
}

function isObject(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `schema` with a `$ref` into the root's `$defs` (or a lone `allOf` around one) followed. */
function resolve(schema: unknown, root: Schema): Schema | undefined {
  let current = isObject(schema) ? schema : undefined;
  for (let hops = 0; current && hops < 20; hops++) {
    const { $ref, allOf, ...own } = current;
    if (Array.isArray(allOf) && allOf.length === 1 && $ref === undefined) {
      current = { ...(allOf[0] as Schema), ...own };
    } else if (typeof $ref === "string" && $ref.startsWith("#/$defs/")) {
      const defs = isObject(root.$defs) ? root.$defs : {};
      const found = defs[$ref.slice("#/$defs/".length)];
      current = isObject(found) ? { ...found, ...own } : undefined;
    } else {
      return current;
    }
  }
  return current;
}

/** The schemas a union (anyOf/oneOf, nested) may take, references followed. */
function leaves(schema: Schema, root: Schema, depth = 0): Schema[] {
  const branches = schema.anyOf ?? schema.oneOf;
  if (!Array.isArray(branches) || depth > 10) return [schema];
  return branches.flatMap((branch) => {
    const own = resolve(branch, root);
    return own ? leaves(own, root, depth + 1) : [];
  });
}

/** Whether the object `value` can be of the object schema `branch`: it has no key the branch
 * lacks and matches each of its constants (a discriminated union's tag). */
function fits(value: Schema, branch: Schema, root: Schema): boolean {
  const properties = isObject(branch.properties) ? branch.properties : undefined;
  if (!properties) return false;
  return (
    Object.keys(value).every((key) => key in properties) &&
    Object.entries(properties).every(([key, field]) => {
      const own = resolve(field, root);
      const tag = own && ("const" in own ? own.const : Array.isArray(own.enum) && own.enum.length === 1 ? own.enum[0] : undefined);
      return tag === undefined || !(key in value) || sameJson(value[key], tag);
    })
  );
}

/** The form's data as the node keeps it: a value the form filled in with its schema's
 * default (at any depth; an empty list for a list without one) stays out of the document, so
 * it keeps following the engine's default, unless the node had it before; undefined values
 * and OPTIONAL objects switched off (null) are dropped. */
export function pruneDefaults(next: unknown, before: unknown, schema: unknown, root: Schema): unknown {
  const own = resolve(schema, root);
  if (Array.isArray(next)) {
    return next.map((item, i) =>
      pruneDefaults(item, Array.isArray(before) ? before[i] : undefined, own?.items, root),
    );
  }
  if (!isObject(next)) return next;
  if (own && (own.anyOf || own.oneOf)) {
    const branch = leaves(own, root).find((b) => fits(next, b, root));
    return branch ? pruneDefaults(next, before, branch, root) : next;
  }
  const properties = isObject(own?.properties) ? own.properties : {};
  const previous = isObject(before) ? before : {};
  const out: Schema = {};
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue;
    const field = resolve(properties[key], root);
    if (value === null && field?.[OPTIONAL]) continue; // left out: the engine's null
    // a list without a default in the schema has one made by a factory: the empty list
    const fallback = field && "default" in field ? field.default : field?.type === "array" ? [] : undefined;
    if (!(key in previous) && fallback !== undefined && sameJson(value, fallback)) continue;
    const pruned = pruneDefaults(value, previous[key], field, root);
    // a section of settings the form filled in with nothing but its defaults: the engine's
    // own (an object made by a factory), unless it may be left out (then {} switches it on)
    const required = Array.isArray(own?.required) && own.required.includes(key);
    const filled = isObject(pruned) && Object.keys(pruned).length === 0 && field?.type === "object";
    if (filled && !(key in previous) && !required && !field[OPTIONAL] && !("default" in field)) continue;
    out[key] = pruned;
  }
  return out;
}
